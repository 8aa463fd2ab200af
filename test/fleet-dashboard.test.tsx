import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import type { KloopEvent } from '../loop/index.js';
import { Dashboard, type WorkerView } from '../tui/dashboard.js';
import { emptyDashboard } from '../tui/dashboard-state.js';
import { LiveDashboard, type WatchWorkers } from '../tui/live.js';

const strip = (s: string | undefined) => (s ?? '').replace(/\x1b\[[0-9;]*m/g, '');
const w1: WorkerView = { id: 'gpu-host-1', deviceClass: 'h100', model: 'NVIDIA H100', running: ['sgemm-r3-c2'], done: 14, beatAgoS: 1.2 };
const w2: WorkerView = { id: 'cpu-box', deviceClass: 'cpu', model: 'AMD EPYC', running: [], done: 3, beatAgoS: 95 };

describe('the dashboard in a fleet', () => {
  it('shows each worker: its class, what it runs, jobs done, its last heartbeat (stale past a minute) and device', () => {
    const frame = strip(render(<Dashboard state={emptyDashboard()} workers={[w1, w2]} />).lastFrame());
    expect(frame).toContain('fleet workers');
    expect(frame).toMatch(/gpu-host-1 +h100 +running sgemm-r3-c2 · 14 done · heartbeat 1 s ago · NVIDIA H100/);
    expect(frame).toMatch(/cpu-box +cpu +idle · 3 done · heartbeat 95 s ago \(stale\) · AMD EPYC/);
    expect(strip(render(<Dashboard state={emptyDashboard()} workers={[]} />).lastFrame())).toContain('none with a heartbeat yet');
    expect(strip(render(<Dashboard state={emptyDashboard()} />).lastFrame())).not.toContain('fleet workers');
  });

  it('the live dashboard follows the workers as they change', async () => {
    let push: (w: WorkerView[]) => void = () => undefined;
    const watch: WatchWorkers = (listener) => {
      push = listener;
      return () => (push = () => undefined);
    };
    const subscribe = (_: (e: KloopEvent) => void) => () => undefined;
    const app = render(<LiveDashboard subscribe={subscribe} quitKey={false} workers={watch} />);
    const frame = async () => {
      await new Promise((r) => setTimeout(r, 50));
      return strip(app.lastFrame());
    };
    expect(await frame()).toContain('none with a heartbeat yet');
    push([w1]);
    expect(await frame()).toMatch(/gpu-host-1 +h100 +running sgemm-r3-c2/);
    push([{ ...w1, running: [], done: 15 }]);
    expect(await frame()).toMatch(/gpu-host-1 +h100 +idle · 15 done/);
    app.unmount();
  });
});
