import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { JOB_VERSION, harnessVersion, targetDigest, type Job } from '../fleet/index.js';
import { CATALOG_DIR, loadTarget } from '../targets/index.js';
import { CLI } from './helpers.js';

/** A free loopback port (bound, read, released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export async function waitFor<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 30_000, everyMs = 100): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A real redis-server of our own on a free loopback port, no persistence; `restart` brings it back on the same port (empty). */
export class TestRedis {
  private proc?: ChildProcess;
  private constructor(
    readonly port: number,
    private readonly password?: string,
    /** A TLS port too, with a certificate for 127.0.0.1 signed by the CA in `caFile` (a process trusts it with NODE_EXTRA_CA_CERTS). */
    readonly tls?: { port: number; dir: string; caFile: string },
  ) {}
  get url(): string {
    return `redis://${this.password ? `:${this.password}@` : ''}127.0.0.1:${this.port}`;
  }
  get tlsUrl(): string {
    return `rediss://${this.password ? `:${this.password}@` : ''}127.0.0.1:${this.tls!.port}`;
  }

  /** With `password`, clients must AUTH (requirepass): the URL carries it. With `tlsDir`, a TLS port as well (certificates made there). */
  static async start(o: { password?: string; tlsDir?: string } = {}): Promise<TestRedis> {
    const tls = o.tlsDir ? { port: await freePort(), dir: o.tlsDir, caFile: makeCertificates(o.tlsDir) } : undefined;
    const r = new TestRedis(await freePort(), o.password, tls);
    await r.restart();
    return r;
  }

  async restart(): Promise<void> {
    const auth = this.password ? ['--requirepass', this.password] : [];
    const t = this.tls;
    const tls = t ? ['--tls-port', String(t.port), '--tls-cert-file', join(t.dir, 'server.crt'), '--tls-key-file', join(t.dir, 'server.key'), '--tls-ca-cert-file', t.caFile, '--tls-auth-clients', 'no'] : [];
    this.proc = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', ...auth, ...tls], { stdio: 'ignore' });
    await waitFor('redis-server to answer', async () => {
      const c = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      c.on('error', () => undefined);
      try {
        await c.connect();
        return (await c.ping()) === 'PONG';
      } catch {
        return false;
      } finally {
        c.disconnect();
      }
    });
  }

  /** SIGKILL it and wait until it is gone. */
  async kill(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null || p.signalCode) return;
    const gone = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await gone;
  }
}

/** A test CA and a server certificate for 127.0.0.1 signed by it (openssl); returns the CA's file. */
function makeCertificates(dir: string): string {
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  ssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=kloop test CA');
  ssl('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  ssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '1', '-extfile', 'san.ext');
  return join(dir, 'ca.crt');
}

/** A `kloop worker` process pinned to one core (taskset), with short locks (5 s, long enough for a loaded machine to renew them) so that a killed one's job moves on in seconds. */
export class TestWorker {
  log = '';
  readonly proc: ChildProcess;
  constructor(
    readonly name: string,
    cwd: string,
    url: string,
    /** The core it is pinned to, or a taskset list such as "0,1". */
    core: number | string,
    extra: string[] = [],
    env: NodeJS.ProcessEnv = process.env,
  ) {
    this.proc = spawn(
      'taskset',
      ['-c', typeof core === 'string' ? core : String(core % availableParallelism()), process.execPath, CLI, 'worker', '--redis', url, '--name', name, '--lock-ms', '5000', '--stalled-ms', '1000', '--heartbeat-ms', '500', ...extra],
      {
        cwd,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    this.proc.stdout!.on('data', (d: Buffer) => (this.log += d.toString()));
    this.proc.stderr!.on('data', (d: Buffer) => (this.log += d.toString()));
  }

  ready(): Promise<true> {
    return waitFor(`worker ${this.name} to start`, () => new RegExp(`worker ${this.name}: class`).test(this.log) || (this.proc.exitCode !== null && Promise.reject(new Error(`worker ${this.name} exited: ${this.log}`))), 60_000);
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode) return;
    const gone = new Promise((r) => this.proc.once('exit', r));
    this.proc.kill(signal);
    await gone;
  }
}

/** A folder with the WORKFLOW.md the tests' workers and coordinators use: a lighter gate (no sanitizers, no proof), quick timing. */
export function fleetWorkflow(dir: string, more = ''): void {
  writeFileSync(join(dir, 'WORKFLOW.md'), `---\nverify: {sanitizers: false, proof: false, hidden_sizes: 2}\ntiming: {min_pairs: 2, max_pairs: 3, min_ms: 5}\ngit: {commit: false}\n${more}---\n`);
}

/** An evaluate job for the shipped `sum` at a reduced bench size, as a coordinator would make it. */
export function sumJob(id: string, source: string, more: Partial<Job> = {}): Job {
  const t = loadTarget(join(CATALOG_DIR, 'sum'));
  return {
    v: JOB_VERSION,
    stage: 'evaluate',
    id,
    run: 'test',
    class: 'cpu',
    harness: harnessVersion(t, 'c'),
    target: { name: 'sum', digest: targetDigest(t), benchSize: { N: 1_000_000 } },
    candidate: { source, flags: [] },
    baseline: { source: t.referenceSource, flags: [] },
    seed: 7,
    verify: { hiddenSizes: 2, caseTimeoutMs: 10_000, sanitizers: false, proof: false, proofBudget: 3e6 },
    timing: { minPairs: 2, maxPairs: 3, minMs: 5, maxReps: 50, minSpeedup: 1.02 },
    limitMs: 60_000,
    ...more,
  };
}

export const SUM_UNROLLED = `void sum(int N, const real *X, real *S) {
  real a = 0, b = 0;
  int i = 0;
  for (; i + 1 < N; i += 2) { a += X[i]; b += X[i + 1]; }
  for (; i < N; i++) a += X[i];
  S[0] = a + b;
}
`;
export const SUM_WRONG = `void sum(int N, const real *X, real *S) {
  real s = 0;
  for (int i = 1; i < N; i++) s += X[i];
  S[0] = s;
}
`;
export const SUM_BROKEN = `void sum(int N, const real *X, real *S) { S[0] = X[0] + ; }
`;
/** Spins for ever at every size: only the job's time limit ends it. */
export const SUM_SPINS = `void sum(int N, const real *X, real *S) {
  volatile unsigned long k = 0;
  for (;;) k++;
  S[0] = X[0];
}
`;
