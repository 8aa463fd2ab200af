import { z } from 'zod';

const exprText = z.union([z.string().min(1), z.number().int()]).transform(String);
const sizeMap = z.record(z.string(), z.number().int().positive());

export const targetSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z_][\w-]*$/, 'use letters, digits, "_" or "-"'),
  description: z.string().default(''),
  signature: z.string().min(1),
  /** The precision; when omitted, the signature's spelling (float or double) decides, else float. */
  real: z.enum(['float', 'double']).optional(),
  args: z.record(
    z.string(),
    z.strictObject({
      /** Optional where the signature declares the array's extents (`real A[M][N]`). */
      shape: z.array(exprText).min(1).optional(),
      role: z.enum(['in', 'out', 'inout']),
      /** Integer arrays: what their contents satisfy (exactly one key). */
      values: z
        .strictObject({
          csr_rowptr: exprText.optional(),
          index: exprText.optional(),
          range: z.tuple([exprText, exprText]).optional(),
        })
        .optional(),
    }),
  ),
  /** Scalar real parameters: a fixed value, or a range the verifier draws from (and the value timed runs use). */
  scalars: z
    .record(
      z.string(),
      z.strictObject({
        value: z.number().optional(),
        range: z.tuple([z.number(), z.number()]).optional(),
        bench: z.number().optional(),
      }),
    )
    .default({}),
  sizes: z.strictObject({
    check: z.array(sizeMap).min(1),
    bench: sizeMap,
    limits: z.record(z.string(), z.strictObject({ min: z.number().int().positive().default(1), max: z.number().int().positive() })).default({}),
  }),
  flops: exprText,
  bytes: exprText,
  allow: z
    .strictObject({
      flags: z.array(z.string()).optional(),
      reassociation: z.boolean().default(false),
    })
    .default({ reassociation: false }),
  tolerance: z.strictObject({ factor: z.number().positive().default(2) }).default({ factor: 2 }),
  nondeterministic: z.boolean().default(false),
  reference: z.string().default('reference.c'),
  promote: z.string().default('kernel.c'),
  cuda: z
    .strictObject({
      reference: z.string().default('reference.cu'),
      starter: z.string().optional(),
      promote: z.string().default('kernel.cu'),
    })
    .optional(),
});

export type TargetYaml = z.infer<typeof targetSchema>;
