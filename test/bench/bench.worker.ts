// The bench worker: the real engine on a chosen backend in a dedicated worker, as the app runs
// it, with checkpoints written into this browser's IndexedDB through src/store/index.ts.
// browser-peers first: it wraps the WebGPU dispatch calls before any backend can issue one.
import { peerApi } from './browser-peers';
import '@tensorflow/tfjs-backend-webgpu';
import '../../src/worker/wasm-files';
import * as tf from '@tensorflow/tfjs';
import { expose } from 'comlink';
import { makeBody } from '../../src/ckpt/body';
import { getCheckpointMeta, loadCheckpointContents, saveCheckpointContents } from '../../src/store';
import type { CkptContents } from '../../src/ckpt/types';
import { useBackend } from '../../src/engine/backend';
import type { CheckpointPolicy } from '../../src/engine/session';
import type { CheckpointKind, StateMeta } from '../../src/engine/state';
import { Trainer } from '../../src/engine/trainer';
import { APP_POLICY, KEEP_PERIODIC } from './policy';
import { checkpointOverhead, compareThroughput, median, now, overlapCheck, scalingPoint, syncRead, tensorGrowth, type CkptMode, type SaveImpl } from './measure';
import { benchConfig, makeDataset, type BenchCase } from './models';

const absNow = () => performance.timeOrigin + performance.now();

/** saveCheckpointContents, as src/worker/runs.ts does (its run-record update left out). */
const idbSave: SaveImpl = async (contents: CkptContents, kind: CheckpointKind) => {
  const st = contents.state as unknown as StateMeta;
  const saved = await saveCheckpointContents(
    { id: crypto.randomUUID(), runId: st.lineage.runId, kind, step: st.step, epoch: st.cursor.epoch, createdAt: new Date().toISOString() },
    contents,
    { keepPeriodic: KEEP_PERIODIC },
  );
  return { bytes: saved.meta.bytes };
};

// A raw IndexedDB baseline: one database, one object store, one put/get per transaction.
let rawDb: Promise<IDBDatabase> | null = null;
function openRaw(): Promise<IDBDatabase> {
  rawDb ??= new Promise((resolve, reject) => {
    const req = indexedDB.open('bench-raw', 1);
    req.onupgradeneeded = () => req.result.createObjectStore('kv');
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  return rawDb;
}
async function rawPut(key: string, bytes: Uint8Array): Promise<void> {
  const db = await openRaw();
  await new Promise<void>((resolve, reject) => {
    const tx = db.transaction('kv', 'readwrite');
    tx.objectStore('kv').put(bytes, key);
    tx.oncomplete = () => resolve();
    tx.onabort = tx.onerror = () => reject(tx.error);
  });
}
async function rawGet(key: string): Promise<Uint8Array> {
  const db = await openRaw();
  return new Promise((resolve, reject) => {
    const tx = db.transaction('kv', 'readonly');
    const req = tx.objectStore('kv').get(key);
    tx.oncomplete = () => resolve(req.result as Uint8Array);
    tx.onabort = tx.onerror = () => reject(tx.error);
  });
}

const api = {
  ...peerApi,
  async backend(name: string) {
    const r = await useBackend(name);
    return { ...r, timeOrigin: performance.timeOrigin };
  },
  absNow,
  async adapter() {
    const gpu = (navigator as WorkerNavigator & { gpu?: GPU }).gpu;
    const a = gpu ? await gpu.requestAdapter() : null;
    return a ? { vendor: a.info.vendor, architecture: a.info.architecture, device: a.info.device, description: a.info.description } : null;
  },
  tfjsVersion: () => tf.version.tfjs,
  overlapCheck,
  memory: () => tf.memory() as tf.MemoryInfo & { numBytesInGPU?: number },
  async throughput(c: BenchCase, o: { warmSteps: number; rounds: number; stepsPerRound: number; withApp?: boolean }) {
    const start = absNow();
    const r = await compareThroughput(c, o);
    return { ...r, window: [start, absNow()] as [number, number] };
  },
  async overhead(c: BenchCase, o: { warmSteps: number; rounds: number; modes?: CkptMode[]; policy?: CheckpointPolicy }) {
    const start = absNow();
    const r = await checkpointOverhead(c, o.policy ?? APP_POLICY, idbSave, o);
    return { ...r, window: [start, absNow()] as [number, number] };
  },
  async growth(c: BenchCase, steps: number) {
    const start = absNow();
    const r = await tensorGrowth(c, steps, APP_POLICY, idbSave);
    return { ...r, window: [start, absNow()] as [number, number] };
  },
  async scaling(c: BenchCase, steps: number) {
    return scalingPoint(c, steps, async (contents, step) => {
      const saved = await saveCheckpointContents({ id: crypto.randomUUID(), runId: `bench-scale-${c.family}`, kind: 'latest', step, epoch: 0, createdAt: new Date().toISOString() }, contents);
      return { bytes: saved.meta.bytes };
    });
  },

  /**
   * Checkpoint write and read through the app's paths vs a raw IndexedDB put/get of the same
   * bytes, alternated `reps` times. Write: saveCheckpointContents (one copy into the stored form,
   * its checksum while the browser writes, metadata + retention in the same transaction). Read:
   * loadCheckpointContents (checksum verified, parsed, tensors as views into the stored bytes).
   * The model is created, not trained: its snapshot has the real tensor layout and sizes.
   */
  async ckptIo(c: BenchCase, reps: number) {
    const ds = makeDataset(c.family, c.dataSize);
    const t = Trainer.create({ config: benchConfig(c, ds), dataset: ds, runId: `bench-io-${c.family}` });
    const contents = await t.snapshot('latest');
    t.dispose();
    const stored = makeBody(contents).bytes; // exactly what the ckpt side stores
    const bytesLen = stored.byteLength;
    const meta = (id: string, step: number) => ({ id, runId: `bench-io-${c.family}`, kind: 'latest' as const, step, epoch: 0, createdAt: new Date().toISOString() });
    // Warm-up both paths once.
    await saveCheckpointContents(meta('bench-io-warm', 0), contents);
    await loadCheckpointContents('bench-io-warm');
    await rawPut('warm', stored);
    await rawGet('warm');
    const w = { ckpt: [] as number[], raw: [] as number[] };
    const r = { ckpt: [] as number[], raw: [] as number[] };
    let lastId = '';
    // Each timed operation starts from a quiet store: a write's commit leaves work behind in the
    // browser (its blob file) that would otherwise land on whichever operation comes next. The
    // app writes a checkpoint every few seconds at most, never back to back. Same pause for both.
    const settle = () => new Promise((resolve) => setTimeout(resolve, 50));
    for (let i = 0; i < reps; i++) {
      const order = i % 2 ? ['raw', 'ckpt'] : ['ckpt', 'raw'];
      for (const which of order) {
        await settle();
        if (which === 'ckpt') {
          const id = crypto.randomUUID();
          const t0 = now();
          await saveCheckpointContents(meta(id, i + 1), contents);
          w.ckpt.push(now() - t0);
          lastId = id;
        } else {
          // A fresh copy, like the ckpt side's freshly made bytes (copying it is not timed).
          const bytes = stored.slice();
          const t0 = now();
          await rawPut('ckpt', bytes);
          w.raw.push(now() - t0);
        }
      }
      for (const which of order) {
        await settle();
        if (which === 'ckpt') {
          const t0 = now();
          const back = await loadCheckpointContents(lastId);
          r.ckpt.push(now() - t0);
          if (back.tensors.length !== contents.tensors.length) throw new Error('read back a different checkpoint');
        } else {
          const t0 = now();
          await rawGet('ckpt');
          r.raw.push(now() - t0);
        }
      }
    }
    const mbps = (ms: number) => bytesLen / 1e6 / (ms / 1000);
    const med = (o: Record<string, number[]>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, median(v)]));
    const write = med(w);
    const read = med(r);
    return {
      label: c.label, family: c.family, bytes: bytesLen, tensors: contents.tensors.length, reps,
      write: { ...write, ckptMBps: mbps(write.ckpt), rawMBps: mbps(write.raw) },
      read: { ...read, ckptMBps: mbps(read.ckpt), rawMBps: mbps(read.raw) },
      writeRatio: write.raw / write.ckpt, readRatio: read.raw / read.ckpt,
      samples: { w, r },
    };
  },

  /** Stores a checkpoint of `c` after a few steps, for the resume timing page loads. */
  async resumeSetup(c: BenchCase, steps: number) {
    const ds = makeDataset(c.family, c.dataSize);
    const t = Trainer.create({ config: benchConfig(c, ds), dataset: ds, runId: `bench-resume-${c.family}` });
    await t.train({ target: { steps } });
    const contents = await t.snapshot('latest');
    t.dispose();
    const id = `bench-resume-${c.family}`;
    const saved = await saveCheckpointContents({ id, runId: id, kind: 'latest', step: steps, epoch: 0, createdAt: new Date().toISOString() }, contents);
    return { id, bytes: saved.meta.bytes };
  },

  /**
   * One measurement after a fresh page load: select the backend, then either create a run
   * (fresh) or load + decode + resume a stored checkpoint (resume), then one step, read back.
   * Returns absolute timestamps of each phase; the page adds its navigation start.
   */
  async firstStep(mode: 'fresh' | 'resume', c: BenchCase, backend: string, id: string) {
    const t0 = absNow();
    await useBackend(backend);
    const t1 = absNow();
    const ds = makeDataset(c.family, c.dataSize);
    let t: Trainer;
    const marks: Record<string, number> = { workerStart: t0, backend: t1 };
    if (mode === 'fresh') {
      t = Trainer.create({ config: benchConfig(c, ds), dataset: ds, runId: `bench-fresh-${c.family}` });
    } else {
      if (!(await getCheckpointMeta(id))) throw new Error(`checkpoint ${id} missing`);
      const contents = await loadCheckpointContents(id); // checked, as the app's worker resumes
      marks.loaded = absNow();
      t = Trainer.resume(contents, ds);
    }
    marks.created = absNow();
    await t.train({ target: { steps: t.step + 1 } });
    await syncRead(t); // readback: the step has really run
    marks.firstStep = absNow();
    t.dispose();
    return { marks, backend: tf.getBackend() };
  },
};

export type BenchApi = typeof api;
expose(api);
