/**
 * Waits for `work`; if Node's event loop empties before it settles (a wait that nothing can end: a
 * bug in kloop), says so in one line and exits 70, where Node would exit 0 as if the work were done.
 */
export async function failIfStalled<T>(what: string, work: Promise<T>): Promise<T> {
  let settled = false;
  const stalled = () => {
    if (settled) return;
    console.error(`kloop: ${what} stopped waiting on work that can never finish (a bug in kloop: please report it with the run's journal)`);
    process.exit(70);
  };
  process.on('beforeExit', stalled);
  try {
    return await work;
  } finally {
    settled = true;
    process.off('beforeExit', stalled);
  }
}
