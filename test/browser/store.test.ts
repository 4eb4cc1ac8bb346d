// The IndexedDB store (src/store/index.ts) against real IndexedDB in Debian's Chromium: round
// trips, atomic checkpoint writes under injected failures, retention, quota errors, a worker,
// and persistence across a page reload and a browser restart. Each test uses its own database.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ViteDevServer } from 'vite';
import type { Page } from 'playwright-core';
import type { CheckpointKind, CheckpointMeta, DatasetRecord, RunRecord } from '../../src/store';
import { openBrowser, startServer, type BrowserSession } from './harness';
import type { StoreTestApi } from './store-page';

let server: ViteDevServer;
let url: string;
let session: BrowserSession;

type Api = StoreTestApi;
type Call = <K extends keyof Api>(method: K, ...args: Parameters<Api[K]>) => Promise<Awaited<ReturnType<Api[K]>>>;
/** Calls the test API on the page ('st') or in the worker ('wk') of a given page. */
const on = (page: () => Page, target: 'st' | 'wk'): Call => (method, ...args) =>
  page().evaluate(([t, m, a]) => (window as any)[t][m](...a), [target, method, args] as [string, string, unknown[]]) as any;
const st = on(() => session.page, 'st');
const wk = on(() => session.page, 'wk');

async function openPage(page: Page) {
  await page.goto(`${url}/test/browser/store.html`);
  await page.waitForFunction(() => (window as any).storeReady === true);
}

const t0 = Date.UTC(2026, 0, 1);
const at = (s: number) => new Date(t0 + s * 1000).toISOString();
const ck = (id: string, runId: string, kind: CheckpointKind, step: number): CheckpointMeta => ({ id, runId, kind, step, epoch: Math.floor(step / 10), createdAt: at(step), bytes: 0 });
const run = (id: string, updated: number, extra: Partial<RunRecord> = {}): RunRecord => ({
  id, name: `run ${id}`, createdAt: at(0), updatedAt: at(updated), status: 'running', datasetHash: 'h1', datasetSummary: 'csv 150 rows',
  family: 'mlp', step: 7, epoch: 1, totalSteps: 100, best: { step: 5, epoch: 0, valLoss: 0.25, valAccuracy: 0.9 }, config: { lr: 0.001, hidden: [16, 8], nested: { a: null } } as unknown as RunRecord['config'], ...extra,
});
const ds = (hash: string, added: number): DatasetRecord => ({ hash, name: `ds ${hash}`, kind: 'csv', summary: '3 rows', bytes: 0, addedAt: at(added) });

beforeAll(async () => {
  const s = await startServer();
  server = s.server;
  url = s.url;
  session = await openBrowser({ webgpu: false });
  await openPage(session.page);
});

afterAll(async () => {
  if (session) console.log(session.logs.slice(-20).join('\n'));
  await session?.close();
  await server?.close();
});

describe('IndexedDB store', () => {
  it('round-trips runs, lists them most recently updated first', async () => {
    const d = 'runs';
    for (const [id, u] of [['a', 10], ['b', 30], ['c', 20]] as const) expect((await st('putRun', d, run(id, u))).ok).toBe(true);
    expect(await st('getRun', d, 'b')).toEqual(run('b', 30));
    expect(await st('listRuns', d)).toEqual(['b', 'c', 'a']);
    const updated = run('a', 40, { status: 'interrupted', lastError: 'tab closed', parent: { runId: 'b', checkpointId: 'x' } });
    await st('putRun', d, updated);
    expect(await st('getRun', d, 'a')).toEqual(updated);
    expect(await st('listRuns', d)).toEqual(['a', 'b', 'c']);
    expect(await st('getRun', d, 'nope')).toBeUndefined();
    const bad = await st('putRun', d, { ...run('z', 1), status: 'weird' as any });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error).toMatchObject({ code: 'invalid', isStoreError: true, message: expect.stringContaining('unknown status') });
  });

  it('round-trips checkpoint bytes exactly, lists newest first, finds the latest', async () => {
    const d = 'ckpts';
    const saves: [CheckpointMeta, number, number, 'array' | 'view' | 'buffer'][] = [
      [ck('c1', 'r', 'periodic', 10), 11, 1000, 'array'],
      [ck('c3', 'r', 'best', 30), 33, 70_000, 'view'],
      [ck('c2', 'r', 'periodic', 20), 22, 1, 'buffer'],
      [ck('o1', 'other', 'latest', 99), 44, 10, 'array'],
    ];
    for (const [m, seed, n, as] of saves) {
      const r = await st('save', d, m, seed, n, { as });
      expect(r.ok, JSON.stringify(r)).toBe(true);
      if (r.ok) expect(r.value.meta).toEqual({ ...m, bytes: n });
    }
    for (const [m, seed, n] of saves) expect(await st('check', d, m.id, seed, n)).toEqual({ ok: true, reason: null, tag: '[object Uint8Array]', whole: true });
    // The comparison can fail: wrong seed, and the view case stored only its own bytes.
    expect((await st('check', d, 'c1', 12, 1000)).ok).toBe(false);
    expect(await st('load', d, 'c3')).toEqual({ ok: true, value: 70_000 });
    expect((await st('list', d, 'r')).map((m) => m.id)).toEqual(['c3', 'c2', 'c1']);
    expect((await st('list', d, 'r'))[0]).toEqual({ ...ck('c3', 'r', 'best', 30), bytes: 70_000 });
    expect((await st('latest', d, 'r'))?.id).toBe('c3');
    expect(await st('latest', d, 'none')).toBeUndefined();
    const missing = await st('load', d, 'ghost');
    expect(missing.ok).toBe(false);
    if (!missing.ok) expect(missing.error).toMatchObject({ code: 'not_found', message: expect.stringContaining('no checkpoint with id ghost') });
    expect(await st('deleteCheckpoint', d, 'c2')).toBe(true);
    expect(await st('deleteCheckpoint', d, 'c2')).toBe(false);
    expect((await st('list', d, 'r')).map((m) => m.id)).toEqual(['c3', 'c1']);
    expect((await st('rawKeys', d)).keys).not.toContain('["blob","c2"]');
    // Metadata whose bytes vanished (damage from outside) is not listed, and loading says why.
    await st('rawDelete', d, ['blob', 'c1']);
    expect((await st('list', d, 'r')).map((m) => m.id)).toEqual(['c3']);
    const lost = await st('load', d, 'c1');
    expect(lost.ok || lost.error).toMatchObject({ code: 'missing_blob', message: expect.stringContaining('bytes are missing') });
    // A real .ckpt survives storage and decodes to the same tensors, NaN and -0 included.
    expect(await st('realCkpt', d)).toEqual({ state: { step: 3, note: 'stored' }, names: ['model.w', 'optim.w.m'], same: true });
  });

  it('round-trips datasets with their files, lists newest first, deletes both', async () => {
    const d = 'datasets';
    const files = [{ path: 'cats/a.png', seed: 5, n: 3000 }, { path: 'dogs/b.png', seed: 6, n: 10 }];
    const put = await st('putDataset', d, ds('h1', 1), files);
    expect(put).toEqual({ ok: true, value: { ...ds('h1', 1), bytes: 3010 } });
    await st('putDataset', d, ds('h2', 5), [{ path: 'x.csv', seed: 7, n: 100 }]);
    expect(await st('checkDataset', d, 'h1', files)).toEqual({ found: true, ok: true, record: { ...ds('h1', 1), bytes: 3010 }, reason: null });
    expect((await st('checkDataset', d, 'h1', [files[1], files[0]])).ok).toBe(false);
    expect(await st('listDatasets', d)).toEqual(['h2', 'h1']);
    await st('deleteDataset', d, 'h1');
    expect((await st('checkDataset', d, 'h1', files)).found).toBe(false);
    expect((await st('rawKeys', d)).keys.filter((k) => k.includes('h1'))).toEqual([]);
    expect(await st('listDatasets', d)).toEqual(['h2']);
  });

  it('writes a checkpoint atomically: a failure anywhere in its transaction leaves no trace and the previous latest loads', async () => {
    const d = 'atomic';
    expect((await st('save', d, ck('A1', 'a', 'latest', 1), 1, 5000)).ok).toBe(true);
    const before = await st('rawKeys', d);
    // The save issues put(blob), then put(seq) and put(meta) from the counter read's callback.
    const faults = [
      { method: 'put', at: 1, mode: 'throw', name: 'DataCloneError' },
      { method: 'put', at: 3, mode: 'throw', name: 'UnknownError' },
      { method: 'put', at: 1, mode: 'abort' },
      { method: 'put', at: 3, mode: 'abort' },
    ] as const;
    for (const f of faults) {
      await st('arm', f);
      const r = await st('save', d, ck('A2', 'a', 'latest', 2), 2, 8000);
      expect(await st('faultFired'), JSON.stringify(f)).toBe(true);
      expect(r.ok, JSON.stringify(f)).toBe(false);
      if (!r.ok) expect(r.error, JSON.stringify(f)).toMatchObject({ code: 'failed', isStoreFull: false, message: expect.stringContaining('checkpoint A2') });
      expect(await st('rawKeys', d), JSON.stringify(f)).toEqual(before);
      expect((await st('list', d, 'a')).map((m) => m.id)).toEqual(['A1']);
      expect((await st('load', d, 'A2')).ok).toBe(false);
      expect((await st('check', d, 'A1', 1, 5000)).ok).toBe(true);
    }
    // Retention is part of the same transaction: a failed delete undoes the whole save, so the
    // previous latest is still the one stored; the next save goes through and replaces it.
    await st('arm', { method: 'delete', at: 1, mode: 'throw', name: 'UnknownError' });
    const undone = await st('save', d, ck('A2', 'a', 'latest', 2), 2, 8000);
    expect(await st('faultFired')).toBe(true);
    expect(undone.ok).toBe(false);
    expect(await st('rawKeys', d)).toEqual(before);
    const next = await st('save', d, ck('A3', 'a', 'latest', 3), 3, 100);
    expect(next.ok && next.value.deleted).toEqual(['A1']);
    expect((await st('list', d, 'a')).map((m) => m.id)).toEqual(['A3']);
    expect((await st('check', d, 'A3', 3, 100)).ok).toBe(true);
    // The same for the app's own form of a checkpoint, whose metadata waits for the hash.
    const bodyBefore = await st('rawKeys', d);
    for (const f of [...faults, { method: 'delete', at: 1, mode: 'throw', name: 'UnknownError' }] as const) {
      await st('arm', f);
      const r = await st('saveContents', d, ck('A4', 'a', 'latest', 4), 4, 8000);
      expect(await st('faultFired'), JSON.stringify(f)).toBe(true);
      expect(r.ok, JSON.stringify(f)).toBe(false);
      expect(await st('rawKeys', d), JSON.stringify(f)).toEqual(bodyBefore);
      expect((await st('check', d, 'A3', 3, 100)).ok).toBe(true);
    }
    expect((await st('saveContents', d, ck('A4', 'a', 'latest', 4), 4, 8000)).ok).toBe(true);
    expect((await st('list', d, 'a')).map((m) => m.id)).toEqual(['A4']);
  });

  it("stores the app's checkpoints in the store's form: bit-exact back, exported as the very file encodeCkpt writes, damage detected", async () => {
    const d = 'bodies';
    const saved = await st('saveContents', d, ck('b1', 'r', 'latest', 10), 5, 300_000);
    expect(saved.ok, JSON.stringify(saved)).toBe(true);
    if (saved.ok) expect(saved.value.meta).toEqual({ ...ck('b1', 'r', 'latest', 10), bytes: expect.any(Number) });
    expect(await st('checkContents', d, 'b1', 5, 300_000)).toEqual({ ok: true, reason: null });
    expect((await st('checkContents', d, 'b1', 6, 300_000)).ok).toBe(false); // the comparison can fail
    // Retention treats both forms alike, and a stored .ckpt file loads through the same calls.
    expect((await st('saveContents', d, ck('b2', 'r', 'latest', 20), 7, 1000)).ok).toBe(true);
    expect((await st('list', d, 'r')).map((m) => m.id)).toEqual(['b2']);
    expect((await st('realCkpt', d)).same).toBe(true);
    // A flipped bit anywhere (tensor data, the layout's canonical string) is refused on load
    // and on export, as corruption; a healthy neighbour still loads.
    for (const [id, offset] of [['b3', -1], ['b4', 20]] as const) {
      expect((await st('saveContents', d, ck(id, `run-${id}`, 'best', 30), 8, 4000)).ok).toBe(true);
      expect(await st('loadContents', d, id)).toEqual({ ok: true, value: 3 });
      await st('rawFlip', d, id, offset);
      for (const r of [await st('loadContents', d, id), await st('load', d, id)]) {
        expect(r.ok || r.error, `${id} ${offset}`).toMatchObject({ code: 'integrity', message: expect.stringContaining(`checkpoint ${id}`) });
      }
    }
    expect(await st('checkContents', d, 'b2', 7, 1000)).toEqual({ ok: true, reason: null });
    // Saves of one size reuse the previous save's buffer (a state of another length moves the
    // canonical string): every stored checkpoint stays exactly what was saved.
    const reused = [[1, 8000], [123456, 8000], [22, 8000], [9, 30_000]] as const;
    for (const [i, [seed, n]] of reused.entries()) expect((await st('saveContents', d, ck(`u${i}`, `reuse-${i}`, 'latest', i), seed, n)).ok).toBe(true);
    for (const [i, [seed, n]] of reused.entries()) expect(await st('checkContents', d, `u${i}`, seed, n), `u${i}`).toEqual({ ok: true, reason: null });
  });

  it('applies retention: 1 latest, last K periodic, 1 best, 1 final, never the last complete one', async () => {
    const d = 'retention';
    const seedOf = (id: string) => id.charCodeAt(0) * 100 + Number(id.slice(1));
    const save = async (id: string, kind: CheckpointKind, step: number, keepPeriodic?: number) => {
      const r = await st('save', d, ck(id, 'r', kind, step), seedOf(id), 500 + step, { keepPeriodic });
      expect(r.ok, JSON.stringify(r)).toBe(true);
      return r.ok ? r.value.deleted : [];
    };
    expect(await save('L1', 'latest', 10)).toEqual([]);
    expect(await save('L2', 'latest', 20)).toEqual(['L1']);
    expect(await save('L3', 'latest', 30)).toEqual(['L2']);
    for (const [i, step] of [5, 15, 25, 35, 45].entries()) await save(`P${i + 1}`, 'periodic', step, 3);
    await save('B1', 'best', 12);
    await save('B2', 'best', 22);
    await save('F1', 'final', 50);
    const kept = await st('list', d, 'r');
    expect(kept.map((m) => m.id)).toEqual(['F1', 'P5', 'P4', 'L3', 'P3', 'B2']);
    for (const m of kept) expect((await st('check', d, m.id, seedOf(m.id), 500 + m.step)).ok, m.id).toBe(true);
    for (const gone of ['L1', 'L2', 'P1', 'P2', 'B1']) expect((await st('load', d, gone)).ok, gone).toBe(false);
    expect((await st('rawKeys', d)).keys.filter((k) => k.startsWith('["blob"')).length).toBe(6);
    // The newly saved latest replaces the old one even when the run was rewound to a lower step.
    await save('L9', 'latest', 8);
    expect((await st('list', d, 'r')).filter((m) => m.kind === 'latest').map((m) => m.id)).toEqual(['L9']);
    // keepPeriodic 0 would delete everything of a run that only has periodic ones: one stays.
    const z = async (id: string, step: number) => st('save', d, ck(id, 'z', 'periodic', step), 1, 10, { keepPeriodic: 0 });
    await z('Z1', 1);
    await z('Z2', 2);
    expect((await st('list', d, 'z')).map((m) => m.id)).toEqual(['Z2']);
  });

  it('resumes the branch being trained: latest is the newest save after the branch point, not the highest step', async () => {
    const d = 'branches';
    await st('putRun', d, run('b', 1));
    const save = async (id: string, kind: CheckpointKind, step: number) => {
      const r = await st('save', d, ck(id, 'b', kind, step), step + 1, 100, { keepPeriodic: 1 });
      expect(r.ok, JSON.stringify(r)).toBe(true);
      return r.ok ? [...r.value.deleted].sort() : [];
    };
    await save('p10', 'periodic', 10);
    await save('L20', 'latest', 20);
    expect(await save('p30', 'periodic', 30)).toEqual(['p10']);
    expect(await save('L40', 'latest', 40)).toEqual(['L20']);
    await save('B40', 'best', 40);
    expect((await st('latest', d, 'b'))?.id).toBe('B40');
    // Resuming from the head is no branch.
    const same = await st('startBranch', d, 'b', 'B40');
    expect(same.ok && same.value.branch).toBeUndefined();
    // "Resume from this checkpoint" on the older periodic: a branch, recorded on the run with
    // the save counter at that moment (5 saves so far).
    const br = await st('startBranch', d, 'b', 'p30');
    expect(br.ok, JSON.stringify(br)).toBe(true);
    expect(br.ok && br.value.branch).toEqual({ checkpointId: 'p30', step: 30, kind: 'periodic', seq: 5 });
    expect((await st('getRun', d, 'b'))?.branch).toEqual({ checkpointId: 'p30', step: 30, kind: 'periodic', seq: 5 });
    // A reload before the branch saved anything resumes the branch point, not step 40.
    expect((await st('latest', d, 'b'))?.id).toBe('p30');
    // The branch's first save keeps the branch point (keepPeriodic 1 alone would delete it).
    expect(await save('p35', 'periodic', 35)).toEqual([]);
    expect((await st('latest', d, 'b'))?.id).toBe('p35');
    // Later saves on the branch: the abandoned latest and the branch point go by the usual rules;
    // the abandoned best at step 40 stays, and is still not what Resume picks.
    expect(await save('L36', 'latest', 36)).toEqual(['L40', 'p30']);
    expect((await st('list', d, 'b')).map((m) => m.id)).toEqual(['B40', 'L36', 'p35']);
    expect((await st('latest', d, 'b'))?.id).toBe('L36');
    // Resuming the current head again changes nothing; branching from the abandoned best moves the branch.
    expect((await st('startBranch', d, 'b', 'L36')).ok).toBe(true);
    expect((await st('getRun', d, 'b'))?.branch?.checkpointId).toBe('p30');
    const again = await st('startBranch', d, 'b', 'B40');
    expect(again.ok && again.value.branch).toEqual({ checkpointId: 'B40', step: 40, kind: 'best', seq: 7 });
    expect((await st('latest', d, 'b'))?.id).toBe('B40');
    const ghost = await st('startBranch', d, 'b', 'ghost');
    expect(ghost.ok || ghost.error).toMatchObject({ code: 'not_found' });
  });

  it('turns a refused write into StoreFullError and keeps everything already stored', async () => {
    const d = 'quota';
    await st('putRun', d, run('q', 1));
    const files = [{ path: 'data.csv', seed: 9, n: 2048 }];
    await st('putDataset', d, ds('qh', 1), files);
    expect((await st('save', d, ck('Q1', 'q', 'latest', 1), 1, 4096)).ok).toBe(true);
    const before = await st('rawKeys', d);
    const MB3 = 3 * 1024 * 1024;
    const cases = [
      { fault: { method: 'put', at: 1, mode: 'throw', name: 'QuotaExceededError' }, estimate: null, full: true },
      { fault: { method: 'put', at: 3, mode: 'abort', name: 'QuotaExceededError' }, estimate: null, full: true },
      { fault: { method: 'put', at: 3, mode: 'abort', name: 'AbortError' }, estimate: { usage: 99 * 2 ** 20, quota: 100 * 2 ** 20 }, full: true },
      { fault: { method: 'put', at: 3, mode: 'abort', name: 'AbortError' }, estimate: { usage: 2 ** 20, quota: 2 ** 34 }, full: false },
    ] as const;
    for (const c of cases) {
      await st('fakeEstimate', c.estimate);
      await st('arm', c.fault);
      const r = await st('save', d, ck('Q2', 'q', 'latest', 2), 2, MB3);
      await st('fakeEstimate', null);
      expect(await st('faultFired')).toBe(true);
      expect(r.ok).toBe(false);
      if (r.ok) continue;
      if (c.full) {
        expect(r.error, JSON.stringify(c)).toMatchObject({ name: 'StoreFullError', code: 'full', needed: MB3, isStoreFull: true });
        expect(r.error.message).toMatch(/storage is full: saving checkpoint Q2 \(step 2\) needed about 3\.0 MB/);
        expect(r.error.message).toMatch(/deleting old runs, checkpoints or datasets/);
      } else {
        expect(r.error, JSON.stringify(c)).toMatchObject({ name: 'StoreError', code: 'failed', isStoreFull: false });
      }
      expect(await st('rawKeys', d)).toEqual(before);
    }
    await st('arm', { method: 'put', at: 2, mode: 'throw', name: 'QuotaExceededError' });
    const dsr = await st('putDataset', d, ds('big', 2), [{ path: 'big.csv', seed: 3, n: 5000 }]);
    expect(dsr.ok || dsr.error).toMatchObject({ name: 'StoreFullError', needed: 5000, message: expect.stringContaining('saving dataset ds big') });
    expect((await st('rawKeys', d)).keys.filter((k) => k.includes('big'))).toEqual([]);
    expect(await st('getRun', d, 'q')).toEqual(run('q', 1));
    expect((await st('checkDataset', d, 'qh', files)).ok).toBe(true);
    expect((await st('list', d, 'q')).map((m) => m.id)).toEqual(['Q1']);
    expect((await st('check', d, 'Q1', 1, 4096)).ok).toBe(true);
    // The same write goes through once nothing refuses it (so the failures above were the faults).
    const ok = await st('save', d, ck('Q2', 'q', 'latest', 2), 2, MB3);
    expect(ok.ok && ok.value.deleted).toEqual(['Q1']);
    expect((await st('check', d, 'Q2', 2, MB3)).ok).toBe(true);
  });

  it('deleteRun removes the run and its checkpoints, and nothing of other runs', async () => {
    const d = 'delete';
    await st('putRun', d, run('x', 1));
    await st('putRun', d, run('y', 2));
    for (const [id, r, kind, step] of [['x1', 'x', 'latest', 1], ['x2', 'x', 'best', 2], ['x3', 'x', 'final', 3], ['y1', 'y', 'latest', 1]] as const) {
      await st('save', d, ck(id, r, kind, step), step, 100);
    }
    expect((await st('deleteRun', d, 'x')).sort()).toEqual(['x1', 'x2', 'x3']);
    expect(await st('getRun', d, 'x')).toBeUndefined();
    expect(await st('list', d, 'x')).toEqual([]);
    const keys = (await st('rawKeys', d)).keys;
    expect(keys.filter((k) => /"x\d?"/.test(k))).toEqual([]);
    expect(keys).toContain('["blob","y1"]');
    expect(await st('listRuns', d)).toEqual(['y']);
    expect((await st('check', d, 'y1', 1, 100)).ok).toBe(true);
  });

  it('works inside a Web Worker, sharing the database with the page', async () => {
    const d = 'worker';
    expect((await wk('putRun', d, run('w', 3))).ok).toBe(true);
    expect((await wk('save', d, ck('W1', 'w', 'latest', 4), 77, 100_000)).ok).toBe(true);
    expect(await st('getRun', d, 'w')).toEqual(run('w', 3));
    expect(await st('check', d, 'W1', 77, 100_000)).toMatchObject({ ok: true });
    await wk('arm', { method: 'put', at: 3, mode: 'throw', name: 'QuotaExceededError' });
    const r = await wk('save', d, ck('W2', 'w', 'latest', 5), 78, 10);
    expect(r.ok || r.error.name).toBe('StoreFullError');
    expect((await st('list', d, 'w')).map((m) => m.id)).toEqual(['W1']);
    const est = await wk('estimate');
    expect(est!.quota).toBeGreaterThan(0);
    expect(est!.usage).toBeGreaterThan(0);
    expect(await wk('persist')).toBe(false); // workers cannot ask for persistence
    expect(typeof (await st('persist'))).toBe('boolean');
  });

  it('survives a page reload', async () => {
    const d = 'reload';
    await st('putRun', d, run('p', 1));
    await st('save', d, ck('R1', 'p', 'latest', 1), 5, 20_000);
    await session.page.reload();
    await session.page.waitForFunction(() => (window as any).storeReady === true);
    expect(await st('getRun', d, 'p')).toEqual(run('p', 1));
    expect(await st('check', d, 'R1', 5, 20_000)).toMatchObject({ ok: true });
  });

  it('survives closing and reopening the browser on the same profile', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tabtrain-store-profile-'));
    const d = 'tabtrain';
    try {
      let b = await openBrowser({ webgpu: false, profileDir: dir });
      let call = on(() => b.page, 'st');
      await openPage(b.page);
      await call('putRun', d, run('s', 1));
      await call('save', d, ck('S1', 's', 'latest', 1), 6, 50_000);
      await call('putDataset', d, ds('sh', 1), [{ path: 'a.txt', seed: 4, n: 999 }]);
      await b.close();
      b = await openBrowser({ webgpu: false, profileDir: dir });
      call = on(() => b.page, 'st');
      try {
        await openPage(b.page);
        expect(await call('getRun', d, 's')).toEqual(run('s', 1));
        expect(await call('check', d, 'S1', 6, 50_000)).toMatchObject({ ok: true });
        expect((await call('checkDataset', d, 'sh', [{ path: 'a.txt', seed: 4, n: 999 }])).ok).toBe(true);
      } finally {
        await b.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('safety copies (OPFS) and recovery', () => {
  const files = [{ path: 'a.csv', seed: 5, n: 300 }];

  it('a dropped database comes back: each run with its newest checkpoint (bit-exact), its dataset, and the save counter', async () => {
    const d = 'vault-restore';
    expect((await st('putRun', d, run('r', 10))).ok).toBe(true);
    expect((await st('putDataset', d, ds('h1', 1), files)).ok).toBe(true);
    for (const [id, step] of [['c1', 10], ['c2', 20]] as const) expect((await st('saveContents', d, ck(id, 'r', 'latest', step), step, 4096)).ok).toBe(true);
    const seqBefore = (await st('rawKeys', d)).seq as number;
    await st('copiesSettled'); // saves do not wait for their copy
    await st('rawClear', d);
    const rec = await st('recover', d);
    expect(rec.ok && rec.value).toEqual({ runs: [{ id: 'r', name: 'run r', step: 20, kind: 'latest' }], datasets: [{ hash: 'h1', name: 'ds h1' }], damaged: [] });
    const back = await st('getRun', d, 'r');
    expect([back?.status, back?.step]).toEqual(['interrupted', 20]); // it was 'running': nothing trains it now
    expect((await st('list', d, 'r')).map((c) => c.id)).toEqual(['c2']);
    expect(await st('checkContents', d, 'c2', 20, 4096)).toEqual({ ok: true, reason: null });
    expect((await st('checkDataset', d, 'h1', files)).ok).toBe(true);
    expect((await st('rawKeys', d)).seq).toBe(seqBefore);
    // a new save counts on from the restored one: retention drops c2, not the new c3
    expect((await st('saveContents', d, ck('c3', 'r', 'latest', 30), 30, 4096)).ok).toBe(true);
    expect((await st('list', d, 'r')).map((c) => c.id)).toEqual(['c3']);
    // nothing is restored twice
    const again = await st('recover', d);
    expect(again.ok && again.value).toEqual({ runs: [], datasets: [], damaged: [] });
  });

  it('what was deleted on purpose stays deleted; a damaged copy is named and not restored', async () => {
    const d = 'vault-deletes';
    for (const id of ['gone', 'kept', 'bad']) {
      expect((await st('putRun', d, run(id, 10))).ok).toBe(true);
      expect((await st('saveContents', d, ck(`${id}-1`, id, 'latest', 5), 5, 1024)).ok).toBe(true);
    }
    expect((await st('putDataset', d, ds('h2', 1), files)).ok).toBe(true);
    await st('deleteRun', d, 'gone');
    await st('deleteDataset', d, 'h2');
    expect(await st('deleteCheckpoint', d, 'kept-1')).toBe(true);
    await st('vaultFlip', d, 'bad');
    await st('copiesSettled'); // saves do not wait for their copy
    await st('rawClear', d);
    const rec = await st('recover', d);
    expect(rec.ok && rec.value).toEqual({ runs: [], datasets: [], damaged: [`runs/${encodeURIComponent('bad')}.bin`] });
    expect(await st('listRuns', d)).toEqual([]);
  });
});
