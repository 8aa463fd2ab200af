import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleGit, type SimpleGit } from 'simple-git';
import { faultPoint } from '../common/index.js';

const IDENTITY = { GIT_AUTHOR_NAME: 'kloop', GIT_AUTHOR_EMAIL: 'kloop@localhost', GIT_COMMITTER_NAME: 'kloop', GIT_COMMITTER_EMAIL: 'kloop@localhost' };

/**
 * Commits files onto a branch without touching the user's checkout or index: blobs, a temporary
 * index and commit-tree, then the branch ref is moved.
 */
export class GitRecorder {
  /** Commits one at a time: two rounds keeping at once must not both build on the same parent. */
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly git: SimpleGit,
    readonly root: string,
  ) {}

  /** A recorder for the work tree containing `cwd`, or undefined outside one. */
  static async open(cwd: string): Promise<GitRecorder | undefined> {
    const git = simpleGit({ baseDir: cwd });
    try {
      if (!(await git.checkIsRepo())) return undefined;
      const root = (await git.revparse(['--show-toplevel'])).trim();
      return new GitRecorder(simpleGit({ baseDir: root }), root);
    } catch {
      return undefined;
    }
  }

  private async ref(name: string): Promise<string | undefined> {
    try {
      return (await this.git.raw(['rev-parse', '--verify', '-q', name])).trim() || undefined;
    } catch {
      return undefined;
    }
  }

  /** The newest commit on `branch` whose message contains `text`, if any (a commit a kill may have left unjournaled). */
  async commitMentioning(branch: string, text: string): Promise<string | undefined> {
    if (!(await this.ref(`refs/heads/${branch}`))) return undefined;
    const out = (await this.git.raw(['log', '-1', '--format=%H', '--fixed-strings', `--grep=${text}`, `refs/heads/${branch}`])).trim();
    return out || undefined;
  }

  /** Commit `files` (repo-relative path -> content) on `branch`; returns the commit id. Commits queue behind each other. */
  commit(branch: string, files: Record<string, string>, message: string): Promise<string> {
    const next = this.queue.then(() => this.commitNow(branch, files, message));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async commitNow(branch: string, files: Record<string, string>, message: string): Promise<string> {
    const tmp = mkdtempSync(join(tmpdir(), 'kloop-git-'));
    try {
      // Only what git needs: simple-git refuses an environment that carries EDITOR and friends.
      const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? tmp, ...IDENTITY, GIT_INDEX_FILE: join(tmp, 'index') };
      const g = simpleGit({ baseDir: this.root }).env(env);
      const parent = (await this.ref(`refs/heads/${branch}`)) ?? (await this.ref('HEAD'));
      if (parent) await g.raw(['read-tree', parent]);
      for (const [path, content] of Object.entries(files)) {
        const f = join(tmp, 'blob');
        writeFileSync(f, content);
        const blob = (await g.raw(['hash-object', '-w', f])).trim();
        await g.raw(['update-index', '--add', '--cacheinfo', `100644,${blob},${path}`]);
      }
      const tree = (await g.raw(['write-tree'])).trim();
      const sha = (await g.raw(['commit-tree', tree, ...(parent ? ['-p', parent] : []), '-m', message])).trim();
      faultPoint('git-commit'); // the commit object is written, the branch not yet moved
      await g.raw(['update-ref', `refs/heads/${branch}`, sha]);
      return sha;
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
}
