// Fault injection for the end-to-end tests, compiled into development builds only (the test
// server runs Vite in dev mode; `vite build` drops it). It makes IndexedDB refuse writes the
// way Chrome does on a full disk, so the app's real error path runs; and it slows training
// down by a fixed pause after every step, so a test that must interrupt a run mid-way (reload,
// pause) gets there before the run ends however fast the machine is.

let original: IDBObjectStore['put'] | null = null;

export function setStorageFault(mode: 'quota' | null): void {
  if (mode === null) {
    if (original) IDBObjectStore.prototype.put = original;
    original = null;
    return;
  }
  if (original) return;
  original = IDBObjectStore.prototype.put;
  IDBObjectStore.prototype.put = function refuse(): IDBRequest<IDBValidKey> {
    throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
  };
}

let stepDelayMs = 0;

/** Milliseconds the run loop sleeps after every step (0: none, the default). */
export function setStepDelay(ms: number): void {
  stepDelayMs = Number.isFinite(ms) && ms > 0 ? ms : 0;
}

/** The pause after a step, or null when none is set (the loop then only yields to events). */
export function stepDelay(): Promise<void> | null {
  return stepDelayMs > 0 ? new Promise((resolve) => setTimeout(resolve, stepDelayMs)) : null;
}
