import { Box, Text } from 'ink';
import { sparkline, type DashboardState } from './dashboard-state.js';
import { allocation } from './event-line.js';

const mmss = (ms: number) => `${Math.floor(ms / 60000)}:${String(Math.floor((ms % 60000) / 1000)).padStart(2, '0')}`;

/** A fleet worker as the dashboard shows it: what it runs now, how many jobs it did, its last heartbeat. */
export interface WorkerView {
  id: string;
  deviceClass: string;
  model: string;
  running: string[];
  done: number;
  beatAgoS: number;
}

/** The live view of a run: budget, per-target progress with sparklines, candidates in flight, last events; in a fleet, its workers. */
export function Dashboard({ state: s, now, workers }: { state: DashboardState; now?: number; workers?: WorkerView[] }) {
  const elapsed = s.startedAt ? (now ?? s.now) - s.startedAt : 0;
  const left = s.minutes ? Math.max(0, s.minutes * 60000 - elapsed) : undefined;
  return (
    <Box flexDirection="column">
      <Text bold>
        kloop run {s.runId ?? '…'} {s.ended ? `— ended: ${s.ended}` : ''}
      </Text>
      <Text>
        elapsed {mmss(elapsed)}
        {left !== undefined ? ` · remaining ${mmss(left)}` : ''}
        {s.rounds ? ` · ${s.rounds} rounds per target` : ''} · ${s.spentUsd.toFixed(4)}
        {s.budgetUsd ? ` of $${s.budgetUsd} (${Math.max(0, s.budgetUsd - s.spentUsd).toFixed(4)} left)` : ''} ({s.tokens} tokens) · {s.candidates} candidates, {s.keeps} kept
      </Text>
      {s.workflow && (
        <Text wrap={s.workflow.ok ? 'truncate-end' : 'wrap'} color={s.workflow.ok ? undefined : 'red'}>
          workflow: {s.workflow.line}
        </Text>
      )}
      {s.policy && (
        <Text wrap="truncate-end">
          policy: {allocation(s.policy.arms)}
          {s.policy.target ? ` → ${s.policy.target} (${s.policy.why})` : ` → no round (${s.policy.why})`}
        </Text>
      )}
      <Box flexDirection="column" marginTop={1}>
        {s.targets.map((t) => (
          <Text key={t.name}>
            {t.name.padEnd(10)} {`${t.best.toFixed(2)}x`.padStart(9)} {sparkline(t.history).padEnd(16)} round {t.round}
            {t.roof ? ` · ${t.roof}` : ''}
            {t.measured ? (t.measured.pairs ? ` · measured vs reference, 95% CI ${t.measured.ciLow.toFixed(2)}-${t.measured.ciHigh.toFixed(2)}` : ' · the reference') : t.history.length > 1 ? ' · chained estimate' : ''}
            {t.stopped ? ` · stopped: ${t.stopped}` : ''}
          </Text>
        ))}
      </Box>
      {s.inFlight.length > 0 && (
        <Box flexDirection="column" marginTop={1}>
          <Text dimColor>in flight</Text>
          {s.inFlight.map((c) => (
            <Text key={c.id}>
              {'  '}
              {c.id.padEnd(22)} {c.state}
            </Text>
          ))}
        </Box>
      )}
      {workers && (
        <Box flexDirection="column" marginTop={1}>
          <Text dimColor>fleet workers</Text>
          {workers.length ? (
            workers.map((w) => (
              <Text key={w.id} wrap="truncate-end">
                {'  '}
                {w.id.padEnd(16)} {w.deviceClass.padEnd(6)} {w.running.length ? `running ${w.running.join(', ')}` : 'idle'} · {w.done} done · heartbeat {w.beatAgoS.toFixed(0)} s ago
                {w.beatAgoS > 60 ? ' (stale)' : ''} · {w.model}
              </Text>
            ))
          ) : (
            <Text>{'  '}none with a heartbeat yet</Text>
          )}
        </Box>
      )}
      <Box flexDirection="column" marginTop={1}>
        <Text dimColor>last events</Text>
        {s.events.map((l, i) => (
          <Text key={i} wrap="truncate-end">
            {'  '}
            {l}
          </Text>
        ))}
      </Box>
    </Box>
  );
}
