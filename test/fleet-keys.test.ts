import { describe, expect, it } from 'vitest';
import { JobRefused, jobSchema, parseJob, resultKey } from '../fleet/index.js';
import { SUM_UNROLLED, sumJob } from './fleet-helpers.js';

describe('fleet job keys and payloads', () => {
  const job = sumJob('c1', SUM_UNROLLED);

  it('a result key is the same for the same job of one run, whatever its candidate id or seed; another run measures afresh', () => {
    expect(resultKey(job)).toMatch(/^[0-9a-f]{32}$/);
    expect(resultKey({ ...job, id: 'other', seed: 99, limitMs: 5000 })).toBe(resultKey(job));
    expect(resultKey({ ...job, run: 'another-run' })).not.toBe(resultKey(job));
    expect(resultKey({ ...job, target: { ...job.target, benchSize: { N: 1_000_000 } } })).toBe(resultKey(job));
  });

  it('a result key changes with the candidate, its flags, the target, the device class, the harness and what it is measured against', () => {
    const variants = [
      { ...job, candidate: { ...job.candidate, source: `${SUM_UNROLLED} ` } },
      { ...job, candidate: { ...job.candidate, flags: ['-ffast-math'] } },
      { ...job, target: { ...job.target, benchSize: { N: 2_000_000 } } },
      { ...job, target: { ...job.target, digest: '0123456789abcdef' } },
      { ...job, class: 'h100' },
      { ...job, harness: '0.2.0+0123456789abcdef' },
      { ...job, stage: 'confirm' as const },
      { ...job, baseline: { ...job.baseline, flags: ['-fopenmp'] } },
      { ...job, verify: { ...job.verify, hiddenSizes: 6 } },
      { ...job, timing: { ...job.timing, minPairs: 5 } },
    ];
    const keys = new Set([resultKey(job), ...variants.map(resultKey)]);
    expect(keys.size).toBe(variants.length + 1);
  });

  it("a measure or final job's key has its run (a run's own figures are measured in it), and the class's device", () => {
    const { baseline: _b, ...alone } = job;
    const measure = { ...alone, stage: 'measure' as const };
    expect(parseJob(measure, 'm1')).toEqual(measure);
    expect(resultKey({ ...measure, id: 'other', seed: 99 })).toBe(resultKey(measure));
    expect(resultKey({ ...measure, run: 'another-run' })).not.toBe(resultKey(measure));
    const final = { ...job, stage: 'final' as const };
    expect(resultKey({ ...final, run: 'another-run' })).not.toBe(resultKey(final));
    expect(resultKey({ ...job, device: 'cpu-0123456789ab' })).not.toBe(resultKey(job));
    expect(() => parseJob({ ...measure, baseline: job.baseline }, 'm2')).toThrow(/^refused job m2: baseline: a measure job times its candidate alone: no baseline$/);
    expect(() => parseJob({ ...alone, stage: 'final' }, 'f1')).toThrow(/^refused job f1: baseline: required for a final job$/);
    expect(() => parseJob({ ...job, device: 'CPU 1' }, 'd1')).toThrow(/^refused job d1: device: expected a device fingerprint/);
  });

  it('a payload outside the schema is refused in one line naming the job and the field', () => {
    expect(parseJob(JSON.parse(JSON.stringify(job)), 'j1')).toEqual(job);
    const cases: [unknown, RegExp][] = [
      [{ ...job, argv: ['sh', '-c', 'id'] }, /^refused job j1: argv: unknown key; allowed here: v, stage, id/],
      [{ ...job, candidate: { ...job.candidate, flags: ['; rm -rf /'] } }, /^refused job j1: candidate\.flags\[0\]: expected a compiler flag/],
      [{ ...job, target: { ...job.target, name: '../../etc' } }, /^refused job j1: target\.name: expected a target name/],
      [{ ...job, class: 'CPU!' }, /^refused job j1: class: expected a device class/],
      [{ ...job, v: 2 }, /^refused job j1: v: /],
      [{ ...job, limitMs: -1 }, /^refused job j1: limitMs: /],
      ['not an object', /^refused job j1: /],
    ];
    for (const [data, message] of cases) {
      let err: unknown;
      try {
        parseJob(data, 'j1');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(JobRefused);
      expect((err as Error).message).toMatch(message);
      expect((err as Error).message).not.toContain('\n');
    }
    // A newline in the job's id cannot break the line either.
    expect(() => parseJob({}, 'a\nb')).toThrow(/^refused job a b: /);
    expect(jobSchema.safeParse(job).success).toBe(true);
  });
});
