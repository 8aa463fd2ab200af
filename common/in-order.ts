/**
 * Runs `run` over `items`, at most `lanes` at once (each call is told its lane, so concurrent calls
 * can keep to separate folders), and hands the results to `judge` in item order, as a serial loop
 * would. The first item `judge` stops on decides: nothing new starts after it, and everything
 * already started is waited for (no process is left running behind a verdict).
 */
export async function inOrder<T, R, S>(items: readonly T[], lanes: number, run: (item: T, index: number, lane: number) => Promise<R>, judge: (result: R, item: T, index: number) => S | undefined): Promise<S | undefined> {
  let stopped = false;
  let next = 0;
  const free = Array.from({ length: Math.max(1, Math.floor(lanes)) }, (_, i) => i);
  const started: Promise<R>[] = [];
  const start = (): void => {
    while (!stopped && free.length && next < items.length) {
      const lane = free.shift()!;
      const i = next++;
      started[i] = run(items[i], i, lane).finally(() => {
        free.push(lane);
        start();
      });
    }
  };
  start();
  try {
    for (let i = 0; i < items.length; i++) {
      const verdict = judge(await started[i], items[i], i);
      if (verdict !== undefined) return verdict;
    }
    return undefined;
  } finally {
    stopped = true;
    await Promise.allSettled(started);
  }
}
