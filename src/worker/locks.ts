// One run, one trainer: a Web Lock per run, held by the worker that trains it for as long as it
// trains. A second tab sees the lock held and shows the run as busy elsewhere; when the first
// tab closes, the browser releases its locks and the second tab can take over.

const lockName = (runId: string) => `tabtrain-run:${runId}`;

const locks = (): LockManager | null => (globalThis.navigator as Navigator | undefined)?.locks ?? null;

import { RunBusyError } from '../errors'; // one kind of the error family (src/errors.ts)
export { RunBusyError };

/** Takes the run's lock if no one holds it; returns its release function, or null if held. */
export function tryLockRun(runId: string): Promise<(() => void) | null> {
  const lm = locks();
  if (!lm) return Promise.resolve(() => {}); // no Web Locks: nothing to coordinate with
  return new Promise((resolve) => {
    void lm.request(lockName(runId), { ifAvailable: true }, (lock) => {
      if (!lock) {
        resolve(null);
        return undefined;
      }
      // Hold the lock until release() is called.
      return new Promise<void>((release) => resolve(() => release()));
    });
  });
}

export async function lockRunOrThrow(runId: string, name: string): Promise<() => void> {
  const release = await tryLockRun(runId);
  if (!release) throw new RunBusyError(`${name} is training in another tab or window; it can be taken over here once that tab is closed`);
  return release;
}

/** Run ids whose lock is held right now by anyone (this worker included). */
export async function heldRunIds(): Promise<Set<string>> {
  const lm = locks();
  if (!lm) return new Set();
  const q = await lm.query();
  const ids = new Set<string>();
  for (const l of q.held ?? []) if (l.name?.startsWith('tabtrain-run:')) ids.add(l.name.slice('tabtrain-run:'.length));
  return ids;
}

/** Resolves once nobody holds the run's lock (the other tab closed or finished). */
export function whenRunFree(runId: string): Promise<void> {
  const lm = locks();
  if (!lm) return Promise.resolve();
  return lm.request(lockName(runId), () => undefined).then(() => undefined);
}
