import type { Size } from '../targets/index.js';
import type { Distribution } from './inputs.js';

/** Which gate stopped a candidate. */
export type Layer = 'build' | 'run' | 'bounds' | 'inputs' | 'compare';

export interface CaseRecord {
  size: Size;
  distribution: Distribution;
  seed: number;
  /** Chosen by the verifier and never shown to writers. */
  hidden: boolean;
  ok: boolean;
  ms: number;
}

export interface Reproducer {
  size: Size;
  seed: number;
  distribution: Distribution;
  array?: string;
  index?: number[];
  got?: number;
  expected?: number;
  tolerance?: number;
}

export interface Verdict {
  /** `tested`: every check passed. `rejected`: one failed (issue #4 adds `proved`). */
  status: 'tested' | 'rejected';
  layer?: Layer;
  /** One line a person (or a writer) can act on. */
  reason?: string;
  /** Log excerpt (compiler output, stderr). */
  detail?: string;
  reproducer?: Reproducer;
  cases: CaseRecord[];
  /** Largest |error| / tolerance seen over all checked elements (1.0 = at the bound). */
  maxErrorRatio: number;
}

/** What a writer may be told: hidden sizes and seeds stay hidden. */
export function publicFeedback(v: Verdict): string {
  if (v.status !== 'rejected') return `accepted by the verifier (${v.cases.length} checks)`;
  const hidden = v.reproducer && v.cases.find((c) => !c.ok)?.hidden;
  const where = v.reproducer && !hidden ? ` at size ${JSON.stringify(v.reproducer.size)}` : hidden ? ' at a size the verifier chose (not disclosed)' : '';
  return `rejected (${v.layer}): ${v.reason}${where}${v.detail ? `\n${v.detail.slice(0, 2000)}` : ''}`;
}
