import { execFileSync } from 'node:child_process';

/** Whether tmux is installed here (the real-terminal tests skip without it). */
export const hasTmux = (() => {
  try {
    execFileSync('tmux', ['-V']);
    return true;
  } catch {
    return false;
  }
})();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface TmuxPane {
  /** Sends tmux key names (`Enter`, `q`). */
  keys(...keys: string[]): void;
  /** Types the text as it is. */
  type(text: string): void;
  /** Resolves once the screen shows the text; throws with the screen after `waitMs`. */
  waitFor(text: string): Promise<void>;
  close(): void;
}

/**
 * A command in a detached tmux session of the given size: a person's terminal. CI's own CI=true
 * would make ink draw only the last frame, at exit, so the command runs without it.
 */
export function openPane(o: { session: string; cwd: string; command: string; width: number; height: number; waitMs: number }): TmuxPane {
  const tm = (...args: string[]) => execFileSync('tmux', args, { encoding: 'utf8' });
  const screen = () => tm('capture-pane', '-p', '-t', o.session);
  tm('new-session', '-d', '-s', o.session, '-x', String(o.width), '-y', String(o.height), '-c', o.cwd, `env -u CI -u CONTINUOUS_INTEGRATION ${o.command}`);
  return {
    keys: (...keys) => void tm('send-keys', '-t', o.session, ...keys),
    type: (text) => void tm('send-keys', '-t', o.session, '-l', text),
    waitFor: async (text) => {
      for (let i = 0; i < o.waitMs / 100; i++) {
        if (screen().includes(text)) return;
        await sleep(100);
      }
      throw new Error(`never saw "${text}" on screen:\n${screen()}`);
    },
    close: () => {
      try {
        tm('kill-session', '-t', o.session);
      } catch {
        /* already gone */
      }
    },
  };
}
