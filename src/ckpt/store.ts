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
import { bodyToFile, integrityOf, makeBody, readBody, verifyBody } from './body';
import { CkptError } from './errors';
import { decodeCkpt } from './format';
import { sha256Hex } from './layout';
import type { CkptContents } from './types';

export { openStore, OBJECT_STORE, type CheckpointMeta, type DatasetRecord, type RunRecord, type RunStatus, type SaveResult, type Store } from './store-db';
export { deleteDataset, deleteRun, getDataset, getRun, listDatasets, listRuns, putDataset, putRun } from './store-records';
export { StoreError, StoreFullError, storageEstimate, type Estimate, type StoreErrorCode } from './store-tx';
export { DEFAULT_KEEP_PERIODIC, type Retention } from './store-retention';
export type { CheckpointKind } from '../engine/state';

// ---------------------------------------------------------------------------------------------
// Checkpoints

/**
 * Stores a .ckpt file as it is (imports keep the exact bytes they came with). Its bytes, its
 * metadata, the save counter and retention are ONE transaction (see commit below).
 */
export async function saveCheckpoint(meta: CheckpointMeta, bytes: Uint8Array | ArrayBuffer, retention?: Retention, store?: Store): Promise<SaveResult> {
  const keep = checkSave(meta, retention);
  // Everything non-IDB happens before the transaction opens (an await inside would commit it).
  const data = storable(bytes, `checkpoint ${meta.id}`);
  if (data.byteLength === 0) invalid(`checkpoint ${meta.id}: the bytes are empty (a transferred or detached buffer?)`);
  return commit(await use(store), meta, data, keep, null);
}

/**
 * Stores checkpoint contents in the store's form (body.ts), the fast path for the app's own
 * checkpoints: the tensors are copied once, and the hash runs while IndexedDB writes the bytes.
 * Same transaction guarantees as saveCheckpoint. `meta.bytes` is set from what is stored.
 */
export async function saveCheckpointContents(meta: Omit<CheckpointMeta, 'bytes'>, contents: CkptContents, retention?: Retention, store?: Store): Promise<SaveResult> {
  const full: CheckpointMeta = { ...meta, bytes: 0 };
  const keep = checkSave(full, retention);
  const body = makeBody(contents);
  const s = await use(store);
  return commit(s, { ...full, bytes: body.bytes.byteLength }, body.bytes, keep, integrityOf(body));
}

function checkSave(meta: CheckpointMeta, retention: Retention | undefined): number {
  if (!meta || !isId(meta.id) || !isId(meta.runId)) invalid('checkpoint: id and runId must be non-empty strings');
  if (!KINDS.includes(meta.kind)) invalid(`checkpoint ${meta.id}: unknown kind ${JSON.stringify(meta.kind)} (one of ${KINDS.join(', ')})`);
  if (!isNat(meta.step) || !isNat(meta.epoch)) invalid(`checkpoint ${meta.id}: step and epoch must be non-negative integers`);
  return keepPeriodicOf(retention);
}

/**
 * One readwrite transaction: the bytes first; then (once `integrity`, if given, has resolved) the
 * save counter and the metadata, which is what makes a checkpoint visible; then retention over
 * the run's checkpoints, the new one included. All of it commits or none of it does, so a reader
 * never sees metadata without bytes, and the previous `latest` goes only with the new one's
 * arrival. A retention rule that throws is reported in `retentionError`; the save still commits.
 *
 * The hash runs on the browser's crypto thread while IndexedDB stores the bytes. A transaction
 * commits once no request is pending, and the hash's promise settles outside any request
 * callback, so the transaction is kept open by reading ['seq'] until the hash is there (normally
 * at once: writing the bytes takes longer than hashing them).
 */
function commit(s: Store, meta: CheckpointMeta, data: Uint8Array, keep: number, integrity: Promise<string> | null): Promise<SaveResult> {
  let hash: { value: string } | { error: unknown } | null = null;
  integrity?.then((value) => (hash = { value }), (error: unknown) => (hash = { error }));
  const record: Omit<StoredMeta, 'seq'> = { ...meta, bytes: data.byteLength };
  return writeTx(s.kv, `saving checkpoint ${meta.id} (step ${meta.step})`, data.byteLength, (t) => {
    let stored: StoredMeta | undefined;
    let deleted: string[] = [];
    let retentionError: string | undefined;
    t.put(key.blob(meta.id), data);
    const visible = (extra: Partial<StoredMeta>) => t.get<number>(key.seq, (n) => {
      const seq = (n ?? 0) + 1;
      t.put(key.seq, seq);
      stored = { ...record, ...extra, seq };
      t.put(key.meta(meta.id), stored);
      withRunCheckpoints(t, meta.runId, (metas, complete) => {
        try {
          deleted = planRetention(metas, complete, keep);
        } catch (e) {
          retentionError = e instanceof Error ? e.message : String(e);
          return;
        }
        for (const id of deleted) {
          t.del(key.meta(id));
          t.del(key.blob(id));
        }
      });
    });
    const whenHashed = (): void => t.get(key.seq, () => {
      const h = hash as { value: string } | { error: unknown } | null;
      if (h === null) return whenHashed();
      if ('error' in h) throw h.error; // aborts the transaction: nothing is stored
      visible({ form: 'body', integrity: h.value });
    });
    if (integrity) whenHashed();
    else visible({});
    return () => ({ meta: publicMeta(stored!), deleted, ...(retentionError ? { retentionError } : {}) });
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

/** Reads a checkpoint's metadata and stored bytes in one transaction. */
async function readStored(id: string, store?: Store): Promise<{ meta: StoredMeta; stored: Uint8Array }> {
  const s = await use(store);
  const { meta, blob } = await readTx(s.kv, `loading checkpoint ${id}`, (t) => {
    let meta: StoredMeta | undefined;
    let blob: unknown;
    t.get<StoredMeta>(key.meta(id), (v) => (meta = v));
    t.get<unknown>(key.blob(id), (v) => (blob = v));
    return () => ({ meta, blob });
  });
  if (blob === undefined || !meta) {
    if (!meta) throw new StoreError('not_found', `no checkpoint with id ${id} in the store (deleted, or never saved)`);
    throw new StoreError('missing_blob', `checkpoint ${id} (run ${meta.runId}, step ${meta.step}) has metadata but its bytes are missing from the store; delete it and use another checkpoint`);
  }
  const tag = Object.prototype.toString.call(blob);
  if (tag === '[object Uint8Array]') return { meta, stored: blob as Uint8Array };
  if (tag === '[object ArrayBuffer]') return { meta, stored: new Uint8Array(blob as ArrayBuffer) };
  throw new StoreError('missing_blob', `checkpoint ${id}: the stored bytes are a ${tag.slice(8, -1)}, not a Uint8Array`);
}

const what = (m: StoredMeta) => `checkpoint ${m.id} (run ${m.runId}, step ${m.step}) in browser storage`;

/** The checkpoint as a .ckpt file (verified). Throws StoreError not_found / missing_blob. */
export async function loadCheckpoint(id: string, store?: Store): Promise<Uint8Array> {
  const { meta, stored } = await readStored(id, store);
  if (meta.form !== 'body') return stored;
  const body = readBody(stored);
  await verifyBody(body, meta.integrity ?? '', what(meta));
  return bodyToFile(body, meta.integrity!);
}

/**
 * The checkpoint's contents, for resuming: the fast path. For a checkpoint stored by
 * saveCheckpointContents the tensors are views into ONE buffer (the stored bytes, not copied)
 * and `verified` settles once its hash has been checked, so the caller can build its trainer
 * meanwhile; it must await `verified` before trusting the result (rejects with CkptError
 * 'integrity'). For a stored .ckpt file, decodeCkpt has checked everything before this returns.
 * A body too damaged to parse rejects at once, with the integrity error when the hash is wrong
 * too (that is the cause).
 */
export async function loadCheckpointContents(id: string, store?: Store): Promise<{ contents: CkptContents; verified: Promise<void> }> {
  const { meta, stored } = await readStored(id, store);
  if (meta.form !== 'body') return { contents: await decodeCkpt(stored), verified: Promise.resolve() };
  let body: ReturnType<typeof readBody>;
  try {
    body = readBody(stored);
  } catch (e) {
    throw await integrityFirst(stored, meta, e);
  }
  const verified = verifyBody(body, meta.integrity ?? '', what(meta));
  verified.catch(() => {}); // handled by the caller; never an unhandled rejection meanwhile
  return { contents: body.contents, verified };
}

/** For a body that does not parse: the integrity error if its hash is wrong (the real cause). */
async function integrityFirst(stored: Uint8Array, meta: StoredMeta, parseError: unknown): Promise<unknown> {
  const pad = stored.byteLength >= 8 ? new DataView(stored.buffer, stored.byteOffset, 8).getUint32(0, true) : 8;
  if (pad > 7) return parseError;
  const hashInput = new Uint8Array(stored.subarray(8 + pad)); // a copy: sha256Hex needs a plain ArrayBuffer view
  if (`sha256:${await sha256Hex(hashInput)}` !== meta.integrity) {
    return new CkptError('integrity', `${what(meta)} is corrupted: integrity check failed (sha256 mismatch)`);
  }
  return parseError;
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
