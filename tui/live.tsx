import { useApp, useInput } from 'ink';
import { useEffect, useState } from 'react';
import type { KloopEvent } from '../loop/index.js';
import { Dashboard } from './dashboard.js';
import { emptyDashboard, reduce, type DashboardState } from './dashboard-state.js';

export type Subscribe = (listener: (e: KloopEvent & { ts?: string }) => void) => () => void;

/** The dashboard fed by a stream of events (a live run, or a journal being followed). */
export function LiveDashboard({ subscribe, initial, quitKey = true }: { subscribe: Subscribe; initial?: DashboardState; quitKey?: boolean }) {
  const { exit } = useApp();
  const [state, setState] = useState<DashboardState>(initial ?? emptyDashboard());
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
  return <Dashboard state={state} now={state.ended ? state.now : now} />;
}
