/**
 * The lines of one file in a preprocessor's output (`cc -E`): the compiler's line markers
 * (`# 12 "kernel.c" 2`) say which file each line comes from; lines of included headers and the
 * markers themselves are dropped. Blank lines keep the file's own line numbers where they can.
 */
export function mainFileLines(preprocessed: string, file: string): string {
  const out: string[] = [];
  let keep = false;
  for (const line of preprocessed.split('\n')) {
    const m = /^#\s*(\d+)\s+"((?:[^"\\]|\\.)*)"/.exec(line);
    if (m) {
      keep = m[2] === file;
      if (keep) while (out.length < Number(m[1]) - 1) out.push('');
      continue;
    }
    if (keep) out.push(line);
  }
  return out.join('\n');
}
