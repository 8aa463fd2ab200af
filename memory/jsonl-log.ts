import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import { faultPoint } from '../common/index.js';

const NL = 0x0a;

/**
 * An append-only JSON-lines file, one record per line. Writers append whole lines with one write
 * (O_APPEND: never interleaved with another process's), so a write costs the same however long the
 * file is. A reader remembers the byte offset it has read to and reads only what was appended since,
 * by any process; a last line without its newline (being written, or torn by a crash) is left for
 * later, and lines that do not parse are skipped.
 */
export class JsonlLog {
  private offset = 0;
  private ino?: number;
  /** Lines that did not parse or were not records of this log. */
  skipped = 0;

  constructor(
    readonly path: string,
    private readonly sink: {
      /** Takes one parsed line; false if it is not a record of this log. */
      record(value: unknown): boolean;
      /** The file was replaced or truncated: forget everything, it is read again from the start. */
      reset(): void;
    },
  ) {}

  append(records: readonly unknown[]): void {
    if (!records.length) return;
    let text = records.map((r) => JSON.stringify(r)).join('\n') + '\n';
    const fd = openSync(this.path, 'a+');
    try {
      // A line torn by a crash would swallow ours: start on a fresh line (an empty line is harmless).
      const { size } = fstatSync(fd);
      if (size > 0) {
        const last = Buffer.alloc(1);
        readSync(fd, last, 0, 1, size - 1);
        if (last[0] !== NL) text = `\n${text}`;
      }
      const buf = Buffer.from(text);
      faultPoint('memory-line', () => writeSync(fd, buf, 0, buf.length >> 1));
      for (let done = 0; done < buf.length;) done += writeSync(fd, buf, done);
    } finally {
      closeSync(fd);
    }
  }

  /** Reads what was appended since the last call. */
  catchUp(): void {
    let fd: number;
    try {
      fd = openSync(this.path, 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      if (this.offset > 0 || this.ino !== undefined) this.restart();
      return;
    }
    try {
      const st = fstatSync(fd);
      if (this.ino !== undefined && (st.ino !== this.ino || st.size < this.offset)) this.restart();
      this.ino = st.ino;
      if (st.size <= this.offset) return;
      const buf = Buffer.alloc(st.size - this.offset);
      let got = 0;
      while (got < buf.length) {
        const n = readSync(fd, buf, got, buf.length - got, this.offset + got);
        if (n === 0) break;
        got += n;
      }
      const end = got > 0 ? buf.lastIndexOf(NL, got - 1) : -1;
      if (end < 0) return;
      for (let start = 0; start <= end;) {
        const nl = buf.indexOf(NL, start);
        const line = buf.toString('utf8', start, nl);
        start = nl + 1;
        if (!line.trim()) continue;
        let value: unknown;
        try {
          value = JSON.parse(line);
        } catch {
          this.skipped++;
          continue;
        }
        if (!this.sink.record(value)) this.skipped++;
      }
      this.offset += end + 1;
    } finally {
      closeSync(fd);
    }
  }

  private restart(): void {
    this.offset = 0;
    this.ino = undefined;
    this.skipped = 0;
    this.sink.reset();
  }
}
