import { Box, Text } from 'ink';
import type { KeptPlan } from '../memory/index.js';
import { keptCep, planAssignment, planCopies } from '../review/index.js';

const x = (n: number | undefined, d = 2) => (n === undefined || !Number.isFinite(n) ? '?' : n.toFixed(d));

/** A kept plan's line in the queue: kind, workload, devices, measured against single-device and predicted time, speedup with its interval. */
export function planRowText(p: KeptPlan): string {
  const plan = keptCep(p);
  const devices = plan ? plan.devices.map((d) => d.name).join('+') : p.devices;
  return `plan ${p.workload} ${x(p.speedup)}x (CI ${x(p.ciLow)}-${x(p.ciHigh)}) [verified] ${x(p.measuredMs)} ms vs ${x(p.singleMs)} single, ${x(p.predictedMs)} predicted · ${devices}`;
}

/** A kept plan opened: its figures, what was verified, and which device runs what (the assignment and its copies). */
export function PlanDetail({ plan: p, showSteps }: { plan: KeptPlan; showSteps: boolean }) {
  const plan = keptCep(p);
  return (
    <Box flexDirection="column" borderStyle="round" paddingX={1}>
      <Text>
        <Text bold>plan for {p.workload}</Text> on {p.devices}: {x(p.speedup)}x over the single-device plan, 95% CI {x(p.ciLow)}-{x(p.ciHigh)}, {p.pairs} pairs
      </Text>
      <Text>
        measured {x(p.measuredMs, 3)} ms against {x(p.singleMs, 3)} ms on a single device; predicted {x(p.predictedMs, 3)} ms by {plan?.predicted?.by ?? 'GP1'}
      </Text>
      <Text>verification: {p.verification}</Text>
      <Text>
        kept by run {p.runId} at {p.at} · workload hash {p.workloadHash}
      </Text>
      {!plan && <Text color="red">memory holds no valid CEP plan for this record: reject it</Text>}
      {plan && (
        <Text>
          assignment: {plan.devices.length} device(s), home {plan.home}, {planCopies(plan)} copies{showSteps ? '' : ' (d shows the steps)'}
        </Text>
      )}
      {plan &&
        showSteps &&
        planAssignment(plan).map((a) => (
          <Box key={a.device} flexDirection="column">
            <Text> {a.device}:</Text>
            {a.steps.map((step, i) => (
              <Text key={i}>
                {'   '}
                {i + 1}. {step}
              </Text>
            ))}
          </Box>
        ))}
    </Box>
  );
}
