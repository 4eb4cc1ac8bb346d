// Runs and datasets in the IndexedDB store (docs/storage.md). Import from src/store/index.ts.

import { get } from 'idb-keyval';
import type { DataFile } from '../engine/data/types';
import { all, desc, invalid, isId, isNat, key, RUN_STATUSES, storable, use, type DatasetRecord, type RunRecord, type Store, type StoredMeta } from './db';
import { readTx, StoreError, writeTx } from './tx';
import { vaultDataset, vaultForgetDataset, vaultForgetRun } from './vault';

// ---------------------------------------------------------------------------------------------
// Runs

/** For the "needed" of a refused write only; a config JSON cannot express counts as 0. */
function approxSize(v: unknown): number {
  try {
    return JSON.stringify(v)?.length ?? 0;
  } catch {
    return 0;
  }
}

export async function putRun(run: RunRecord, store?: Store): Promise<void> {
  if (!run || !isId(run.id)) invalid('run: id must be a non-empty string');
  if (!RUN_STATUSES.includes(run.status)) invalid(`run ${run.id}: unknown status ${JSON.stringify(run.status)} (one of ${RUN_STATUSES.join(', ')})`);
  if (!isNat(run.step) || !isNat(run.epoch)) invalid(`run ${run.id}: step and epoch must be non-negative integers`);
  const s = await use(store);
  await writeTx(s.kv, `saving run ${run.id}`, approxSize(run), (t) => {
    t.put(key.run(run.id), run);
    return () => undefined;
  });
}

export async function getRun(id: string, store?: Store): Promise<RunRecord | undefined> {
  return get<RunRecord>(key.run(id), (await use(store)).kv);
}

/** All runs, most recently updated first. */
export async function listRuns(store?: Store): Promise<RunRecord[]> {
  const s = await use(store);
  const runs = await readTx(s.kv, 'listing runs', (t) => {
    let out: RunRecord[] = [];
    t.getAll<RunRecord>(all('run'), (v) => (out = v));
    return () => out;
  });
  return runs.sort((a, b) => desc(a.updatedAt, b.updatedAt) || desc(a.createdAt, b.createdAt) || desc(a.id, b.id));
}

/** Deletes the run and all its checkpoints in one transaction; returns the checkpoint ids deleted. */
export async function deleteRun(id: string, store?: Store): Promise<string[]> {
  const s = await use(store);
  const deleted = await writeTx(s.kv, `deleting run ${id}`, 0, (t) => {
    const gone: string[] = [];
    t.del(key.run(id));
    t.getAll<StoredMeta>(all('ckpt'), (metas) => {
      for (const m of metas) {
        if (m.runId !== id) continue;
        t.del(key.meta(m.id));
        t.del(key.blob(m.id));
        gone.push(m.id);
      }
    });
    return () => gone;
  });
  // deliberately deleted: a recovery must not bring it back from the safety copy (vault.ts)
  await vaultForgetRun(s.dbName, id).catch(() => undefined);
  return deleted;
}


// ---------------------------------------------------------------------------------------------
// Datasets

/** Stores a dataset's record and its raw files in one transaction (so a reload needs no file). */
export async function putDataset(record: DatasetRecord, files: DataFile[], store?: Store): Promise<DatasetRecord> {
  if (!record || !isId(record.hash)) invalid('dataset: hash must be a non-empty string');
  if (!Array.isArray(files) || files.length === 0) invalid(`dataset ${record.name ?? record.hash}: no files`);
  const stored = files.map((f, i) => {
    if (!f || typeof f.path !== 'string') invalid(`dataset ${record.hash}: file ${i} has no path`);
    return { path: f.path, bytes: storable(f.bytes, `dataset ${record.hash}: file ${f.path}`) };
  });
  const total = stored.reduce((n, f) => n + f.bytes.byteLength, 0);
  const rec: DatasetRecord = { ...record, bytes: total };
  const s = await use(store);
  await writeTx(s.kv, `saving dataset ${record.name || record.hash}`, total, (t) => {
    t.put(key.files(record.hash), stored);
    t.put(key.dataset(record.hash), rec);
    return () => undefined;
  });
  // The safety copy (vault.ts); without it the dataset is still stored, only not proof against a
  // database the browser recreates.
  await vaultDataset(s.dbName, rec, stored).catch(() => undefined);
  return rec;
}

export async function getDataset(hash: string, store?: Store): Promise<{ record: DatasetRecord; files: DataFile[] } | undefined> {
  const s = await use(store);
  const { record, files } = await readTx(s.kv, `loading dataset ${hash}`, (t) => {
    let record: DatasetRecord | undefined;
    let files: DataFile[] | undefined;
    t.get<DatasetRecord>(key.dataset(hash), (v) => (record = v));
    t.get<DataFile[]>(key.files(hash), (v) => (files = v));
    return () => ({ record, files });
  });
  if (!record) return undefined;
  if (!files) throw new StoreError('missing_blob', `dataset ${record.name} (${hash}) has a record but its files are missing from the store; add the dataset again`);
  return { record, files };
}

/** All dataset records (without their files), most recently added first. */
export async function listDatasets(store?: Store): Promise<DatasetRecord[]> {
  const s = await use(store);
  const out = await readTx(s.kv, 'listing datasets', (t) => {
    let v: DatasetRecord[] = [];
    t.getAll<DatasetRecord>(all('dataset'), (x) => (v = x));
    return () => v;
  });
  return out.sort((a, b) => desc(a.addedAt, b.addedAt) || desc(a.hash, b.hash));
}

/** Deletes the record and the files together. Runs that used it keep their datasetHash. */
export async function deleteDataset(hash: string, store?: Store): Promise<void> {
  const s = await use(store);
  await writeTx(s.kv, `deleting dataset ${hash}`, 0, (t) => {
    t.del(key.dataset(hash));
    t.del(key.files(hash));
    return () => undefined;
  });
  await vaultForgetDataset(s.dbName, hash).catch(() => undefined);
}
