import { z } from 'zod';

/**
 * ACP device descriptors, version 1: what a device is and what it can do, as JSON. Built from the
 * HP1 profile (`describeDevice`), read back with `parseDescriptor`; a fleet's workers publish one
 * each. Every object is strict (an unknown key is refused) except `extensions`, where a device kind
 * kloop does not know yet puts whatever else it has to say. `acp` is the major version: a change an
 * older reader cannot ignore bumps it, and such a descriptor is refused by name.
 */
export const ACP_VERSION = 1;

/** The kinds kloop knows; each must state its fp32 and fp64 peaks. Any other lowercase identifier is a valid future kind. */
export const KNOWN_KINDS = ['cpu', 'cuda'] as const;
const REQUIRED_PEAKS = ['fp32', 'fp64'] as const;

const IDENTIFIER = /^[a-z][a-z0-9_-]*$/;
const identifier = (what: string) => z.string().regex(IDENTIFIER, `expected ${what}: a lowercase identifier (a-z, 0-9, -, _)`);
const positive = (what: string) => z.number().positive().meta({ description: what });
const timestamp = z.iso.datetime({ offset: true });

/** `one` for a single unit (core, SM, tile), `all` for the whole device. */
const perUnit = (unit: string) =>
  z.strictObject({
    one: positive(`${unit}, one unit (core, SM …)`),
    all: positive(`${unit}, the whole device`),
  });

export const fingerprintSchema = z
  .strictObject({
    id: z.string().min(1).meta({ description: 'what memory keys profiles, baselines and insights by: results transfer only between equal ids' }),
    kind: identifier('a device kind'),
    model: z.string().min(1),
    cores: z.number().int().min(1).meta({ description: 'threads (CPU) the fingerprint was taken with; 1 on a GPU' }),
    flagsHash: z.string(),
    compiler: z.string().min(1),
  })
  .meta({ description: "the device's fingerprint, as kloop's memory keys it" });

export const memoryLevelSchema = z.strictObject({
  name: z.string().min(1).meta({ description: 'L1, L2, L3 …, DRAM last (device memory on a GPU)' }),
  bytes: z.number().int().nonnegative().meta({ description: "capacity: a private level's share of one unit, a shared level's whole size; the last level the machine's memory" }),
  shared: z.boolean().meta({ description: 'shared by all units (else private to each)' }),
  gbs: perUnit('measured GB/s'),
});

export const acpSchema = z
  .strictObject({
    acp: z.literal(ACP_VERSION, { error: `expected ${ACP_VERSION} (the ACP format version this kloop reads)` }).meta({ description: 'format major version' }),
    fingerprint: fingerprintSchema,
    kind: identifier('a device kind').meta({ description: 'cpu, cuda, or any future kind (npu, rocm …)' }),
    model: z.string().min(1),
    units: z
      .strictObject({
        count: z.number().int().min(1),
        name: z.string().min(1).meta({ description: 'cores, SMs, or what a future kind calls them' }),
      })
      .meta({ description: 'the parallel units the device has' }),
    peaks: z.record(identifier('a precision name such as fp32'), perUnit('measured GFLOP/s')).meta({ description: 'measured GFLOP/s per precision (fp32, fp64, and any other: int8, bf16 …); known kinds state fp32 and fp64' }),
    memory: z
      .strictObject({
        levels: z.array(memoryLevelSchema).min(1).meta({ description: 'fastest first, DRAM last; cache sizes are the levels’ bytes' }),
      })
      .meta({ description: 'the memory hierarchy with measured bandwidth per level' }),
    compilers: z.array(z.strictObject({ name: z.string().min(1), version: z.string().min(1) })).meta({ description: 'the compilers candidates are built with on this device' }),
    sandbox: z
      .strictObject({
        applied: z.array(identifier('a sandbox layer')),
        missing: z.array(identifier('a sandbox layer')),
      })
      .meta({ description: 'the sandbox layers applied to candidates here, and those missing' }),
    link: z
      .strictObject({
        gbs: positive('GB/s to the coordinator'),
        rttMs: z.number().nonnegative().meta({ description: 'round trip to the coordinator, ms' }),
        measuredAt: timestamp,
      })
      .optional()
      .meta({ description: "the host's measured link to the fleet's coordinator; absent for the local device" }),
    kloop: z.string().min(1).meta({ description: 'the kloop version that wrote the descriptor' }),
    measuredAt: timestamp.meta({ description: 'when the profile behind it was measured' }),
    extensions: z.record(z.string(), z.json()).optional().meta({ description: 'free-form JSON per kind or vendor (e.g. cuda: compute capability, driver): what a future kind has to add' }),
  })
  .superRefine((d, ctx) => {
    if (d.fingerprint.kind !== d.kind) ctx.addIssue({ code: 'custom', path: ['fingerprint', 'kind'], message: `expected "${d.kind}" (the descriptor's kind), got ${JSON.stringify(d.fingerprint.kind)}` });
    if ((KNOWN_KINDS as readonly string[]).includes(d.kind)) for (const p of REQUIRED_PEAKS) if (!d.peaks[p]) ctx.addIssue({ code: 'custom', path: ['peaks', p], message: `missing: a ${d.kind} descriptor states its ${p} peak` });
  })
  .meta({ title: 'kloop ACP device descriptor', description: 'What a device is and what it can do (version 1); see README "Device descriptors (ACP)"' });

export type AcpDescriptor = z.infer<typeof acpSchema>;

/**
 * The JSON Schema of the format (devices/acp/acp.schema.json is this, committed): zod's rendering
 * plus the one cross-field rule JSON Schema can say (known kinds state fp32 and fp64 peaks). That
 * `fingerprint.kind` equals `kind` only the validator checks.
 */
export function acpJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(acpSchema, { target: 'draft-2020-12' }) as Record<string, unknown>;
  return {
    ...schema,
    allOf: [{ if: { properties: { kind: { enum: [...KNOWN_KINDS] } }, required: ['kind'] }, then: { properties: { peaks: { required: [...REQUIRED_PEAKS] } } } }],
  };
}
