import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fleetStatus } from '../fleet/index.js';
import { parseResults, type Journaled } from '../loop/index.js';
import { CLI, smallTarget, tmp } from './helpers.js';
import { fleetWorkflow, TestRedis, TestWorker, waitFor } from './fleet-helpers.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const f of cleanup.reverse()) await f();
});

describe('kloop run --fleet', () => {
  it('evaluates each candidate on a worker; a worker SIGKILLed mid-job has its job finished by the other, and the run counts every candidate once', async () => {
    const dir = tmp('kloop-fleet-run-');
    // Workers and coordinator reach Redis over TLS (rediss://) with a password, both passed through to ioredis;
    // they trust the test's CA as a user would trust a private one. The test itself watches through the plain port.
    const redis = await TestRedis.start({ password: 's3cret-pw', tlsDir: dir });
    const env = { ...process.env, NODE_EXTRA_CA_CERTS: redis.tls!.caFile };
    cleanup.push(
      () => redis.kill(),
      () => rmSync(dir, { recursive: true, force: true }),
    );
    fleetWorkflow(dir, 'loop: {candidates: 2}\n');
    const target = smallTarget('sum', '{N: 1000000}', dir);
    const workers = [new TestWorker('w1', dir, redis.tlsUrl, 0, [], env), new TestWorker('w2', dir, redis.tlsUrl, 1, [], env)];
    cleanup.push(() => Promise.all(workers.map((w) => w.stop())).then(() => undefined));
    await Promise.all(workers.map((w) => w.ready()));

    const run = spawn(process.execPath, [CLI, 'run', '--fleet', redis.tlsUrl, '--target', target, '--rounds', '1', '--json'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    run.stdout.on('data', (d: Buffer) => (out += d.toString()));
    run.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((r) => run.once('exit', (code) => r(code)));

    // The first worker seen running a job is killed there and then.
    const { victim, candidate } = await waitFor(
      'a worker running a job',
      async () => {
        const busy = (await fleetStatus(redis.url)).workers.find((w) => w.running.length);
        return busy && { victim: workers.find((w) => w.name === busy.id)!, candidate: busy.running[0].candidate };
      },
      60_000,
      25,
    );
    await victim.stop('SIGKILL');
    const survivor = workers.find((w) => w !== victim)!;

    expect(await exited, err + out).toBe(0);
    expect(err).toMatch(/fleet: candidates go to device class cpu at rediss:\/\/:\*\*\*@127\.0\.0\.1:\d+\/? \(2 worker\(s\)/);
    expect(err + out + workers.map((w) => w.log).join('')).not.toContain('s3cret-pw');
    const events = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Journaled);
    const runId = events.find((e) => e.type === 'run.start')!.runId;
    const results = events.filter((e): e is Extract<Journaled, { type: 'candidate.result' }> => e.type === 'candidate.result').map((e) => e.result);
    const ids = results.map((r) => r.id);
    expect(ids.sort()).toEqual(['sum-r1-c1', 'sum-r1-c2']); // each candidate counted once
    const rows = parseResults(readFileSync(join(dir, 'runs', runId, 'results.tsv'), 'utf8'));
    expect(rows.map((r) => r.id).sort()).toEqual(ids);
    // The killed worker's job was finished by the other one, and measured there.
    expect(candidate).toMatch(/^sum-r1-c[12]$/);
    const fleet = JSON.parse(readFileSync(join(dir, 'runs', runId, 'candidates', candidate, 'fleet.json'), 'utf8')) as { worker: string; outcome: string };
    expect(fleet).toMatchObject({ worker: survivor.name, outcome: 'done' });
    expect(survivor.log).toContain(`job ${candidate} (evaluate): `);
    const mine = results.find((r) => r.id === candidate)!;
    expect(['keep', 'discard', 'invalid', 'crash']).toContain(mine.status);
    expect(mine.verdict).not.toMatch(/fleet/);
  }, 180_000);
});
