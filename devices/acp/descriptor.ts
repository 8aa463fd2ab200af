import { z } from 'zod';
import { didYouMean, UserError } from '../../common/index.js';
import type { DeviceProfile, Fingerprint } from '../device.js';
import { ACP_VERSION, acpSchema, type AcpDescriptor } from './schema.js';

/** A descriptor refused: one line naming where it came from, the field and what is wrong. */
export class DescriptorError extends UserError {
  override readonly name = 'DescriptorError';
  constructor(
    readonly source: string,
    readonly path: string,
    readonly problem: string,
  ) {
    super(oneLine(`${source}: acp descriptor: ${path ? `${path}: ` : ''}${problem}`));
  }
}

export interface DescribeOptions {
  /** HP1: the device's measured profile (no new measurement is made). */
  profile: DeviceProfile;
  /** The device's fingerprint now (default: the profile's). */
  fingerprint?: Fingerprint;
  compilers: { name: string; version: string }[];
  /** The sandbox layers applied to candidates here, and those missing. */
  sandbox: { applied: string[]; missing: string[] };
  kloopVersion: string;
  /** The host's measured link to a fleet's coordinator (absent for the local device). */
  link?: AcpDescriptor['link'];
  /** Facts of the kind beyond the common fields, merged with what the profile has (a GPU's). */
  extensions?: Record<string, z.core.util.JSONType>;
}

/** The ACP descriptor of a device, from its HP1 profile; validated, so what it returns parses. */
export function describeDevice(o: DescribeOptions): AcpDescriptor {
  const { profile: p } = o;
  const fp = o.fingerprint ?? p.fingerprint;
  const gpu = p.gpu;
  const extensions = {
    ...(gpu ? { cuda: { computeCapability: gpu.computeCapability, memoryMb: gpu.memoryMb, l2Bytes: gpu.l2Bytes, driver: gpu.driver, runtime: gpu.runtime, nvcc: gpu.nvcc } } : {}),
    ...o.extensions,
  };
  const descriptor = {
    acp: ACP_VERSION,
    fingerprint: { id: fp.id, kind: fp.kind, model: fp.model, cores: fp.cores, flagsHash: fp.flagsHash, compiler: fp.compiler },
    kind: fp.kind,
    model: gpu?.name ?? fp.model,
    units: gpu ? { count: gpu.sms, name: 'SMs' } : { count: fp.cores, name: 'cores' },
    peaks: { fp32: { ...p.gflops.fp32 }, fp64: { ...p.gflops.fp64 } },
    memory: { levels: p.levels.map((l) => ({ name: l.name, bytes: l.bytes, shared: l.shared, gbs: { one: l.gbs.one, all: l.gbs.all } })) },
    compilers: o.compilers.map((c) => ({ name: c.name, version: c.version })),
    sandbox: { applied: [...o.sandbox.applied], missing: [...o.sandbox.missing] },
    ...(o.link ? { link: o.link } : {}),
    kloop: o.kloopVersion,
    measuredAt: p.measuredAt,
    ...(Object.keys(extensions).length ? { extensions } : {}),
  };
  return parseDescriptor(descriptor, `device ${fp.id}`);
}

/**
 * Validate a descriptor (a parsed value, or JSON text) from `source` (a file, "worker gpu-3"):
 * the descriptor, or a DescriptorError whose message is one line, e.g.
 * `worker gpu-3: acp descriptor: peaks.fp32.all: expected a number, got "fast"`.
 */
export function parseDescriptor(json: unknown, source: string): AcpDescriptor {
  let value = json;
  if (typeof json === 'string') {
    try {
      value = JSON.parse(json);
    } catch (e) {
      throw new DescriptorError(source, '', `not JSON (${(e as Error).message})`);
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new DescriptorError(source, '', `expected an object, got ${show(value)}`);
  const version = (value as { acp?: unknown }).acp;
  if (typeof version === 'number' && Number.isInteger(version) && version > ACP_VERSION) throw new DescriptorError(source, 'acp', `version ${version} is newer than this kloop reads (version ${ACP_VERSION}); upgrade kloop`);
  const parsed = acpSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  // A misspelt key also makes its right spelling "missing": report the unknown key first.
  const issue = parsed.error.issues.find((i) => i.code === 'unrecognized_keys') ?? parsed.error.issues[0];
  const path = issue.path as PropertyKey[];
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0];
    const allowed = keysAt(path);
    throw new DescriptorError(source, formatPath([...path, key]), `unknown key${didYouMean(key, allowed)}; allowed here: ${allowed.join(', ')}${path.length ? '' : ' (anything else goes under extensions)'}`);
  }
  throw new DescriptorError(source, formatPath(path), problem(issue, at(value, path)));
}

/** What is wrong, in words, with what was there. */
function problem(issue: z.core.$ZodIssue, got: unknown): string {
  switch (issue.code) {
    case 'invalid_type':
      if (got === undefined) return `missing (expected ${article(issue.expected)})`;
      return `expected ${article(issue.expected)}, got ${show(got)}`;
    case 'too_small':
      if (issue.origin === 'array') return `expected at least ${String(issue.minimum)} entr${issue.minimum === 1 ? 'y' : 'ies'}, got none`;
      if (issue.origin === 'string') return `expected a non-empty string, got ${show(got)}`;
      return `expected a number ${issue.inclusive ? '>=' : '>'} ${String(issue.minimum)}, got ${show(got)}`;
    case 'too_big':
      return `expected a number ${issue.inclusive ? '<=' : '<'} ${String(issue.maximum)}, got ${show(got)}`;
    case 'invalid_format':
      return `${issue.format === 'datetime' ? 'expected an ISO 8601 date and time (2026-01-31T02:00:00Z)' : issue.message}, got ${show(got)}`;
    case 'invalid_key':
      return `${issue.issues[0]?.message ?? 'invalid key'}, got ${show(issue.path.at(-1))}`;
    case 'invalid_union':
      return `expected a JSON value, got ${show(got)}`;
    case 'invalid_value':
      return `${issue.message}, got ${show(got)}`;
    default:
      return issue.message;
  }
}

function article(expected: string): string {
  if (expected === 'int') return 'an integer';
  if (expected === 'record') return 'an object';
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

/** A value as it appeared, short: `"fast"`, `12`, `null`, `an array`. */
function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object' && v !== null) return 'an object';
  const s = typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || v === null ? JSON.stringify(v) : typeof v;
  return s.length > 48 ? `${s.slice(0, 45)}...` : s;
}

function at(value: unknown, path: readonly PropertyKey[]): unknown {
  let v = value;
  for (const k of path) v = typeof v === 'object' && v !== null ? (v as Record<PropertyKey, unknown>)[k] : undefined;
  return v;
}

/** `peaks.fp32.all`, `memory.levels[2].gbs`, `extensions["odd key"]`. */
function formatPath(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : /^[A-Za-z_$][\w$-]*$/.test(String(p)) ? `${i ? '.' : ''}${String(p)}` : `[${show(String(p))}]`)).join('');
}

/** The keys the strict object at `path` accepts (for "did you mean"). */
function keysAt(path: readonly PropertyKey[]): string[] {
  let s: z.ZodType | undefined = acpSchema;
  const unwrap = () => {
    while (s instanceof z.ZodOptional) s = s.unwrap() as z.ZodType;
  };
  for (const key of path) {
    unwrap();
    if (s instanceof z.ZodObject) s = (s.shape as Record<string, z.ZodType>)[String(key)];
    else if (s instanceof z.ZodArray) s = s.element as z.ZodType;
    else if (s instanceof z.ZodRecord) s = s.valueType as z.ZodType;
    else return [];
  }
  unwrap();
  return s instanceof z.ZodObject ? Object.keys(s.shape) : [];
}

/** Whatever came in (a worker's name, a key) stays on one line. */
function oneLine(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ');
}
