// Fault injection for the end-to-end tests, compiled into development builds only (the test
// server runs Vite in dev mode; `vite build` drops it). It makes IndexedDB refuse writes the
// way Chrome does on a full disk, so the app's real error path runs.

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
