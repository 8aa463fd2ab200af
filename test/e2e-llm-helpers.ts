/** What the end-to-end runs with model-backed agents share: the kernels the fake models answer with, a work folder, the CLI and its results. */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseResults, type Journaled } from '../loop/index.js';
import { seedProfile, smallTarget, tmp } from './helpers.js';
import type { SeenRequest, Step } from './llm-server.js';

const CLI = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli', 'main.js');

export const GOOD = `void jacobi(int N, int M, const real *U, real *V) {
  #pragma omp parallel for
  for (int i = 0; i < N; i++)
    for (int j = 0; j < M; j++)
      V[i * M + j] = 0.2f * (U[(i + 1) * (M + 2) + (j + 1)] + U[i * (M + 2) + (j + 1)] + U[(i + 2) * (M + 2) + (j + 1)] + U[(i + 1) * (M + 2) + j] + U[(i + 1) * (M + 2) + (j + 2)]);
}`;
export const BROKEN = GOOD.replace('V[i * M + j] =', 'V[i * M + j] = = ');
export const WRONG = GOOD.replace('0.2f', '0.25f');

const WRITER_PROMPT = `## writer
Make {{ target.name }} faster on {{ device.model }} ({{ device.cores }} cores).
Idea: {{ idea.title }}. {{ idea.detail }}
{{ baseline.source }}
{% if feedback %}Feedback: {{ feedback }}{% endif %}

## analyzer
Diagnose {{ target.name }} at {{ profile.pct_of_roof }}% of the roof.
{{ baseline.source }}

## reflect
{% for o in outcomes %}{{ o.id }} {{ o.status }} {{ o.speedup }}
{% endfor %}`;

/** A work folder with a small jacobi and a WORKFLOW.md, its memory seeded with this run's measured CPU profile. */
export async function setup(yaml: string, loop = 'loop: { candidates: 1, rounds: 1 }'): Promise<{ cwd: string; target: string }> {
  const cwd = tmp('kloop-llm-');
  await seedProfile(join(cwd, '.kloop', 'memory.json'));
  const target = smallTarget('jacobi', '{N: 768, M: 768}', cwd);
  writeFileSync(join(cwd, 'WORKFLOW.md'), `---\n${loop}\ngit: { commit: false }\n${yaml}\n---\n${WRITER_PROMPT}\n`);
  return { cwd, target };
}

export function kloop(cwd: string, args: string[], env: Record<string, string>): Promise<{ code: number; out: string; events: Journaled[] }> {
  return new Promise((res) => {
    const child = spawn('node', [CLI, 'run', ...args, '--json'], { cwd, env: { PATH: process.env.PATH!, HOME: cwd, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => {
      const events = out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Journaled);
      res({ code: code ?? -1, out: out + err, events });
    });
  });
}

export const resultsOf = (cwd: string, events: Journaled[]) => {
  const start = events.find((e) => e.type === 'run.start') as Extract<Journaled, { type: 'run.start' }>;
  return { rows: parseResults(readFileSync(join(cwd, 'runs', start.runId, 'results.tsv'), 'utf8')), dir: join(cwd, 'runs', start.runId) };
};

/** Per conversation (keyed by its first message), reply with a scripted sequence. */
export function conversations(scenarios: ((turn: number) => Step)[]): (r: SeenRequest) => Step {
  const keys = new Map<string, number>();
  return (r) => {
    const first = JSON.stringify(r.body.messages[0]?.content);
    if (!keys.has(first)) keys.set(first, keys.size);
    const scenario = scenarios[keys.get(first)! % scenarios.length];
    return scenario(r.body.messages.filter((m) => m.role === 'user').length);
  };
}
