import { Box, Text, useApp, useInput, useStdout } from 'ink';
import { useEffect, useRef, useState } from 'react';
import type { KeptPlan, Winner } from '../memory/index.js';
import { diffLines, type DiffRow } from '../review/index.js';
import { PlanDetail, planRowText } from './review-plan.js';

/** What the review screen can do; the CLI wires these to memory and git. */
export interface ReviewActions {
  load(): Promise<Winner[]>;
  approve(w: Winner): Promise<string>;
  reject(w: Winner, reason: string): Promise<string>;
  edit?(w: Winner): Promise<void>;
  /** Kept CEP plans, reviewed in the same queue (approve writes and commits the plan, reject records why). */
  plans?: {
    load(): Promise<KeptPlan[]>;
    approve(p: KeptPlan): Promise<string>;
    reject(p: KeptPlan, reason: string): Promise<string>;
  };
}

/** One entry of the queue: a kept kernel or a kept plan. */
type Item = { kind: 'kernel'; winner: Winner; at: string } | { kind: 'plan'; plan: KeptPlan; at: string };

const KEYS = '↑/↓ move · enter open · a approve · r reject · d diff · e edit · q quit';
const x = (n: number | undefined, d = 2) => (n === undefined || !Number.isFinite(n) ? '?' : n.toFixed(d));

function DiffView({ rows, offset, height, wide }: { rows: DiffRow[]; offset: number; height: number; wide: boolean }) {
  const shown = rows.slice(offset, offset + height);
  const color = (k: DiffRow['kind']) => (k === '+' ? 'green' : k === '-' ? 'red' : undefined);
  if (!wide)
    return (
      <Box flexDirection="column">
        {shown.map((r, i) => (
          <Text key={i} color={color(r.kind)}>
            {r.kind} {r.text}
          </Text>
        ))}
      </Box>
    );
  return (
    <Box flexDirection="column">
      {shown.map((r, i) => (
        <Box key={i}>
          <Box width="50%">
            <Text color={r.kind === '-' ? 'red' : undefined}>{r.kind === '+' ? '' : `${r.kind === '-' ? '-' : ' '} ${r.text}`}</Text>
          </Box>
          <Box width="50%">
            <Text color={r.kind === '+' ? 'green' : undefined}>{r.kind === '-' ? '' : `${r.kind === '+' ? '+' : ' '} ${r.text}`}</Text>
          </Box>
        </Box>
      ))}
    </Box>
  );
}

/** The reviewer's queue: kept winners, their evidence and diff, and the decision keys. */
export function ReviewApp({ actions, height = 18 }: { actions: ReviewActions; height?: number }) {
  const { exit } = useApp();
  const { stdout } = useStdout();
  const [items, setItems] = useState<Item[] | undefined>();
  const [index, setIndex] = useState(0);
  const [open, setOpen] = useState(false);
  const [showDiff, setShowDiff] = useState(true);
  const [offset, setOffset] = useState(0);
  // Keystrokes can arrive faster than renders: the reason being typed lives in a ref.
  const typed = useRef<string | undefined>(undefined);
  const [reason, setReasonState] = useState<string | undefined>();
  const setReason = (r: string | undefined) => {
    typed.current = r;
    setReasonState(r);
  };
  const [message, setMessage] = useState('');
  const [busy, setBusy] = useState(false);

  // Kernels and plans together, newest first (a stable sort keeps each loader's order among equals).
  const reload = async () => {
    const [winners, plans] = await Promise.all([actions.load(), actions.plans?.load() ?? []]);
    const all: Item[] = [...winners.map((w) => ({ kind: 'kernel' as const, winner: w, at: w.at })), ...plans.map((p) => ({ kind: 'plan' as const, plan: p, at: p.at }))];
    setItems(plans.length ? all.sort((a, b) => b.at.localeCompare(a.at)) : all);
  };
  useEffect(() => {
    void reload();
  }, []);

  const item = items?.[index];
  const current = item?.kind === 'kernel' ? item.winner : undefined;
  const plan = item?.kind === 'plan' ? item.plan : undefined;
  const rows = current ? diffLines(current.previousSource, current.source) : [];
  const decide = async (fn: () => Promise<string>) => {
    setBusy(true);
    try {
      setMessage(await fn());
    } catch (e) {
      setMessage(`error: ${(e as Error).message}`);
    }
    await reload();
    setIndex((i) => Math.max(0, Math.min(i, (items?.length ?? 1) - 2)));
    setOffset(0);
    setBusy(false);
  };

  useInput((input, key) => {
    if (busy) return;
    const text = typed.current;
    if (text !== undefined) {
      if (key.escape) setReason(undefined);
      else if (key.return && item && text.trim()) {
        setReason(undefined);
        void decide(() => (plan ? actions.plans!.reject(plan, text.trim()) : actions.reject(current!, text.trim())));
      } else if (key.backspace || key.delete) setReason(text.slice(0, -1));
      else if (input && !key.ctrl && !key.meta) setReason(text + input);
      return;
    }
    if (input === 'q') exit();
    else if (key.upArrow || input === 'k') open && showDiff ? setOffset((o) => Math.max(0, o - 1)) : setIndex((i) => Math.max(0, i - 1));
    else if (key.downArrow || input === 'j') open && showDiff ? setOffset((o) => Math.min(Math.max(0, rows.length - height), o + 1)) : setIndex((i) => Math.min((items?.length ?? 1) - 1, i + 1));
    else if (key.return) setOpen((o) => !o);
    else if (input === 'd') setShowDiff((s) => !s);
    else if (input === 'a' && item) void decide(() => (plan ? actions.plans!.approve(plan) : actions.approve(current!)));
    else if (input === 'r' && item) setReason('');
    else if (input === 'e' && current && actions.edit) void actions.edit(current).then(reload);
  });

  if (!items) return <Text>loading the review queue…</Text>;
  const kept = items.filter((i) => i.kind === 'plan').length;
  return (
    <Box flexDirection="column">
      <Text bold>
        kloop review — {items.length - kept} winner(s){kept ? ` and ${kept} plan(s)` : ''} to review
      </Text>
      <Text dimColor>{KEYS}</Text>
      {items.length === 0 && <Text>Nothing to review.</Text>}
      {items.map((it, i) =>
        it.kind === 'plan' ? (
          <Text key={`${it.plan.workload}@${it.plan.devices}@${it.at}`} inverse={i === index}>
            {i === index ? '›' : ' '} {planRowText(it.plan)}
          </Text>
        ) : (
          <Text key={it.winner.candidateId} inverse={i === index}>
            {i === index ? '›' : ' '} {it.winner.target.padEnd(10)} {x(it.winner.speedup)}x (CI {x(it.winner.ciLow)}-{x(it.winner.ciHigh)}) ~{x(it.winner.vsReference, 1)}x vs ref (chained) {it.winner.candidateId} [{it.winner.verdict}]
          </Text>
        ),
      )}
      {plan && open && <PlanDetail plan={plan} showSteps={showDiff} />}
      {current && open && (
        <Box flexDirection="column" borderStyle="round" paddingX={1}>
          <Text>
            <Text bold>{current.target}</Text> on {current.device}: {x(current.speedup)}x, 95% CI {x(current.ciLow)}-{x(current.ciHigh)}; {x(current.gflopsBefore)} → {x(current.gflopsAfter)} GFLOP/s; {x(current.pctRoofBefore, 1)}%
            {current.roofLevelBefore && current.roofLevelBefore !== current.roofLevelAfter ? ` of the ${current.roofLevelBefore} roof` : ''} → {x(current.pctRoofAfter, 1)}% of{' '}
            {current.roofLevelAfter ? `the ${current.roofLevelAfter} roof` : 'roofline'}
          </Text>
          <Text>
            verdict: {current.verdict} · ~{x(current.vsReference, 1)}x over the reference (chained, not measured)
          </Text>
          <Text>evidence: {current.evidence}</Text>
          <Text>idea: {current.description}</Text>
          <Text>diagnosis: {current.diagnosis}</Text>
          <Text>
            lineage: {current.lineage.join(' → ')} · replaces {current.previousId} · flags {current.flags.join(' ') || '(none)'}
          </Text>
          {showDiff && <DiffView rows={rows} offset={offset} height={height} wide={(stdout?.columns ?? 80) >= 160} />}
        </Box>
      )}
      {reason !== undefined && <Text color="yellow">reject reason (enter to confirm, esc to cancel): {reason}▌</Text>}
      {message && <Text color="cyan">{message}</Text>}
    </Box>
  );
}
