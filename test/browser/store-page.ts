// Test-only API over the IndexedDB store (src/store/index.ts), used on store.html and, through
// comlink, inside store.worker.ts. Everything crosses to the test as plain data: bytes are made
// here from (seed, length) and compared here, errors come back as {name, code, message, needed}.
// Fault injection patches IDBObjectStore.prototype in this realm only (page or worker).
import { wrap } from 'comlink';
import { decodeCkpt, encodeCkpt } from '../../src/ckpt/format';
import * as S from '../../src/store';
import type { CheckpointMeta, DatasetRecord, RunRecord } from '../../src/store';
import type { CkptContents } from '../../src/ckpt/types';

/** Deterministic bytes: xorshift32 from a non-zero seed. */
export function bytesFor(seed: number, n: number): Uint8Array {
  let x = seed >>> 0 || 1;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

function same(a: Uint8Array, b: Uint8Array): string | null {
  if (a.length !== b.length) return `length ${a.length} != ${b.length}`;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return `byte ${i} differs`;
  return null;
}

export interface ErrInfo { name: string; code?: string; message: string; needed?: number; isStoreError: boolean; isStoreFull: boolean }
export type Attempt<T> = { ok: true; value: T } | { ok: false; error: ErrInfo };

async function attempt<T>(f: () => Promise<T>): Promise<Attempt<T>> {
  try {
    return { ok: true, value: await f() };
  } catch (e) {
    const x = e as Error & { code?: string; needed?: number };
    return { ok: false, error: { name: x?.name, code: x?.code, message: x?.message ?? String(e), needed: x?.needed, isStoreError: e instanceof S.StoreError, isStoreFull: e instanceof S.StoreFullError } };
  }
}

export interface FaultSpec {
  method: 'put' | 'delete';
  /** fire on the at-th call (1-based) after arming. */
  at: number;
  /** throw: the call throws DOMException(name) synchronously, nothing is written.
   *  abort: the call goes through, then the transaction is aborted from inside its success
   *  event, with tx.error set to DOMException(name) when a name is given (as a browser-side
   *  quota abort would) or left null (as our own abort would). That transaction's commit()
   *  is held back: script cannot abort a transaction it has asked to commit (a browser-side
   *  failure still can), and the store asks once its last request is placed. */
  mode: 'throw' | 'abort';
  name?: string;
}

const fault = { armed: null as FaultSpec | null, calls: 0, fired: false, holdCommit: null as IDBTransaction | null };
const originalCommit = IDBTransaction.prototype.commit;
IDBTransaction.prototype.commit = function (this: IDBTransaction) {
  if (this !== fault.holdCommit) originalCommit.call(this);
};
const originals = { put: IDBObjectStore.prototype.put, delete: IDBObjectStore.prototype.delete };

function arm(spec: FaultSpec) {
  disarm();
  fault.armed = spec;
  fault.calls = 0;
  fault.fired = false;
  const orig = originals[spec.method] as (...a: unknown[]) => IDBRequest;
  (IDBObjectStore.prototype as unknown as Record<string, unknown>)[spec.method] = function (this: IDBObjectStore, ...args: unknown[]) {
    if (!fault.armed || ++fault.calls !== spec.at) return orig.apply(this, args);
    fault.fired = true;
    disarm();
    if (spec.mode === 'throw') throw new DOMException(`injected ${spec.name} on ${spec.method}`, spec.name ?? 'UnknownError');
    const tx = this.transaction;
    fault.holdCommit = tx;
    const req = orig.apply(this, args);
    req.addEventListener('success', () => {
      if (spec.name) Object.defineProperty(tx, 'error', { value: new DOMException(`injected ${spec.name} at commit`, spec.name), configurable: true });
      tx.abort();
    });
    return req;
  };
}

function disarm() {
  fault.armed = null;
  IDBObjectStore.prototype.put = originals.put;
  IDBObjectStore.prototype.delete = originals.delete;
}

async function rawOpen(d: string): Promise<IDBDatabase> {
  await S.openStore(d); // creates the database and its object store if needed
  return new Promise<IDBDatabase>((res, rej) => {
    const r = indexedDB.open(d);
    r.onsuccess = () => res(r.result);
    r.onerror = () => rej(r.error);
  });
}

/** Checkpoint contents from a seed: raw random bits as F32 (NaN payloads, -0, subnormals) and I32. */
export function contentsFor(seed: number, n: number): CkptContents {
  const words = Math.max(1, Math.floor(n / 4));
  const bits = bytesFor(seed, words * 4);
  return {
    state: { seed, note: 'body', nested: { unicode: 'é ✓ 😀', list: [1, 2.5, null] } },
    tensors: [
      { name: 'model.w', dtype: 'F32', shape: [words], data: new Float32Array(bits.buffer) },
      { name: 'optim.w.m', dtype: 'I32', shape: [2, 3], data: new Int32Array([seed, -1, 0, 2 ** 31 - 1, -(2 ** 31), 7]) },
      { name: 'model.empty', dtype: 'F32', shape: [0, 4], data: new Float32Array(0) },
    ],
  };
}

const bitsOf = (t: { data: Float32Array | Int32Array }) => new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);

/** null when equal bit for bit (tensors and state), else what differs. */
function diffContents(a: CkptContents, b: CkptContents): string | null {
  if (JSON.stringify(a.state) !== JSON.stringify(b.state)) return 'state differs';
  if (a.tensors.length !== b.tensors.length) return `tensor count ${a.tensors.length} != ${b.tensors.length}`;
  for (const [i, t] of a.tensors.entries()) {
    const u = b.tensors[i]!;
    if (t.name !== u.name || t.dtype !== u.dtype || t.shape.join() !== u.shape.join()) return `tensor ${i} header differs`;
    const why = same(bitsOf(t), bitsOf(u));
    if (why) return `${t.name}: ${why}`;
  }
  return null;
}

type SaveOpts = { keepPeriodic?: number; as?: 'array' | 'view' | 'buffer' };
type FileSpec = { path: string; seed: number; n: number };

export function makeApi() {
  const db = (name: string) => S.openStore(name);
  return {
    putRun: async (d: string, run: RunRecord) => attempt(async () => S.putRun(run, await db(d))),
    getRun: async (d: string, id: string) => S.getRun(id, await db(d)),
    listRuns: async (d: string) => (await S.listRuns(await db(d))).map((r) => r.id),
    deleteRun: async (d: string, id: string) => S.deleteRun(id, await db(d)),

    /** Saves bytesFor(seed, n), passed as a whole Uint8Array, a view into a bigger buffer, or an ArrayBuffer. */
    save: async (d: string, meta: CheckpointMeta, seed: number, n: number, o: SaveOpts = {}) =>
      attempt(async () => {
        const b = bytesFor(seed, n);
        let arg: Uint8Array | ArrayBuffer = b;
        if (o.as === 'buffer') arg = b.buffer as ArrayBuffer;
        if (o.as === 'view') {
          const big = new Uint8Array(n + 64);
          big.set(b, 32);
          arg = big.subarray(32, 32 + n);
        }
        return S.saveCheckpoint(meta, arg, o.keepPeriodic === undefined ? undefined : { keepPeriodic: o.keepPeriodic }, await db(d));
      }),
    /** Saves contentsFor(seed, n) in the store's form (saveCheckpointContents, the app's path). */
    saveContents: async (d: string, meta: Omit<CheckpointMeta, 'bytes'>, seed: number, n: number, o: SaveOpts = {}) =>
      attempt(async () => S.saveCheckpointContents(meta, contentsFor(seed, n), o.keepPeriodic === undefined ? undefined : { keepPeriodic: o.keepPeriodic }, await db(d))),
    /**
     * Reads a checkpoint back both ways and compares here: loadCheckpointContents against
     * contentsFor(seed, n), and loadCheckpoint's file against what encodeCkpt writes.
     */
    checkContents: async (d: string, id: string, seed: number, n: number) => {
      const want = contentsFor(seed, n);
      const r = await attempt(async () => S.loadCheckpointContents(id, await db(d)));
      if (!r.ok) return { ok: false, reason: `${r.error.code}: ${r.error.message}` };
      const file = await attempt(async () => S.loadCheckpoint(id, await db(d)));
      if (!file.ok) return { ok: false, reason: `file: ${file.error.code}: ${file.error.message}` };
      const reason = diffContents(want, r.value) ?? (same(file.value, await encodeCkpt(want)) && 'file differs from encodeCkpt') ?? diffContents(want, await decodeCkpt(file.value));
      return { ok: reason === null, reason };
    },
    loadContents: async (d: string, id: string) => attempt(async () => (await S.loadCheckpointContents(id, await db(d))).tensors.length),
    /** Flips one bit of the stored bytes behind the store's back: at `offset` (negative: from the end). */
    rawFlip: async (d: string, id: string, offset: number) => {
      const idb = await rawOpen(d);
      const read = idb.transaction(S.OBJECT_STORE, 'readonly').objectStore(S.OBJECT_STORE).get(['blob', id]);
      const stored = await new Promise<Uint8Array>((res) => (read.onsuccess = () => res(read.result as Uint8Array)));
      const copy = new Uint8Array(stored);
      copy[offset < 0 ? copy.length + offset : offset] ^= 0x10;
      const tx = idb.transaction(S.OBJECT_STORE, 'readwrite');
      tx.objectStore(S.OBJECT_STORE).put(copy, ['blob', id]);
      await new Promise((res) => (tx.oncomplete = res));
      idb.close();
      return copy.length;
    },
    /** Loads and compares with bytesFor(seed, n) here, so the bytes never cross to the test. */
    check: async (d: string, id: string, seed: number, n: number) => {
      const r = await attempt(async () => S.loadCheckpoint(id, await db(d)));
      if (!r.ok) return { ok: false, reason: `${r.error.code}: ${r.error.message}`, tag: '' };
      const reason = same(r.value, bytesFor(seed, n));
      // whole: the stored array owns its buffer (a view into a bigger one would waste space).
      return { ok: reason === null, reason, tag: Object.prototype.toString.call(r.value), whole: r.value.buffer.byteLength === n };
    },
    load: async (d: string, id: string) => attempt(async () => (await S.loadCheckpoint(id, await db(d))).length),
    list: async (d: string, runId: string) => S.listCheckpoints(runId, await db(d)),
    latest: async (d: string, runId: string) => S.latestCheckpoint(runId, await db(d)),
    startBranch: async (d: string, runId: string, checkpointId: string) => attempt(async () => S.startBranch(runId, checkpointId, await db(d))),
    deleteCheckpoint: async (d: string, id: string) => S.deleteCheckpoint(id, await db(d)),

    putDataset: async (d: string, record: DatasetRecord, files: FileSpec[]) =>
      attempt(async () => S.putDataset(record, files.map((f) => ({ path: f.path, bytes: bytesFor(f.seed, f.n) })), await db(d))),
    checkDataset: async (d: string, hash: string, files: FileSpec[]) => {
      const got = await S.getDataset(hash, await db(d));
      if (!got) return { found: false, ok: false, record: null, reason: 'not found' };
      const diffs = files.map((f, i) => (got.files[i]?.path !== f.path ? `file ${i} path ${got.files[i]?.path}` : same(got.files[i].bytes, bytesFor(f.seed, f.n))));
      const reason = got.files.length !== files.length ? `file count ${got.files.length}` : diffs.find((x) => x) ?? null;
      return { found: true, ok: reason === null, record: got.record, reason };
    },
    listDatasets: async (d: string) => (await S.listDatasets(await db(d))).map((r) => r.hash),
    deleteDataset: async (d: string, hash: string) => S.deleteDataset(hash, await db(d)),

    /** Every key in the database, read with raw IndexedDB (not through the store), plus the save counter. */
    rawKeys: async (d: string) => {
      const idb = await rawOpen(d);
      const os = idb.transaction(S.OBJECT_STORE, 'readonly').objectStore(S.OBJECT_STORE);
      const [keys, seq] = await Promise.all([
        new Promise<IDBValidKey[]>((res) => (os.getAllKeys().onsuccess = (e) => res((e.target as IDBRequest<IDBValidKey[]>).result))),
        new Promise<unknown>((res) => (os.get(['seq']).onsuccess = (e) => res((e.target as IDBRequest).result))),
      ]);
      idb.close();
      return { keys: keys.map((k) => JSON.stringify(k)), seq };
    },

    /** Deletes one key behind the store's back (to fake damage the store itself never does). */
    rawDelete: async (d: string, key: string[]) => {
      const idb = await rawOpen(d);
      const tx = idb.transaction(S.OBJECT_STORE, 'readwrite');
      tx.objectStore(S.OBJECT_STORE).delete(key);
      await new Promise((res) => (tx.oncomplete = res));
      idb.close();
    },

    /** A real .ckpt from encodeCkpt, stored and read back, decodes to the same contents. */
    realCkpt: async (d: string) => {
      const contents = {
        state: { step: 3, note: 'stored' },
        tensors: [
          { name: 'model.w', dtype: 'F32' as const, shape: [2, 2], data: new Float32Array([1, -0, 0.5, 1e-40]) },
          { name: 'optim.w.m', dtype: 'F32' as const, shape: [2, 2], data: new Float32Array([NaN, 2, 3, 4]) },
        ],
      };
      const bytes = await encodeCkpt(contents);
      const meta = { id: 'real', runId: 'real-run', kind: 'final' as const, step: 3, epoch: 0, createdAt: new Date().toISOString(), bytes: 0 };
      await S.saveCheckpoint(meta, bytes, undefined, await db(d));
      const back = await decodeCkpt(await S.loadCheckpoint('real', await db(d)));
      const raw = (t: { data: Float32Array | Int32Array }) => Array.from(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength)).join();
      return {
        state: back.state,
        names: back.tensors.map((t) => t.name),
        same: back.tensors.every((t, i) => raw(t) === raw(contents.tensors[i])),
      };
    },

    /** Empties the database behind the store's back, as a browser that drops and recreates it leaves it. */
    rawClear: async (d: string) => {
      const idb = await rawOpen(d);
      const tx = idb.transaction(S.OBJECT_STORE, 'readwrite');
      tx.objectStore(S.OBJECT_STORE).clear();
      await new Promise((res) => (tx.oncomplete = res));
      idb.close();
    },
    copiesSettled: async () => S.copiesSettled(),
    recover: async (d: string) => attempt(async () => S.recoverFromVault(await db(d))),
    /** Flips one byte of a run's safety copy in OPFS (`runs/<runId>.bin`), from the end. */
    vaultFlip: async (d: string, runId: string) => {
      const dir = await (await (await (await navigator.storage.getDirectory()).getDirectoryHandle('tabtrain-vault')).getDirectoryHandle(encodeURIComponent(d))).getDirectoryHandle('runs');
      const fh = await dir.getFileHandle(`${encodeURIComponent(runId)}.bin`);
      const bytes = new Uint8Array(await (await fh.getFile()).arrayBuffer());
      bytes[bytes.length - 1] ^= 0x10;
      const w = await fh.createWritable();
      await w.write(bytes);
      await w.close();
    },

    arm: async (spec: FaultSpec) => arm(spec),
    faultFired: async () => fault.fired,
    disarm: async () => disarm(),
    /** Makes navigator.storage.estimate report these numbers (null: the real one again). */
    fakeEstimate: async (e: { usage: number; quota: number } | null) => {
      const storage = globalThis.navigator.storage as unknown as Record<string, unknown>;
      if (e) storage.estimate = async () => ({ ...e });
      else delete storage.estimate; // the prototype's real one shows through again
    },
    estimate: async () => S.storageEstimate(),
    persist: async () => S.requestPersistence(),
  };
}

export type StoreTestApi = ReturnType<typeof makeApi>;

if (typeof window !== 'undefined') {
  const w = window as unknown as Record<string, unknown>;
  w.st = makeApi();
  const worker = new Worker(new URL('./store.worker.ts', import.meta.url), { type: 'module' });
  w.wk = wrap<StoreTestApi>(worker);
  w.storeReady = true;
}
