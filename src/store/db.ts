// Shared internals of the IndexedDB store (docs/storage.md): record types, the key layout, opening
// the database, and input checks. The public API is src/store/index.ts; import from there.
//
// One database, ONE object store ('kv'), typed array keys (['run', id], ['ckpt', id],
// ['blob', id], ['dataset', hash], ['files', hash], ['seq']). One object store because
// idb-keyval's createStore opens a single store per database and never upgrades: with all
// records in it, every multi-record write (checkpoint meta + bytes, dataset record + files,
// a run and its checkpoints) is ONE transaction, atomic by IndexedDB's own guarantee.

import { createStore, get, type UseStore } from 'idb-keyval';
import type { RunConfig } from '../engine/config';
import type { CheckpointKind, MetricPoint } from '../engine/state';
import { StoreError } from './tx';

export type RunStatus = 'running' | 'paused' | 'interrupted' | 'finished' | 'failed' | 'diverged';

export interface RunRecord {
  id: string;
  name: string;
  createdAt: string;
  updatedAt: string;
  status: RunStatus;
  datasetHash: string;
  datasetSummary: string;
  family: string;
  step: number;
  epoch: number;
  totalSteps: number;
  best: MetricPoint | null;
  lastError?: string;
  parent?: { runId: string; checkpointId: string };
  /**
   * Set when the run was resumed from a checkpoint older than its newest save ("Resume from this
   * checkpoint"): the branch being trained. Its newest save is what Resume continues from
   * (latestCheckpoint), not the highest step. Absent: the run never branched (older records too).
   */
  branch?: RunBranch;
  config: RunConfig;
  /** the checkpoint settings the run was started with (the worker's CheckpointSettings). */
  checkpoints?: { everySteps: number; everySeconds: number; keepPeriodic: number; periodicEvery: number };
}

/** Where a run's current branch starts (docs/storage.md, "Branches"). */
export interface RunBranch {
  /** the checkpoint it was resumed from, its step and kind (the checkpoint itself may be gone later). */
  checkpointId: string;
  step: number;
  kind: CheckpointKind;
  /** the store's save counter when the branch started: the run's saves with a higher seq are on the branch. */
  seq: number;
}

export interface CheckpointMeta {
  id: string;
  runId: string;
  kind: CheckpointKind;
  step: number;
  epoch: number;
  createdAt: string;
  /** size of the stored bytes (the .ckpt file, or the body); set by the store. */
  bytes: number;
  valLoss?: number;
}

export interface DatasetRecord {
  hash: string;
  name: string;
  kind: string;
  summary: string;
  /** total size of the stored files; set by putDataset from the files themselves. */
  bytes: number;
  addedAt: string;
}

export interface SaveResult {
  meta: CheckpointMeta;
  /** checkpoints of the run deleted by retention after the save. */
  deleted: string[];
  /** set when the save committed but retention failed (it is retried by the next save). */
  retentionError?: string;
}

/** An open database. Opaque: pass it to the functions below. */
export interface Store {
  readonly dbName: string;
  /** @internal idb-keyval's store function for the single object store. */
  readonly kv: UseStore;
}

export const OBJECT_STORE = 'kv';
export const RUN_STATUSES: readonly RunStatus[] = ['running', 'paused', 'interrupted', 'finished', 'failed', 'diverged'];
export const KINDS: readonly CheckpointKind[] = ['latest', 'best', 'periodic', 'final'];

/**
 * The stored form of a checkpoint's metadata: `seq` orders saves for retention. `form` says what
 * ['blob', id] holds: absent, the .ckpt file itself (imports, older versions); 'body', the
 * store's form of a checkpoint (body.ts), whose checksum is `checksum` (`xxh32:<hex>`, xxh32.ts).
 */
export type StoredMeta = CheckpointMeta & { seq: number; form?: 'body'; checksum?: string };

export const key = {
  run: (id: string): IDBValidKey => ['run', id],
  meta: (id: string): IDBValidKey => ['ckpt', id],
  blob: (id: string): IDBValidKey => ['blob', id],
  dataset: (hash: string): IDBValidKey => ['dataset', hash],
  files: (hash: string): IDBValidKey => ['files', hash],
  seq: ['seq'] as IDBValidKey,
};
/** All keys [prefix, <string>]: an array key sorts after every string, so [prefix, []] bounds them. */
export const all = (prefix: string) => IDBKeyRange.bound([prefix], [prefix, []]);

const opened = new Map<string, Promise<Store>>();

/** Opens (creating on first use) the database. Memoised per name. */
export function openStore(dbName = 'tabtrain'): Promise<Store> {
  let p = opened.get(dbName);
  if (!p) {
    p = open(dbName);
    opened.set(dbName, p);
    p.catch(() => opened.delete(dbName));
  }
  return p;
}

async function open(dbName: string): Promise<Store> {
  if (typeof indexedDB === 'undefined') {
    throw new StoreError('unavailable', 'IndexedDB is not available here (Node, or a browser mode that disables it): runs and checkpoints cannot be stored');
  }
  const kv = createStore(dbName, OBJECT_STORE);
  try {
    // Opens the database now, so a broken one fails here with a clear message, not mid-training.
    await get(key.seq, kv);
  } catch (e) {
    const why = e instanceof Error || e instanceof DOMException ? `${e.name}: ${e.message}` : String(e);
    const hint = (e as Error)?.name === 'NotFoundError' ? ` (the database exists without the '${OBJECT_STORE}' object store: it was created by something else)` : '';
    throw new StoreError('unavailable', `cannot open IndexedDB database '${dbName}'${hint}: ${why}`, { cause: e });
  }
  return { dbName, kv };
}

export const use = (s?: Store) => (s ? Promise.resolve(s) : openStore());

export function invalid(what: string): never {
  throw new StoreError('invalid', what);
}
export const isNat = (v: unknown) => Number.isInteger(v) && (v as number) >= 0;
export const isId = (v: unknown) => typeof v === 'string' && v.length > 0;

/**
 * The bytes as they will be stored. Structured clone of a view stores its WHOLE buffer, so a
 * view into a bigger buffer (or a shared one, which cannot be stored) is copied first.
 */
export function storable(b: Uint8Array | ArrayBuffer, what: string): Uint8Array {
  const tag = Object.prototype.toString.call(b);
  if (tag === '[object ArrayBuffer]') return new Uint8Array(b as ArrayBuffer);
  if (tag !== '[object Uint8Array]') invalid(`${what}: expected a Uint8Array or ArrayBuffer, got ${tag.slice(8, -1)}`);
  const u = b as Uint8Array;
  const whole = u.byteOffset === 0 && u.byteLength === u.buffer.byteLength && Object.prototype.toString.call(u.buffer) === '[object ArrayBuffer]';
  return whole ? u : u.slice();
}

/** Descending text order: ISO times compare as text, so this is newest first. */
export const desc = (x: string | undefined, y: string | undefined) => ((x ?? '') < (y ?? '') ? 1 : (x ?? '') > (y ?? '') ? -1 : 0);

export function publicMeta(m: StoredMeta): CheckpointMeta {
  const out: Partial<StoredMeta> = { ...m };
  delete out.seq;
  delete out.form;
  delete out.checksum;
  return out as CheckpointMeta;
}
