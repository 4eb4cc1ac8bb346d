// Recovery from the safety copies (vault.ts; docs/storage.md "A real full disk"): puts back into
// IndexedDB every run, newest checkpoint and dataset the database lost while its copy survived.
// Called once when the app's worker starts, before anything lists runs.

import { all, key, use, type DatasetRecord, type RunRecord, type Store, type StoredMeta } from './db';
import { writeTx } from './tx';
import { readVault } from './vault';

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
  const vault = await readVault(s.dbName);
  const out: Recovery = { runs: [], datasets: [], damaged: vault.damaged };
  if (vault.runs.length === 0 && vault.datasets.length === 0) return out;
  const needed = vault.runs.reduce((n, r) => n + r.bytes.byteLength, 0) + vault.datasets.reduce((n, d) => n + d.files.reduce((a, f) => a + f.bytes.byteLength, 0), 0);
  return writeTx(s.kv, 'restoring runs from their safety copies', needed, (t) => {
    let runs: RunRecord[] = [];
    let metas: StoredMeta[] = [];
    let datasets: DatasetRecord[] = [];
    let seq = 0;
    t.getAll<RunRecord>(all('run'), (v) => (runs = v));
    t.getAll<StoredMeta>(all('ckpt'), (v) => (metas = v));
    t.getAll<DatasetRecord>(all('dataset'), (v) => (datasets = v));
    t.get<number>(key.seq, (n) => (seq = n ?? 0));
    t.getAllKeys(all('blob'), (blobKeys) => {
      const complete = new Set(blobKeys.map((k) => (k as string[])[1]));
      const runIds = new Set(runs.map((r) => r.id));
      const withCheckpoint = new Set(metas.filter((m) => complete.has(m.id)).map((m) => m.runId));
      for (const { run, meta, bytes } of vault.runs) {
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
      const hashes = new Set(datasets.map((d) => d.hash));
      for (const { record, files } of vault.datasets) {
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
