import { z } from 'zod';

/** A C identifier: node names become part of generated C (array names, step labels). */
const identifier = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'use letters, digits and "_" (starting with a letter or "_")');
/** `node.arg`: an array of a node. */
const arrayRef = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*$/, 'expected NODE.ARRAY, e.g. "ln.Y"');

export const workloadNodeSchema = z.strictObject({
  target: z.string().min(1, 'expected a shipped target name or a target folder (relative to this file)'),
  sizes: z.record(z.string(), z.number().int().positive()),
  rows: identifier.optional().meta({ description: 'a size symbol whose rows are independent: plans may split the node along it' }),
});

export const workloadEdgeSchema = z.strictObject({
  from: arrayRef,
  to: arrayRef,
  reshape: z.boolean().default(false),
});

export const workloadSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z_][\w-]*$/, 'use letters, digits, "_" or "-"'),
  description: z.string().default(''),
  nodes: z.record(identifier, workloadNodeSchema).refine((n) => Object.keys(n).length > 0, 'expected at least one node'),
  edges: z.array(workloadEdgeSchema).default([]),
  outputs: z.array(arrayRef).min(1).optional(),
});

export type WorkloadYaml = z.infer<typeof workloadSchema>;
