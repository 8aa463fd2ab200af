import { render } from 'ink';
import type { KloopEvent } from '../loop/index.js';
import { LiveDashboard, type Subscribe, type WatchWorkers } from '../tui/live.js';

/** The dashboard of the run in this process: events are pushed in; the view never drives the loop. With `workers`, a fleet's workers too. */
export function liveRun(o: { workers?: WatchWorkers } = {}): { push: (e: KloopEvent) => void; stop: () => void } {
  const listeners = new Set<(e: KloopEvent & { ts?: string }) => void>();
  const backlog: KloopEvent[] = [];
  const subscribe: Subscribe = (l) => {
    listeners.add(l);
    backlog.splice(0).forEach(l);
    return () => listeners.delete(l);
  };
  const app = render(<LiveDashboard subscribe={subscribe} quitKey={false} workers={o.workers} />);
  return {
    push: (e) => {
      const stamped = { ...e, ts: new Date().toISOString() };
      if (listeners.size) listeners.forEach((l) => l(stamped));
      else backlog.push(stamped);
    },
    stop: () => app.unmount(),
  };
}
