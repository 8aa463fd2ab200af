import type { Size } from '../targets/index.js';
import type { Distribution } from './inputs.js';

import type { ProofResult } from './proof.js';

/** Which gate stopped a candidate. */
export type Layer = 'build' | 'static' | 'race' | 'size-paths' | 'run' | 'bounds' | 'inputs' | 'compare' | 'determinism' | 'stale-state' | 'fp-env' | 'sanitizer' | 'proof' | 'timed-output' | 'roofline';

export interface CaseRecord {
  size: Size;
  distribution: Distribution;
  seed: number;
  /** Chosen by the verifier and never shown to writers. */
  hidden: boolean;
  ok: boolean;
  ms: number;
  /** OpenMP threads the case ran with (absent: the machine's count). */
  threads?: number;
}

export interface Reproducer {
  size: Size;
  seed: number;
  distribution: Distribution;
  /** OpenMP threads of the failing run (absent: the machine's count). */
  threads?: number;
  /** The harness's per-process seed (poison, alignment, guard contents), hex. */
  harnessSeed?: string;
  array?: string;
  index?: number[];
  got?: number;
  expected?: number;
  tolerance?: number;
}

/** What every verdict carries: the checks run and what they found. */
interface VerdictBase {
  /** The layers that ran, in order. */
  layers?: string[];
  /** Wall time each layer took (ms). */
  layerMs?: Record<string, number>;
  proof?: ProofResult;
  cases: CaseRecord[];
  /** Largest |error| / tolerance seen over all checked elements (1.0 = at the bound). */
  maxErrorRatio: number;
}

/** `proved`: the bounded proof and every test passed; `tested`: tests only (proof.reason says why the proof did not apply). */
export interface Accepted extends VerdictBase {
  status: 'proved' | 'tested';
}

/** A layer failed: which one (as data), why in one line, and what reproduces it. */
export interface Rejected extends VerdictBase {
  status: 'rejected';
  layer: Layer;
  /** One line a person (or a writer) can act on. */
  reason: string;
  /** Line of the source the finding is about (static gate). */
  line?: number;
  /** Log excerpt (compiler output, stderr). */
  detail?: string;
  reproducer?: Reproducer;
}

export type Verdict = Accepted | Rejected;

/** What a writer may be told: hidden sizes and seeds stay hidden. */
export function publicFeedback(v: Verdict): string {
  if (v.status !== 'rejected') return `accepted by the verifier (${v.cases.length} checks, ${v.status})`;
  const hidden = v.reproducer && v.cases.find((c) => !c.ok)?.hidden;
  const where = v.reproducer && !hidden ? ` at size ${JSON.stringify(v.reproducer.size)}` : hidden ? ' at a size the verifier chose (not disclosed)' : '';
  return `rejected (${v.layer}): ${v.reason}${v.line ? ` (line ${v.line})` : ''}${where}${v.detail ? `\n${v.detail.slice(0, 2000)}` : ''}`;
}
