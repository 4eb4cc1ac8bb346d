// Recovery from the safety copies (vault.ts; docs/storage.md "A real full disk"): puts back into
// IndexedDB every run, newest checkpoint and dataset the database lost while its copy survived.
// Called once when the app's worker starts, before anything lists runs.

import { all, key, use, type DatasetRecord, type RunRecord, type Store, type StoredMeta } from './db';
import { writeTx } from './tx';
import { copiesSettled, listVault, readDatasetCopy, readRunCopy, type VaultDataset, type VaultRun } from './vault';
import { readTx } from './tx';

export interface Recovery {
  /** runs put back, each with the checkpoint it resumes from. */
  runs: { id: string; name: string; step: number; kind: string }[];
  datasets: { hash: string; name: string }[];
  /** safety copies that did not read back whole (left in place, not restored). */
  damaged: string[];
}

/**
 * A run is restored when IndexedDB has no record of it, or has the record but no checkpoint with
 * bytes (its newest save went with the database). A dataset is restored when its record is gone.
 * One transaction: the reads that decide and the writes.
 */
export async function recoverFromVault(store?: Store): Promise<Recovery> {
  const s = await use(store);
  await copiesSettled();
  const vault = await listVault(s.dbName);
  const out: Recovery = { runs: [], datasets: [], damaged: vault.damaged };
  if (vault.runs.length === 0 && vault.datasets.length === 0) return out;
  // The usual start-up: nothing is missing. Only headers were read; payloads are read only for
  // what is restored (copies can be hundreds of MB in all).
  const have = await readTx(s.kv, 'checking the stored runs against their safety copies', (t) => {
    const h = { runs: new Set<string>(), withCheckpoint: new Set<string>(), datasets: new Set<string>() };
    let metas: StoredMeta[] = [];
    t.getAllKeys(all('run'), (keys) => keys.forEach((k) => h.runs.add((k as string[])[1])));
    t.getAllKeys(all('dataset'), (keys) => keys.forEach((k) => h.datasets.add((k as string[])[1])));
    t.getAll<StoredMeta>(all('ckpt'), (v) => (metas = v));
    t.getAllKeys(all('blob'), (keys) => {
      const complete = new Set(keys.map((k) => (k as string[])[1]));
      for (const m of metas) if (complete.has(m.id)) h.withCheckpoint.add(m.runId);
    });
    return () => h;
  });
  const lost = (id: string) => !(have.runs.has(id) && have.withCheckpoint.has(id));
  const runs: VaultRun[] = [];
  for (const e of vault.runs) {
    const id = (e.header.run as RunRecord | undefined)?.id;
    if (typeof id !== 'string' || !lost(id)) continue;
    const copy = await readRunCopy(e);
    if (copy) runs.push(copy);
    else out.damaged.push(e.name);
  }
  const datasets: VaultDataset[] = [];
  for (const e of vault.datasets) {
    const hash = (e.header.record as DatasetRecord | undefined)?.hash;
    if (typeof hash !== 'string' || have.datasets.has(hash)) continue;
    const copy = await readDatasetCopy(e);
    if (copy) datasets.push(copy);
    else out.damaged.push(e.name);
  }
  if (runs.length === 0 && datasets.length === 0) return out;
  const needed = runs.reduce((n, r) => n + r.bytes.byteLength, 0) + datasets.reduce((n, d) => n + d.files.reduce((a, f) => a + f.bytes.byteLength, 0), 0);
  // The decision is made again inside the writing transaction: another tab may have restored
  // or saved meanwhile.
  return writeTx(s.kv, 'restoring runs from their safety copies', needed, (t) => {
    let records: RunRecord[] = [];
    let metas: StoredMeta[] = [];
    let stored: DatasetRecord[] = [];
    let seq = 0;
    t.getAll<RunRecord>(all('run'), (v) => (records = v));
    t.getAll<StoredMeta>(all('ckpt'), (v) => (metas = v));
    t.getAll<DatasetRecord>(all('dataset'), (v) => (stored = v));
    t.get<number>(key.seq, (n) => (seq = n ?? 0));
    t.getAllKeys(all('blob'), (blobKeys) => {
      const complete = new Set(blobKeys.map((k) => (k as string[])[1]));
      const runIds = new Set(records.map((r) => r.id));
      const withCheckpoint = new Set(metas.filter((m) => complete.has(m.id)).map((m) => m.runId));
      for (const { run, meta, bytes } of runs) {
        if (runIds.has(run.id) && withCheckpoint.has(run.id)) continue;
        // The run was training when its copy was written: now nothing trains it.
        const status = run.status === 'running' ? 'interrupted' : run.status;
        t.put(key.run(run.id), { ...run, status, step: meta.step, epoch: meta.epoch });
        t.put(key.meta(meta.id), meta);
        t.put(key.blob(meta.id), bytes);
        // later saves must count on from the restored one (retention orders by this counter)
        seq = Math.max(seq, meta.seq);
        out.runs.push({ id: run.id, name: run.name, step: meta.step, kind: meta.kind });
      }
      t.put(key.seq, seq);
      const hashes = new Set(stored.map((d) => d.hash));
      for (const { record, files } of datasets) {
        if (hashes.has(record.hash)) continue;
        t.put(key.files(record.hash), files);
        t.put(key.dataset(record.hash), record);
        out.datasets.push({ hash: record.hash, name: record.name });
      }
      t.commit();
    });
    return () => out;
  });
}
