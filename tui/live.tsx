import { useApp, useInput } from 'ink';
import { useEffect, useState } from 'react';
import type { KloopEvent } from '../loop/index.js';
import { Dashboard, type WorkerView } from './dashboard.js';
import { emptyDashboard, reduce, type DashboardState } from './dashboard-state.js';

export type Subscribe = (listener: (e: KloopEvent & { ts?: string }) => void) => () => void;
/** A fleet's workers as they change (a run on a fleet): the listener gets the whole list each time. */
export type WatchWorkers = (listener: (workers: WorkerView[]) => void) => () => void;

/** The dashboard fed by a stream of events (a live run, or a journal being followed). */
export function LiveDashboard({ subscribe, initial, quitKey = true, workers: watchWorkers }: { subscribe: Subscribe; initial?: DashboardState; quitKey?: boolean; workers?: WatchWorkers }) {
  const { exit } = useApp();
  const [state, setState] = useState<DashboardState>(initial ?? emptyDashboard());
  const [workers, setWorkers] = useState<WorkerView[] | undefined>(watchWorkers ? [] : undefined);
  useEffect(() => watchWorkers?.(setWorkers), [watchWorkers]);
  const [now, setNow] = useState(Date.now());
  useEffect(() => subscribe((e) => setState((s) => reduce(s, e))), [subscribe]);
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);
  useInput(
    (input) => {
      if (quitKey && input === 'q') exit();
    },
    { isActive: quitKey && !!process.stdin.isTTY },
  );
  return <Dashboard state={state} now={state.ended ? state.now : now} workers={workers} />;
}
