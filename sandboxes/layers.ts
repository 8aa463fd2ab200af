/**
 * The isolation layers. Each is used on its own merits wherever it works (a set, not a prefix):
 * a user who is not root gets namespaces, seccomp and rlimits even though the uid layer needs root.
 * The order is only the order they are listed in, and what `sandbox.level` / `min_level` count up to.
 */
export const LAYERS = ['process', 'uid', 'namespaces', 'seccomp', 'cgroups'] as const;
export type Layer = (typeof LAYERS)[number];
/** The old name, kept for `sandbox.level` and `min_level`. */
export type Level = Layer;
/** The old name of the list. */
export const LEVELS = LAYERS;

export interface LayerReport {
  layer: Layer;
  /** In a probe: the layer works here. In a sandbox's report: it is applied to candidates. */
  ok: boolean;
  /** What it gives; or why it is missing, what stands in for it, and the fix (one line). */
  detail: string;
  /** What to do to have it (missing layers only). */
  fix?: string;
}

export function levelRank(l: Layer): number {
  return LAYERS.indexOf(l);
}

/** One line for a missing layer: why, then the fix. */
export function missingLine(why: string, fix: string): string {
  return `${why}; fix: ${fix}`;
}

/**
 * The layers a workflow demands: `require` as listed, plus for the old `min_level: X` every layer
 * up to X that can apply to this user (`uid` only when kloop is root; `process` is always there).
 */
export function requiredLayers(cfg: { require?: readonly Layer[]; min_level?: Layer }, root: boolean): Layer[] {
  const want = new Set<Layer>(cfg.require ?? []);
  if (cfg.min_level) for (const l of LAYERS.slice(1, levelRank(cfg.min_level) + 1)) if (l !== 'uid' || root) want.add(l);
  return LAYERS.filter((l) => want.has(l));
}

/** The one line a run stops with when a required layer is not applied (undefined: all there). */
export function requirementProblem(report: readonly LayerReport[], required: readonly Layer[], where: string): string | undefined {
  const missing = report.filter((l) => required.includes(l.layer) && !l.ok);
  if (!missing.length) return undefined;
  if (missing.length === 1) return `${where} requires the sandbox layer ${missing[0].layer}, missing here: ${missing[0].detail}`;
  return `${where} requires the sandbox layers ${missing.map((l) => l.layer).join(', ')}, missing here: ${missing.map((l) => `${l.layer}: ${l.detail}`).join(' | ')}`;
}

/** "namespaces + seccomp + process applied to candidates; missing: uid, cgroups". */
export function layersLine(report: readonly LayerReport[]): string {
  const on = report.filter((l) => l.ok).map((l) => l.layer);
  const off = report.filter((l) => !l.ok).map((l) => l.layer);
  return `${on.length ? on.join(' + ') : 'process group and timeout only'} applied to candidates${off.length ? `; missing: ${off.join(', ')}` : ''}`;
}
