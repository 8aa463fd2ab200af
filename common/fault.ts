/**
 * Crash points for the crash-safety script (bench/crash-safety.ts): with KLOOP_FAULT="NAME:N" the
 * process kills itself with SIGKILL the Nth time it reaches the point NAME, after `half` has run (a
 * line written half way, a commit object written but its branch not moved). Unset, a point costs
 * one comparison.
 */
const spec = /^([a-z-]+):(\d+)$/.exec(process.env.KLOOP_FAULT ?? '');
let reached = 0;

export function faultPoint(name: string, half?: () => void): void {
  if (!spec || spec[1] !== name || ++reached !== Number(spec[2])) return;
  half?.();
  process.kill(process.pid, 'SIGKILL');
}
