// Test-only code for crash.test.ts: a writer that saves real .ckpt files into the IndexedDB store
// (src/store/index.ts) as fast as it can, and a verifier that checks what a crash left behind.
// Both run in crash.worker.ts (a dedicated worker, as the app's training worker runs the store);
// the page (crash.html) starts them, kills the writer on request, and keeps the progress the
// writer reports, so the test knows what had committed and what was in flight at the kill.
import { proxy, wrap, type Remote } from 'comlink';
import { get, getMany, keys, set } from 'idb-keyval';
import { decodeCkpt, encodeCkpt } from '../../src/ckpt/format';
import type { CkptContents } from '../../src/ckpt/types';
import { deleteCheckpoint, listCheckpoints, loadCheckpoint, loadCheckpointContents, openStore, saveCheckpoint, saveCheckpointContents, OBJECT_STORE, type CheckpointKind, type CheckpointMeta, type Store } from '../../src/store';
import { planRetention } from '../../src/store/retention';
import type { CkptTensor } from '../../src/ckpt/types';

export const KEEP_PERIODIC = 2;

/**
 * How saves are written. Anything but 'atomic' (the real store) is a deliberately broken
 * TEST-ONLY mutant that crash.test.ts must catch: metadata and bytes in two transactions, in
 * either order, or retention that deletes the previous checkpoint of the kind before saving.
 */
export type SaveMode = 'atomic' | 'split-meta-first' | 'split-bytes-first' | 'delete-first';

/** The kinds saved at a step, in order: a latest every step, a periodic every 3rd, a best every 4th. */
export function kindsAt(step: number): CheckpointKind[] {
  const kinds: CheckpointKind[] = ['latest'];
  if (step % 3 === 0) kinds.push('periodic');
  if (step % 4 === 1) kinds.push('best');
  return kinds;
}

export interface SaveEvent {
  type: 'start' | 'done';
  id: string;
  kind: CheckpointKind;
  step: number;
  /** done: milliseconds from start (the store's save, encoding excluded). */
  ms?: number;
}

/** Tensors of 1, 2 and 4 MiB: writes of 7 MiB take long enough for kills to land inside them. */
const SHAPES: [string, number[]][] = [
  ['model.w2', [256, 1024]],
  ['model.w1', [512, 1024]],
  ['optim.w1.m', [1024, 1024]],
];
const value = (step: number, t: number, i: number): number => step * 1000 + t * 7 + (i % 251);

function contentsFor(step: number, kind: CheckpointKind, id: string, buffers: Float32Array[]) {
  const tensors: CkptTensor[] = SHAPES.map(([name, shape], t) => {
    const data = buffers[t]!;
    for (let i = 0; i < data.length; i++) data[i] = value(step, t, i);
    return { name, dtype: 'F32', shape, data };
  });
  return { state: { step, kind, id }, tensors };
}

/** TEST-ONLY MUTANT: metadata and bytes in two transactions, what the real store never does. */
async function splitSave(meta: CheckpointMeta, bytes: Uint8Array, metaFirst: boolean, s: Store): Promise<void> {
  const seq = ((await get<number>(['seq'], s.kv)) ?? 0) + 1;
  await set(['seq'], seq, s.kv);
  const record = { ...meta, bytes: bytes.length, seq };
  if (metaFirst) {
    await set(['ckpt', meta.id], record, s.kv);
    await set(['blob', meta.id], bytes, s.kv);
  } else {
    await set(['blob', meta.id], bytes, s.kv);
    await set(['ckpt', meta.id], record, s.kv);
  }
  // The real retention rules, deleting through the store.
  const all = (await keys(s.kv)) as string[][];
  const metaKeys = all.filter((k) => k[0] === 'ckpt');
  const metas = ((await getMany(metaKeys, s.kv)) as (CheckpointMeta & { seq: number })[]).filter((m) => m.runId === meta.runId);
  const complete = new Set(all.filter((k) => k[0] === 'blob').map((k) => k[1]!));
  for (const id of planRetention(metas, complete, KEEP_PERIODIC)) await deleteCheckpoint(id, s);
}

/** Every key of the database with raw IndexedDB (not through the store), and the run's metadata. */
async function rawState(db: string, runId: string): Promise<{ metaIds: string[]; blobIds: string[] }> {
  const idb = await new Promise<IDBDatabase>((res, rej) => {
    const r = indexedDB.open(db);
    r.onsuccess = () => res(r.result);
    r.onerror = () => rej(r.error);
  });
  try {
    const os = idb.transaction(OBJECT_STORE, 'readonly').objectStore(OBJECT_STORE);
    const req = <T>(r: IDBRequest<T>) => new Promise<T>((res, rej) => ((r.onsuccess = () => res(r.result)), (r.onerror = () => rej(r.error))));
    const [allKeys, metas] = await Promise.all([
      req(os.getAllKeys()),
      req(os.getAll(IDBKeyRange.bound(['ckpt'], ['ckpt', []]))) as Promise<CheckpointMeta[]>,
    ]);
    const runMetas = new Set(metas.filter((m) => m.runId === runId).map((m) => m.id));
    const blobIds = (allKeys as string[][]).filter((k) => k[0] === 'blob').map((k) => k[1]!);
    return { metaIds: [...runMetas], blobIds };
  } finally {
    idb.close();
  }
}

export interface Verdict {
  /** what listCheckpoints returned, newest first. */
  listed: { id: string; kind: CheckpointKind; step: number }[];
  /** every way the stored state breaks a guarantee; empty when all is well. */
  problems: string[];
  counts: Record<CheckpointKind, number>;
  /** metadata records of the run without bytes, and bytes without a metadata record. */
  orphanMetas: string[];
  orphanBlobs: string[];
}

export function makeCrashApi() {
  return {
    /**
     * Saves checkpoints of one run, with increasing steps from one past the newest stored, until
     * the worker is terminated. `tag` keeps ids unique across trials.
     */
    async write(db: string, runId: string, tag: string, mode: SaveMode, onEvent: (e: SaveEvent) => void, maxSteps = Infinity): Promise<void> {
      const s = await openStore(db);
      const newest = (await listCheckpoints(runId, s))[0];
      const buffers = SHAPES.map(([, shape]) => new Float32Array(shape.reduce((a, b) => a * b, 1)));
      const first = (newest?.step ?? 0) + 1;
      for (let step = first; step < first + maxSteps; step++) {
        for (const kind of kindsAt(step)) {
          const id = `${tag}-${kind}-${step}`;
          const contents = contentsFor(step, kind, id, buffers);
          // The app saves its own checkpoints in the store's form (odd steps here), imports as
          // .ckpt files (even steps): both must survive a crash.
          const asBody = mode === 'atomic' && step % 2 === 1;
          const bytes = asBody ? null : await encodeCkpt(contents);
          const meta: CheckpointMeta = { id, runId, kind, step, epoch: 0, createdAt: new Date().toISOString(), bytes: 0 };
          const t0 = performance.now();
          void onEvent({ type: 'start', id, kind, step });
          if (mode === 'delete-first') {
            const limit = kind === 'periodic' ? KEEP_PERIODIC : 1;
            const same = (await listCheckpoints(runId, s)).filter((m) => m.kind === kind);
            for (const old of same.slice(limit - 1)) await deleteCheckpoint(old.id, s);
          }
          if (asBody) await saveCheckpointContents(meta, contents, { keepPeriodic: KEEP_PERIODIC }, s);
          else if (mode === 'atomic' || mode === 'delete-first') await saveCheckpoint(meta, bytes!, { keepPeriodic: KEEP_PERIODIC }, s);
          else await splitSave(meta, bytes!, mode === 'split-meta-first', s);
          void onEvent({ type: 'done', id, kind, step, ms: performance.now() - t0 });
        }
      }
    },

    /** Checks everything a reader could rely on after a crash (see crash.test.ts). */
    async verify(db: string, runId: string): Promise<Verdict> {
      const s = await openStore(db);
      const listed = await listCheckpoints(runId, s);
      const problems: string[] = [];
      const counts: Record<CheckpointKind, number> = { latest: 0, periodic: 0, best: 0, final: 0 };
      for (const m of listed) {
        counts[m.kind]++;
        const what = `${m.id} (listed as ${m.kind} step ${m.step})`;
        let c: CkptContents;
        try {
          // The resume path (both stored forms), checked; and the export path must agree.
          c = await loadCheckpointContents(m.id, s);
          const file = await decodeCkpt(await loadCheckpoint(m.id, s));
          if (JSON.stringify(file.state) !== JSON.stringify(c.state)) problems.push(`${what}: its exported file holds another state`);
        } catch (e) {
          problems.push(`${what}: does not load: ${(e as Error).message}`);
          continue;
        }
        const st = c.state as { step?: unknown; kind?: unknown; id?: unknown };
        if (st.step !== m.step || st.kind !== m.kind || st.id !== m.id) problems.push(`${what}: the bytes hold ${JSON.stringify(st)}`);
        c.tensors.forEach((t, ti) => {
          const n = t.data.length;
          if (t.data[0] !== value(m.step, ti, 0) || t.data[n - 1] !== value(m.step, ti, n - 1)) problems.push(`${what}: tensor ${t.name} holds another step's values`);
        });
      }
      const raw = await rawState(db, runId);
      const blobs = new Set(raw.blobIds);
      const metas = new Set(raw.metaIds);
      const orphanMetas = raw.metaIds.filter((id) => !blobs.has(id));
      // Only this run writes to the database: any bytes without metadata are a leftover of it.
      const orphanBlobs = raw.blobIds.filter((id) => !metas.has(id));
      if (orphanMetas.length) problems.push(`partial checkpoint stored: metadata without bytes for ${orphanMetas.join(', ')}`);
      if (orphanBlobs.length) problems.push(`partial checkpoint stored: bytes without metadata for ${orphanBlobs.join(', ')}`);
      if (metas.size !== listed.length && !orphanMetas.length) problems.push(`${metas.size} metadata records but ${listed.length} listed`);
      return { listed: listed.map((m) => ({ id: m.id, kind: m.kind, step: m.step })), problems, counts, orphanMetas, orphanBlobs };
    },
  };
}

export type CrashApi = ReturnType<typeof makeCrashApi>;

export interface Progress {
  started: number;
  done: number;
  /** highest step of a save the writer reported done (so committed), or -1. */
  maxDoneStep: number;
  /** the save started and not reported done, if any. */
  inFlight: SaveEvent | null;
  /** store save times of the last saves, ms. */
  durations: number[];
  /** set when the writer failed (a save threw). */
  error: string | null;
}

/** What the page hands the test (through page.evaluate on window.crash). */
function pageApi() {
  const progress: Progress = { started: 0, done: 0, maxDoneStep: -1, inFlight: null, durations: [], error: null };
  let writer: Worker | null = null;
  let onStart: (() => void) | null = null;
  const snapshot = (): Progress => ({ ...progress, durations: progress.durations.slice(-20) });
  const newWorker = () => new Worker(new URL('./crash.worker.ts', import.meta.url), { type: 'module' });
  /** Resolves once the current writer has started its k-th save (or failed). */
  const started = (k: number) =>
    new Promise<void>((resolve) => {
      if (progress.started >= k || progress.error) return resolve();
      onStart = () => {
        if (progress.started >= k || progress.error) {
          onStart = null;
          resolve();
        }
      };
    });
  const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

  return {
    progress: snapshot,
    /**
     * Starts a writer worker that saves until it is killed (or for maxSteps steps; the promise
     * settles then). Progress counts from here; a failed save ends up in progress.error.
     */
    startWriter(db: string, runId: string, tag: string, mode: SaveMode, maxSteps?: number): Promise<void> {
      Object.assign(progress, { started: 0, done: 0, maxDoneStep: -1, inFlight: null, error: null });
      writer = newWorker();
      const api: Remote<CrashApi> = wrap<CrashApi>(writer);
      const onEvent = (e: SaveEvent) => {
        if (e.type === 'start') {
          progress.started++;
          progress.inFlight = e;
          onStart?.();
        } else {
          progress.done++;
          progress.inFlight = null;
          progress.maxDoneStep = Math.max(progress.maxDoneStep, e.step);
          progress.durations.push(e.ms!);
        }
      };
      const done = api.write(db, runId, tag, mode, proxy(onEvent), maxSteps).catch((e: unknown) => {
        progress.error = (e as Error)?.message ?? String(e);
        onStart?.();
      });
      // Killed writers never settle: only a bounded one is worth waiting for.
      return maxSteps === undefined ? Promise.resolve() : done;
    },
    /** Waits for the k-th save to start, then delayMs more; returns the progress at that moment. */
    async afterSave(k: number, delayMs: number): Promise<Progress> {
      await started(k);
      await wait(delayMs);
      return snapshot();
    },
    /** The same, then terminates the writer worker from the page in the same task. */
    async terminateAfter(k: number, delayMs: number): Promise<Progress> {
      await started(k);
      await wait(delayMs);
      const at = snapshot();
      writer?.terminate();
      writer = null;
      return at;
    },
    /** Runs the checks in a fresh worker, then closes it. */
    async verify(db: string, runId: string): Promise<Verdict> {
      const w = newWorker();
      try {
        return await wrap<CrashApi>(w).verify(db, runId);
      } finally {
        w.terminate();
      }
    },
  };
}

export type CrashPageApi = ReturnType<typeof pageApi>;

if (typeof window !== 'undefined') {
  const w = window as unknown as Record<string, unknown>;
  w.crash = pageApi();
  w.crashReady = true;
}
