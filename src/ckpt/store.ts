// The IndexedDB store: runs, checkpoints (metadata + .ckpt bytes) and datasets, on idb-keyval.
// Layout, the atomic write protocol, retention and failure behaviour: docs/storage.md.
// This module is the public API; checkpoints live here, runs and datasets in store-records.ts.
//
// Runs in a Web Worker and on a page (no DOM APIs). Every function takes an optional store
// handle last; without it, the default database 'tabtrain' is used.

import { get } from 'idb-keyval';
import { all, desc, invalid, isId, isNat, KINDS, key, publicMeta, storable, use, type CheckpointMeta, type SaveResult, type Store, type StoredMeta } from './store-db';
import { keepPeriodicOf, planRetention, type Retention } from './store-retention';
import { readTx, StoreError, writeTx, type Tx } from './store-tx';

export { openStore, OBJECT_STORE, type CheckpointMeta, type DatasetRecord, type RunRecord, type RunStatus, type SaveResult, type Store } from './store-db';
export { deleteDataset, deleteRun, getDataset, getRun, listDatasets, listRuns, putDataset, putRun } from './store-records';
export { StoreError, StoreFullError, storageEstimate, type Estimate, type StoreErrorCode } from './store-tx';
export { DEFAULT_KEEP_PERIODIC, type Retention } from './store-retention';
export type { CheckpointKind } from '../engine/state';

// ---------------------------------------------------------------------------------------------
// Checkpoints

/**
 * Stores a checkpoint: its bytes, its metadata and the save counter in ONE transaction, so a
 * reader sees both or neither. Then, in a following transaction, applies retention to the run
 * (the previous `latest` goes only once the new one is committed). A failure of that second
 * step does not undo the save; it is reported in `retentionError` and redone by the next save.
 */
export async function saveCheckpoint(meta: CheckpointMeta, bytes: Uint8Array | ArrayBuffer, retention?: Retention, store?: Store): Promise<SaveResult> {
  if (!meta || !isId(meta.id) || !isId(meta.runId)) invalid('checkpoint: id and runId must be non-empty strings');
  if (!KINDS.includes(meta.kind)) invalid(`checkpoint ${meta.id}: unknown kind ${JSON.stringify(meta.kind)} (one of ${KINDS.join(', ')})`);
  if (!isNat(meta.step) || !isNat(meta.epoch)) invalid(`checkpoint ${meta.id}: step and epoch must be non-negative integers`);
  const keep = keepPeriodicOf(retention);
  // Everything non-IDB happens before the transaction opens (an await inside would commit it).
  const data = storable(bytes, `checkpoint ${meta.id}`);
  if (data.byteLength === 0) invalid(`checkpoint ${meta.id}: the bytes are empty (a transferred or detached buffer?)`);
  const record: Omit<StoredMeta, 'seq'> = { ...meta, bytes: data.byteLength };
  const s = await use(store);

  const saved = await writeTx(s.kv, `saving checkpoint ${meta.id} (step ${meta.step})`, data.byteLength, (t) => {
    let stored: StoredMeta | undefined;
    // Bytes first, metadata last: the metadata is what makes a checkpoint visible, and all
    // three puts commit or vanish together.
    t.put(key.blob(meta.id), data);
    t.get<number>(key.seq, (n) => {
      const seq = (n ?? 0) + 1;
      t.put(key.seq, seq);
      stored = { ...record, seq };
      t.put(key.meta(meta.id), stored);
    });
    return () => publicMeta(stored!);
  });

  try {
    const deleted = await applyRetention(s, meta.runId, keep);
    return { meta: saved, deleted };
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    return { meta: saved, deleted: [], retentionError: why };
  }
}

/** Reads the run's checkpoints and deletes what retention says, all in one transaction. */
async function applyRetention(s: Store, runId: string, keep: number): Promise<string[]> {
  return writeTx(s.kv, `retention for run ${runId}`, 0, (t) => {
    let doomed: string[] = [];
    withRunCheckpoints(t, runId, (metas, complete) => {
      doomed = planRetention(metas, complete, keep);
      for (const id of doomed) {
        t.del(key.meta(id));
        t.del(key.blob(id));
      }
    });
    return () => doomed;
  });
}

/** Inside a transaction: the run's stored metadata (or all, runId null) and the ids with bytes. */
function withRunCheckpoints(t: Tx, runId: string | null, then: (metas: StoredMeta[], complete: Set<string>) => void): void {
  t.getAll<StoredMeta>(all('ckpt'), (metas) => {
    // Keys only: the bytes themselves are never read to check they exist.
    t.getAllKeys(all('blob'), (blobKeys) => {
      const complete = new Set(blobKeys.map((k) => (k as string[])[1]));
      then(runId === null ? metas : metas.filter((m) => m.runId === runId), complete);
    });
  });
}

/** The run's checkpoints that have their bytes, newest first (by step, then creation time). */
export async function listCheckpoints(runId: string, store?: Store): Promise<CheckpointMeta[]> {
  const s = await use(store);
  const metas = await readTx(s.kv, `listing checkpoints of run ${runId}`, (t) => {
    let out: StoredMeta[] = [];
    withRunCheckpoints(t, runId, (metas, complete) => (out = metas.filter((m) => complete.has(m.id))));
    return () => out;
  });
  metas.sort((a, b) => b.step - a.step || desc(a.createdAt, b.createdAt) || b.seq - a.seq);
  return metas.map(publicMeta);
}

/** The newest checkpoint of any kind (by step, then time), or undefined if the run has none. */
export async function latestCheckpoint(runId: string, store?: Store): Promise<CheckpointMeta | undefined> {
  return (await listCheckpoints(runId, store))[0];
}

export async function getCheckpointMeta(id: string, store?: Store): Promise<CheckpointMeta | undefined> {
  const m = await get<StoredMeta>(key.meta(id), (await use(store)).kv);
  return m && publicMeta(m);
}

/** The stored .ckpt bytes. Throws StoreError not_found / missing_blob with the reason. */
export async function loadCheckpoint(id: string, store?: Store): Promise<Uint8Array> {
  const s = await use(store);
  const { meta, blob } = await readTx(s.kv, `loading checkpoint ${id}`, (t) => {
    let meta: StoredMeta | undefined;
    let blob: unknown;
    t.get<StoredMeta>(key.meta(id), (v) => (meta = v));
    t.get<unknown>(key.blob(id), (v) => (blob = v));
    return () => ({ meta, blob });
  });
  if (blob === undefined) {
    if (!meta) throw new StoreError('not_found', `no checkpoint with id ${id} in the store (deleted, or never saved)`);
    throw new StoreError('missing_blob', `checkpoint ${id} (run ${meta.runId}, step ${meta.step}) has metadata but its bytes are missing from the store; delete it and use another checkpoint`);
  }
  const tag = Object.prototype.toString.call(blob);
  if (tag === '[object Uint8Array]') return blob as Uint8Array;
  if (tag === '[object ArrayBuffer]') return new Uint8Array(blob as ArrayBuffer);
  throw new StoreError('missing_blob', `checkpoint ${id}: the stored bytes are a ${tag.slice(8, -1)}, not a Uint8Array`);
}

/** Deletes one checkpoint (metadata and bytes together). Returns whether it existed. */
export async function deleteCheckpoint(id: string, store?: Store): Promise<boolean> {
  const s = await use(store);
  return writeTx(s.kv, `deleting checkpoint ${id}`, 0, (t) => {
    let existed = false;
    t.get<StoredMeta>(key.meta(id), (m) => (existed = m !== undefined));
    t.del(key.meta(id));
    t.del(key.blob(id));
    return () => existed;
  });
}

// ---------------------------------------------------------------------------------------------
// Storage

/**
 * Asks the browser not to evict this origin's storage. Only a page can ask (workers have no
 * persist()); headless and temporary profiles usually answer false.
 */
export async function requestPersistence(): Promise<boolean> {
  const storage = (globalThis.navigator as Navigator | undefined)?.storage;
  try {
    if (storage && typeof storage.persisted === 'function' && (await storage.persisted())) return true;
    if (!storage || typeof storage.persist !== 'function') return false;
    return await storage.persist();
  } catch {
    return false;
  }
}
