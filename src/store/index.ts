// The IndexedDB store: runs, checkpoints (metadata + .ckpt bytes) and datasets, on idb-keyval.
// Layout, the atomic write protocol, retention and failure behaviour: docs/storage.md.
// This module is the public API; checkpoints live here, runs and datasets in records.ts.
//
// Runs in a Web Worker and on a page (no DOM APIs). Every function takes an optional store
// handle last; without it, the default database 'tabtrain' is used.

import { get } from 'idb-keyval';
import { all, desc, invalid, isId, isNat, KINDS, key, publicMeta, storable, use, type CheckpointMeta, type RunBranch, type RunRecord, type SaveResult, type Store, type StoredMeta } from './db';
import { bySaveOrder, keepPeriodicOf, planRetention, type Retention } from './retention';
import { readTx, StoreError, writeTx, type Tx } from './tx';
import { bodyToFile, integrityOf, makeBody, readBody } from '../ckpt/body';
import { CkptError } from '../ckpt/errors';
import { decodeCkpt } from '../ckpt/format';
import type { CkptContents } from '../ckpt/types';
import { checksumOf } from './xxh32';
import type { CheckpointKind } from '../engine/state';
import { vaultCheckpoint, vaultForgetCheckpoint } from './vault';
export { copiesSettled } from './vault';

export { openStore, OBJECT_STORE, type CheckpointMeta, type DatasetRecord, type RunBranch, type RunRecord, type RunStatus, type SaveResult, type Store } from './db';
export { deleteDataset, deleteRun, getDataset, getRun, listDatasets, listRuns, putDataset, putRun } from './records';
export { spaceWarning, StoreError, StoreFullError, storageEstimate, type Estimate, type StoreErrorCode } from './tx';
export { DEFAULT_KEEP_PERIODIC, type Retention } from './retention';
export { recoverFromVault, type Recovery } from './recover';
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
  const s = await use(store);
  const c = await commit(s, meta, data, keep, false);
  safetyCopy(s, c, data);
  return c.result;
}

/**
 * Stores checkpoint contents in the store's form (body.ts), the fast path for the app's own
 * checkpoints: the tensors are copied once, no SHA-256 is computed, and the body's checksum is
 * computed after put() has taken its copy of the bytes. Same transaction guarantees as saveCheckpoint.
 * `meta.bytes` is set from what is stored.
 */
export async function saveCheckpointContents(meta: Omit<CheckpointMeta, 'bytes'>, contents: CkptContents, retention?: Retention, store?: Store): Promise<SaveResult> {
  const full: CheckpointMeta = { ...meta, bytes: 0 };
  const keep = checkSave(full, retention);
  // put() copies the bytes it stores, so once a save has settled its buffer is free to fill
  // again. Taken, not shared: a save running meanwhile makes a buffer of its own.
  const reuse = spare;
  spare = null;
  const body = makeBody(contents, reuse);
  let copying = false;
  try {
    const s = await use(store);
    const c = await commit(s, full, body.bytes, keep, true);
    // the buffer goes to the next save only once its safety copy is written
    copying = safetyCopy(s, c, body.bytes, () => (spare = body.bytes.buffer));
    return c.result;
  } finally {
    if (!copying) spare = body.bytes.buffer;
  }
}

/**
 * After a committed save: the run's safety copy in OPFS (vault.ts) becomes this checkpoint, in
 * the background (the save does not wait: writing the bytes a second time would double its
 * time). `bytes` must stay untouched until `done`. A copy that cannot be written (the disk is
 * full) leaves the previous one; it is logged, and the save stands. Returns whether a copy was
 * started (false: a checkpoint without a run record has no copy).
 */
function safetyCopy(s: Store, c: Committed, bytes: Uint8Array, done?: () => void): boolean {
  if (!c.run) return false;
  const name = c.run.name;
  vaultCheckpoint(s.dbName, c.run, c.stored, bytes)
    .catch((e: unknown) => console.warn(`tabtrain: the safety copy of run ${name} was not updated: ${e instanceof Error ? e.message : String(e)}`))
    .finally(done);
  return true;
}

interface Committed {
  result: SaveResult;
  /** the run's record as it was when the save committed (absent: a checkpoint without a run record). */
  run?: RunRecord;
  stored: StoredMeta;
}

/** The buffer of the last settled body save, for the next one (makeBody's `reuse`). */
let spare: ArrayBuffer | null = null;

function checkSave(meta: CheckpointMeta, retention: Retention | undefined): number {
  if (!meta || !isId(meta.id) || !isId(meta.runId)) invalid('checkpoint: id and runId must be non-empty strings');
  if (!KINDS.includes(meta.kind)) invalid(`checkpoint ${meta.id}: unknown kind ${JSON.stringify(meta.kind)} (one of ${KINDS.join(', ')})`);
  if (!isNat(meta.step) || !isNat(meta.epoch)) invalid(`checkpoint ${meta.id}: step and epoch must be non-negative integers`);
  return keepPeriodicOf(retention);
}

/**
 * One readwrite transaction: the bytes; the save counter and the metadata, which is what makes a
 * checkpoint visible; retention over the run's checkpoints, the new one included. All of it
 * commits or none of it does, so a reader never sees metadata without bytes, and the previous
 * `latest` goes exactly when the new one arrives. A retention rule that throws is reported in
 * `retentionError`; the save still commits.
 *
 * Speed (docs/performance.md): every read (counter, metadata, keys) is issued first, together,
 * so the writes that depend on them wait for one round trip, which runs while put() is taking
 * its copy of the bytes; a body's checksum is computed after put() has taken it, while the
 * reads are answered.
 */
function commit(s: Store, meta: CheckpointMeta, data: Uint8Array, keep: number, asBody: boolean): Promise<Committed> {
  const record: Omit<StoredMeta, 'seq'> = { ...meta, bytes: data.byteLength };
  return writeTx(s.kv, `saving checkpoint ${meta.id} (step ${meta.step})`, data.byteLength, (t) => {
    let stored: StoredMeta | undefined;
    let deleted: string[] = [];
    let retentionError: string | undefined;
    let checksum: string | undefined;
    // Requests run in the order they are placed: these reads see the store without the new
    // checkpoint, which retention adds itself.
    t.get<number>(key.seq, (n) => {
      stored = { ...record, ...(asBody ? { form: 'body' as const, checksum } : {}), seq: (n ?? 0) + 1 };
      t.put(key.seq, stored.seq);
      t.put(key.meta(meta.id), stored);
    });
    let run: RunRecord | undefined;
    t.get<RunRecord>(key.run(meta.runId), (v) => (run = v));
    withRunCheckpoints(t, meta.runId, (metas, complete) => {
      try {
        const protect = branchStart(run?.branch, metas.filter((m) => m.id !== meta.id), complete);
        complete.add(meta.id);
        deleted = planRetention([...metas.filter((m) => m.id !== meta.id), stored!], complete, keep, protect);
      } catch (e) {
        retentionError = e instanceof Error ? e.message : String(e);
      }
      for (const id of deleted) {
        t.del(key.meta(id));
        t.del(key.blob(id));
      }
      // The last callback: nothing more will be asked (see Tx.commit).
      t.commit();
    });
    t.put(key.blob(meta.id), data);
    // Callbacks run in a later task, so the counter's callback above sees this.
    if (asBody) checksum = checksumOf(data);
    return () => ({ result: { meta: publicMeta(stored!), deleted, ...(retentionError ? { retentionError } : {}) }, run, stored: stored! });
  });
}

/**
 * Inside a transaction: the run's stored metadata (or all, runId null) and the ids with bytes.
 * Both reads are issued at once; results arrive in order, so the second callback has both.
 */
function withRunCheckpoints(t: Tx, runId: string | null, then: (metas: StoredMeta[], complete: Set<string>) => void): void {
  let metas: StoredMeta[] = [];
  t.getAll<StoredMeta>(all('ckpt'), (v) => (metas = v));
  // Keys only: the bytes themselves are never read to check they exist.
  t.getAllKeys(all('blob'), (blobKeys) => {
    const complete = new Set(blobKeys.map((k) => (k as string[])[1]));
    then(runId === null ? metas : metas.filter((m) => m.runId === runId), complete);
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

/**
 * The checkpoint Resume continues from, or undefined if the run has none. For a run with a
 * branch (RunRecord.branch): its newest save after the branch started, by the store's save
 * counter (not the step: the abandoned branch may have higher steps); before the branch has
 * saved, the checkpoint it started from. Otherwise (a run that never branched, whose saves come
 * in step order; or a branch whose start was deleted before it saved): the highest step, then time.
 */
export async function latestCheckpoint(runId: string, store?: Store): Promise<CheckpointMeta | undefined> {
  const s = await use(store);
  const head = await readTx(s.kv, `finding the checkpoint to resume run ${runId}`, (t) => {
    let run: RunRecord | undefined;
    let out: StoredMeta | undefined;
    t.get<RunRecord>(key.run(runId), (v) => (run = v));
    withRunCheckpoints(t, runId, (metas, complete) => (out = headOf(run?.branch, metas.filter((m) => complete.has(m.id)))));
    return () => out;
  });
  return head && publicMeta(head);
}

/** The head of the run's current branch among its complete checkpoints (see latestCheckpoint). */
function headOf(branch: RunBranch | undefined, metas: StoredMeta[]): StoredMeta | undefined {
  if (branch) {
    const on = metas.filter((m) => m.seq > branch.seq).sort(bySaveOrder);
    const start = on[0] ?? metas.find((m) => m.id === branch.checkpointId);
    if (start) return start;
  }
  return [...metas].sort((a, b) => b.step - a.step || desc(a.createdAt, b.createdAt) || b.seq - a.seq)[0];
}

/**
 * Retention's `protect` for a save: the checkpoint the run's branch started from, while the branch
 * has no complete save of its own yet (`metas`: the run's checkpoints before this save).
 */
function branchStart(branch: RunBranch | undefined, metas: StoredMeta[], complete: ReadonlySet<string>): Set<string> {
  if (!branch || metas.some((m) => m.seq > branch.seq && complete.has(m.id))) return new Set();
  return new Set([branch.checkpointId]);
}

/**
 * Records that run `runId` is resumed from checkpoint `checkpointId`. If that checkpoint is not
 * the run's current head (latestCheckpoint), a branch starts there: RunRecord.branch is set to it,
 * with the save counter now, in ONE transaction with the reads that decided it. Resuming the head
 * changes nothing. Returns the run record as stored. StoreError not_found: no such run, or no
 * such complete checkpoint of that run.
 */
export async function startBranch(runId: string, checkpointId: string, store?: Store): Promise<RunRecord> {
  const s = await use(store);
  return writeTx(s.kv, `recording where run ${runId} resumes`, 256, (t) => {
    let run: RunRecord | undefined;
    let seq = 0;
    t.get<RunRecord>(key.run(runId), (v) => (run = v));
    t.get<number>(key.seq, (n) => (seq = n ?? 0));
    withRunCheckpoints(t, runId, (metas, complete) => {
      if (!run) throw new StoreError('not_found', `run ${runId} is not stored`, { details: { what: 'run', id: runId } });
      const from = metas.find((m) => m.id === checkpointId && complete.has(m.id));
      if (!from) throw new StoreError('not_found', `checkpoint ${checkpointId} of run ${run.name} is not stored (deleted?)`, { details: { what: 'checkpoint', id: checkpointId } });
      const head = headOf(run.branch, metas.filter((m) => complete.has(m.id)));
      if (head?.id !== checkpointId) {
        run = { ...run, branch: { checkpointId, step: from.step, kind: from.kind, seq } };
        t.put(key.run(runId), run);
      }
      t.commit();
    });
    return () => run!;
  });
}

export async function getCheckpointMeta(id: string, store?: Store): Promise<CheckpointMeta | undefined> {
  const m = await get<StoredMeta>(key.meta(id), (await use(store)).kv);
  return m && publicMeta(m);
}

/**
 * A rolling checkpoint (latest, best, final: retention keeps one of each) named by what it is,
 * not by id: its id changes with every save of the kind.
 */
export interface CheckpointSlot {
  runId: string;
  kind: CheckpointKind;
}

/**
 * Reads a checkpoint's metadata and stored bytes in one transaction. With a `slot`, the
 * checkpoint now in it (the newest save of that kind of that run) is read, resolved inside the
 * same transaction: a training run's next save cannot replace it between finding and reading.
 */
async function readStored(id: string, store?: Store, slot?: CheckpointSlot): Promise<{ meta: StoredMeta; stored: Uint8Array }> {
  const s = await use(store);
  const { meta, blob } = await readTx(s.kv, `loading checkpoint ${id}`, (t) => {
    let meta: StoredMeta | undefined;
    let blob: unknown;
    if (slot) {
      withRunCheckpoints(t, slot.runId, (metas, complete) => {
        meta = metas.filter((m) => m.kind === slot.kind && complete.has(m.id)).sort(bySaveOrder)[0];
        if (meta) t.get<unknown>(key.blob(meta.id), (v) => (blob = v));
      });
    } else {
      t.get<StoredMeta>(key.meta(id), (v) => (meta = v));
      t.get<unknown>(key.blob(id), (v) => (blob = v));
    }
    return () => ({ meta, blob });
  });
  if (blob === undefined || !meta) {
    if (!meta && slot) throw new StoreError('not_found', `run ${slot.runId} has no ${slot.kind} checkpoint in the store (deleted?)`, { details: { what: 'checkpoint', id } });
    if (!meta) throw new StoreError('not_found', `no checkpoint with id ${id} in the store (deleted, or never saved)`, { details: { what: 'checkpoint', id } });
    throw new StoreError('missing_blob', `checkpoint ${id} (run ${meta.runId}, step ${meta.step}) has metadata but its bytes are missing from the store; delete it and use another checkpoint`);
  }
  const tag = Object.prototype.toString.call(blob);
  if (tag === '[object Uint8Array]') return { meta, stored: blob as Uint8Array };
  if (tag === '[object ArrayBuffer]') return { meta, stored: new Uint8Array(blob as ArrayBuffer) };
  throw new StoreError('missing_blob', `checkpoint ${id}: the stored bytes are a ${tag.slice(8, -1)}, not a Uint8Array`);
}

/** The stored body, its checksum verified, parsed (tensors are views into the stored bytes). */
function checkedBody(meta: StoredMeta, stored: Uint8Array): ReturnType<typeof readBody> {
  if (checksumOf(stored) !== meta.checksum) {
    throw new CkptError('integrity', `checkpoint ${meta.id} (run ${meta.runId}, step ${meta.step}) in browser storage is corrupted: integrity check failed (checksum mismatch); delete it and use another checkpoint`);
  }
  return readBody(stored);
}

/** The checkpoint as a .ckpt file (a body is verified and hashed into one). StoreError not_found / missing_blob. */
export async function loadCheckpoint(id: string, store?: Store): Promise<Uint8Array> {
  const { meta, stored } = await readStored(id, store);
  if (meta.form !== 'body') return stored;
  const body = checkedBody(meta, stored);
  return bodyToFile(body, await integrityOf(body));
}

/**
 * One read for a download: the metadata, the checked contents and the .ckpt file, from ONE
 * transaction; with a `slot`, whatever checkpoint is in it then. Separate reads let a running
 * training's next save replace a `latest` between them (seen: "checkpoint ... is not stored" on
 * Download while a run saved every few steps).
 */
export async function loadCheckpointFile(id: string, slot?: CheckpointSlot, store?: Store): Promise<{ meta: CheckpointMeta; contents: CkptContents; file: Uint8Array }> {
  const { meta, stored } = await readStored(id, store, slot);
  if (meta.form !== 'body') return { meta: publicMeta(meta), contents: await decodeCkpt(stored), file: stored };
  const body = checkedBody(meta, stored);
  return { meta: publicMeta(meta), contents: body.contents, file: bodyToFile(body, await integrityOf(body)) };
}

/**
 * The checkpoint's contents, checked, for resuming and inspecting. For a body the tensors are
 * views into ONE buffer (the stored bytes, not copied); a stored .ckpt file is decoded (each
 * tensor its own buffer). Damage is CkptError 'integrity'.
 */
export async function loadCheckpointContents(id: string, store?: Store): Promise<CkptContents> {
  const { meta, stored } = await readStored(id, store);
  if (meta.form !== 'body') return decodeCkpt(stored);
  return checkedBody(meta, stored).contents;
}

/** Deletes one checkpoint (metadata and bytes together). Returns whether it existed. */
export async function deleteCheckpoint(id: string, store?: Store): Promise<boolean> {
  const s = await use(store);
  const gone = await writeTx(s.kv, `deleting checkpoint ${id}`, 0, (t) => {
    let was: StoredMeta | undefined;
    t.get<StoredMeta>(key.meta(id), (m) => (was = m));
    t.del(key.meta(id));
    t.del(key.blob(id));
    return () => was;
  });
  // deliberately deleted: a recovery must not bring it back from the safety copy
  if (gone) await vaultForgetCheckpoint(s.dbName, gone.runId, id).catch(() => undefined);
  return gone !== undefined;
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
