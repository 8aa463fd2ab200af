import { dirname, relative } from 'node:path';
import { simpleGit } from 'simple-git';

/**
 * Commits one file on the current branch of the git work tree it lies in, with kloop's identity when
 * the repository has none configured. Outside a work tree, or for a file git ignores, nothing is
 * committed and `note` says so.
 */
export async function commitFile(path: string, message: string): Promise<{ commit?: string; note?: string }> {
  const git = simpleGit({ baseDir: dirname(path) });
  if (!(await git.checkIsRepo())) return { note: `${dirname(path)} is not in a git work tree: written, not committed` };
  const root = (await git.revparse(['--show-toplevel'])).trim();
  const repo = simpleGit({ baseDir: root });
  const file = relative(root, path);
  // A file git ignores (a shipped workload or target inside an installed kloop, say) is written, not forced in.
  if ((await repo.raw(['check-ignore', '--', file]).catch(() => '')).trim()) return { note: `${file} is ignored by git in ${root}: written, not committed` };
  const identity = (await repo.raw(['config', '--get', 'user.name']).catch(() => '')).trim() ? [] : ['-c', 'user.name=kloop', '-c', 'user.email=kloop@localhost'];
  await repo.raw(['add', '--', file]);
  // The same content as committed already (a kernel or plan approved again): nothing to commit.
  if (!(await repo.raw(['status', '--porcelain', '--', file])).trim()) return { note: `${file} is unchanged from what is committed: nothing to commit` };
  await repo.raw([...identity, 'commit', '-m', message, '--', file]);
  return { commit: (await repo.revparse(['HEAD'])).trim() };
}
