// The low level of the IndexedDB store (docs/storage.md): store errors, a transaction runner that
// aborts on any failure, and the mapping of browser write failures to StoreFullError.
//
// Why a runner of our own on top of idb-keyval's store function: idb-keyval's helpers let a
// transaction commit whatever was put before a failing call (measured with setMany in
// Chromium: the keys before a value that fails to clone stay committed), and an exception thrown in a request callback becomes a bare
// AbortError. Here every synchronous throw, in the body or in a callback, aborts the whole
// transaction and is the error the caller sees, and the promise settles only on `complete` or
// `abort`, never earlier. No DOM APIs: this runs in a Web Worker as well as on a page.

import type { UseStore } from 'idb-keyval';

export type StoreErrorCode =
  /** IndexedDB is missing or the database cannot be opened / has the wrong layout. */
  | 'unavailable'
  /** A record asked for by id does not exist. */
  | 'not_found'
  /** A checkpoint's metadata exists but its bytes do not (should never happen; see docs). */
  | 'missing_blob'
  /** The caller passed a malformed record. */
  | 'invalid'
  /** The browser refused a write for lack of space (StoreFullError). */
  | 'full'
  /** Any other failed transaction. */
  | 'failed';

// StoreError and StoreFullError are kinds of the tabtrain error family (src/errors.ts); imports
// from here keep working.
import { StoreError, StoreFullError } from '../errors';
export { StoreError, StoreFullError };

/**
 * One open transaction on the single object store. Requests are issued synchronously (in the
 * body or in a callback of an earlier request); nothing else may be awaited while it is open,
 * or it auto-commits.
 */
export class Tx {
  failure: unknown = undefined;
  failed = false;

  constructor(readonly os: IDBObjectStore) {}

  /** Runs fn now; a throw aborts the whole transaction and becomes the caller's error. */
  guard(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.abort(e);
    }
  }

  abort(reason: unknown): void {
    if (!this.failed) {
      this.failed = true;
      this.failure = reason;
    }
    try {
      this.os.transaction.abort();
    } catch {
      // already finished or aborting: nothing left to undo.
    }
  }

  /**
   * Says no more requests will be placed: the browser commits as soon as the ones placed are
   * done, instead of once their results have come back to this thread and no callback asked
   * for more (one round trip less). Requests already placed still run, and any failure among
   * them still aborts everything. Where IDBTransaction.commit is missing, the usual auto-commit.
   */
  commit(): void {
    const tx = this.os.transaction;
    if (!this.failed && typeof tx.commit === 'function') tx.commit();
  }

  put(key: IDBValidKey, value: unknown): void {
    this.os.put(value, key);
  }

  del(key: IDBValidKey): void {
    this.os.delete(key);
  }

  get<T>(key: IDBValidKey, then: (value: T | undefined) => void): void {
    const r = this.os.get(key);
    r.onsuccess = () => this.guard(() => then(r.result as T | undefined));
  }

  getAll<T>(range: IDBKeyRange, then: (values: T[]) => void): void {
    const r = this.os.getAll(range);
    r.onsuccess = () => this.guard(() => then(r.result as T[]));
  }

  getAllKeys(range: IDBKeyRange, then: (keys: IDBValidKey[]) => void): void {
    const r = this.os.getAllKeys(range);
    r.onsuccess = () => this.guard(() => then(r.result));
  }
}

/**
 * Runs `body` in one transaction. `body` returns a thunk read after `complete` (so results
 * gathered in callbacks are final). Rejects with the first thrown error, or the browser's
 * transaction error, once the transaction has aborted: by then nothing of it is stored.
 */
export function runTx<R>(kv: UseStore, mode: IDBTransactionMode, body: (t: Tx) => () => R): Promise<R> {
  return kv(mode, (os) => new Promise<R>((resolve, reject) => {
    const tx = os.transaction;
    const t = new Tx(os);
    let result: () => R = () => undefined as R;
    tx.oncomplete = () => {
      try {
        resolve(result());
      } catch (e) {
        reject(e);
      }
    };
    // A browser-side abort (quota, I/O) sets tx.error; our own abort() leaves it null, so then
    // the error we caught is the cause. Prefer the browser's: it is what really refused.
    tx.onabort = () => reject(tx.error ?? (t.failed ? t.failure : new DOMException('The transaction was aborted', 'AbortError')));
    t.guard(() => {
      result = body(t);
    });
  }));
}

export interface Estimate {
  usage: number;
  quota: number;
}

/** navigator.storage.estimate(), in a worker or on a page; null where the API is absent. */
export async function storageEstimate(): Promise<Estimate | null> {
  const storage = (globalThis.navigator as Navigator | undefined)?.storage;
  if (!storage || typeof storage.estimate !== 'function') return null;
  try {
    const e = await storage.estimate();
    return { usage: e.usage ?? 0, quota: e.quota ?? 0 };
  } catch {
    return null;
  }
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

const errName = (e: unknown) => (typeof e === 'object' && e !== null && typeof (e as Error).name === 'string' ? (e as Error).name : '');
const errMessage = (e: unknown) => (e instanceof Error || e instanceof DOMException ? e.message : String(e));

/**
 * True when the free space left is about what the write needed: Chrome sometimes reports a
 * write refused at the quota as AbortError (or UnknownError) instead of QuotaExceededError.
 * Slack covers IndexedDB's own overhead per value.
 */
export function nearLimit(est: Estimate, needed: number): boolean {
  return est.quota > 0 && est.quota - est.usage < needed * 1.5 + 16 * 1024 * 1024;
}

/**
 * A real full disk, as Chromium reports it (measured: test/browser/full-disk.test.ts): LevelDB's
 * "IO error: ... FILE_ERROR_NO_SPACE" in an UnknownError, or "Failed to write blobs (IOError)" in
 * a DataError. The quota estimate says nothing then (it still showed 1 GB free).
 */
function diskFull(e: unknown): boolean {
  return /NO_SPACE|No space left|\(IOError\)|IO error/i.test(errMessage(e));
}

const ADVICE = 'Free space by deleting old runs, checkpoints or datasets (or download checkpoints as .ckpt files first), then try again.';

/**
 * A warning before storage runs out, or null: when what is free is less than room for a few more
 * checkpoints of this size (each is written twice: the checkpoint and its safety copy, vault.ts).
 * The estimate is the browser's: where the quota does not follow the disk (seen on a small tmpfs,
 * docs/reliability.md) it cannot warn, and the disk-full error itself still pauses the run.
 */
export function spaceWarning(est: Estimate | null, checkpointBytes: number): string | null {
  if (!est || !(est.quota > 0) || !(checkpointBytes > 0)) return null;
  const free = Math.max(0, est.quota - est.usage);
  if (free >= 6 * checkpointBytes) return null;
  return `Storage is nearly full: about ${formatBytes(free)} free, and each checkpoint takes about ${formatBytes(checkpointBytes)} (twice, with its safety copy). ${ADVICE.replace(', then try again', '')}`;
}

/** Turns a failed write into a StoreError with a message a person can act on. */
export async function writeError(e: unknown, what: string, needed: number): Promise<StoreError> {
  if (e instanceof StoreError) return e;
  const name = errName(e);
  if (diskFull(e)) {
    return new StoreFullError(
      `The disk is full: ${what} needed about ${formatBytes(needed)} and the browser could not write it (${name}: ${errMessage(e)}). Nothing was written. Free space on the disk, then reload the page: the newest checkpoint of every run and its dataset are kept in safety copies, and a reload restores them if the browser drops its database.`,
      needed,
      { cause: e },
    );
  }
  const quotaRefused = name === 'QuotaExceededError';
  const maybeQuota = name === 'AbortError' || name === 'UnknownError';
  if (quotaRefused || maybeQuota) {
    const est = await storageEstimate();
    if (quotaRefused || (est && nearLimit(est, needed))) {
      const room = est && est.quota > 0
        ? ` but only ${formatBytes(Math.max(0, est.quota - est.usage))} of the ${formatBytes(est.quota)} browser quota is free`
        : '';
      return new StoreFullError(
        `Browser storage is full: ${what} needed about ${formatBytes(needed)}${room}. Nothing was written and earlier data is intact. ${ADVICE}`,
        needed,
        { cause: e },
      );
    }
    const usage = est ? ` (storage in use: ${formatBytes(est.usage)} of ${formatBytes(est.quota)})` : '';
    return new StoreError('failed', `${what} was aborted by the browser: ${name}: ${errMessage(e)}${usage}. Nothing was written. If storage is nearly full: ${ADVICE}`, { cause: e });
  }
  return new StoreError('failed', `${what} failed: ${name || 'Error'}: ${errMessage(e)}. Nothing was written.`, { cause: e });
}

/** Runs a readwrite transaction; any failure becomes a StoreError (StoreFullError for space). */
export async function writeTx<R>(kv: UseStore, what: string, needed: number, body: (t: Tx) => () => R): Promise<R> {
  try {
    return await runTx(kv, 'readwrite', body);
  } catch (e) {
    throw await writeError(e, what, needed);
  }
}

/** Runs a readonly transaction; failures become StoreError('failed'). */
export async function readTx<R>(kv: UseStore, what: string, body: (t: Tx) => () => R): Promise<R> {
  try {
    return await runTx(kv, 'readonly', body);
  } catch (e) {
    if (e instanceof StoreError) throw e;
    throw new StoreError('failed', `${what} failed: ${errName(e) || 'Error'}: ${errMessage(e)}`, { cause: e });
  }
}
