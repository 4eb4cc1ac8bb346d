// The page's state machinery without a page: the store's subscriptions, the one debounce helper,
// and how worker events change the page state (src/ui/store.ts, dom.ts, page-state.ts).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { debounce } from '../../src/ui/dom';
import { applyEvent, createPageStore, patchLive, runById, withLiveSteps, type PageState } from '../../src/ui/page-state';
import { createStore, shallowEqual } from '../../src/ui/store';
import type { RunEvent, RunSummary } from '../../src/worker/protocol';

describe('store', () => {
  it('tells a subscriber only when its slice changes, with the value before', () => {
    const store = createStore({ a: 1, b: { n: 1 } });
    const seen: [number, number][] = [];
    store.subscribe((s) => s.a, (now, before) => seen.push([now, before]));
    store.set({ b: { n: 2 } }); // another slice
    store.set({ a: 1 }); // same value
    expect(seen).toEqual([]);
    store.set({ a: 2 });
    store.update((s) => ({ a: s.a + 1 }));
    expect(seen).toEqual([
      [2, 1],
      [3, 2],
    ]);
    expect(store.get()).toEqual({ a: 3, b: { n: 2 } });
  });

  it('never mutates the state it handed out', () => {
    const store = createStore({ a: 1 });
    const before = store.get();
    store.set({ a: 2 });
    expect(before).toEqual({ a: 1 });
    expect(store.get()).not.toBe(before);
  });

  it('compares tuple slices item by item with shallowEqual', () => {
    const store = createStore({ x: 1, y: 'a', z: 0 });
    const calls: unknown[] = [];
    store.subscribe((s) => [s.x, s.y] as const, (now) => calls.push(now), shallowEqual);
    store.set({ z: 5 }); // a new tuple, same items
    expect(calls).toEqual([]);
    store.set({ y: 'b' });
    expect(calls).toEqual([[1, 'b']]);
    // and without it a fresh tuple counts as a change every time
    const plain: unknown[] = [];
    store.subscribe((s) => [s.x], (now) => plain.push(now));
    store.set({ z: 6 });
    expect(plain).toHaveLength(1);
  });

  it('stops calling after unsubscribe, also when unsubscribed by an earlier listener', () => {
    const store = createStore({ a: 0 });
    const calls: string[] = [];
    let off2 = () => {};
    const off1 = store.subscribe((s) => s.a, () => {
      calls.push('one');
      off2();
    });
    off2 = store.subscribe((s) => s.a, () => calls.push('two'));
    store.set({ a: 1 });
    expect(calls).toEqual(['one']);
    off1();
    store.set({ a: 2 });
    expect(calls).toEqual(['one']);
  });

  it('a listener that sets the state again: every subscriber ends on the newest slice, each change once', () => {
    const store = createStore({ a: 0, b: 0 });
    store.subscribe((s) => s.a, (a) => store.set({ b: a * 10 }));
    const bs: number[] = [];
    store.subscribe((s) => s.b, (b) => bs.push(b));
    store.set({ a: 1 });
    expect(store.get()).toEqual({ a: 1, b: 10 });
    expect(bs).toEqual([10]);
  });
});

describe('debounce', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs once for a burst, `wait` after its first call', () => {
    vi.useFakeTimers();
    const f = vi.fn();
    const soon = debounce(f, 300);
    soon();
    vi.advanceTimersByTime(200);
    soon(); // joins the pending run instead of pushing it back
    soon();
    vi.advanceTimersByTime(99);
    expect(f).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(f).toHaveBeenCalledTimes(1);
    soon(); // a new burst
    vi.advanceTimersByTime(300);
    expect(f).toHaveBeenCalledTimes(2);
  });

  it('keeps running under a steady stream of calls (a trailing debounce would starve)', () => {
    vi.useFakeTimers();
    const f = vi.fn();
    const soon = debounce(f, 300);
    for (let t = 0; t < 3000; t += 50) {
      soon();
      vi.advanceTimersByTime(50);
    }
    expect(f.mock.calls.length).toBeGreaterThanOrEqual(9);
  });

  it('takes a per-burst wait, a computed wait, and cancel', () => {
    vi.useFakeTimers();
    const f = vi.fn();
    const soon = debounce(f, 300);
    soon(2000);
    vi.advanceTimersByTime(300);
    expect(f).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1700);
    expect(f).toHaveBeenCalledTimes(1);

    let gap = 50;
    const g = vi.fn();
    const limited = debounce(g, () => gap);
    limited();
    vi.advanceTimersByTime(50);
    expect(g).toHaveBeenCalledTimes(1);
    gap = 1000;
    limited();
    limited.cancel();
    vi.advanceTimersByTime(2000);
    expect(g).toHaveBeenCalledTimes(1);
  });
});

const summary = (id: string, over: Partial<RunSummary> = {}): RunSummary =>
  ({ id, name: id, status: 'running', step: 0, epoch: 0, totalSteps: 100, family: 'mlp', datasetSummary: 'iris', datasetHash: 'h', ...over }) as RunSummary;

const progress = (runId: string, step: number, trainLoss?: number): RunEvent => ({
  type: 'progress', runId, step, epoch: 0, totalSteps: 100, stepsPerEpoch: 10, lr: 0.01, trainLoss, stepsPerSecond: 1, etaSeconds: 1,
});

describe('page state', () => {
  const apply = (s: PageState, e: RunEvent): PageState => ({ ...s, ...applyEvent(s, e) });

  it('progress moves the run step and extends its curve; other runs keep their objects', () => {
    let s: PageState = { ...createPageStore().get(), runs: [summary('a'), summary('b')] };
    const b = s.runs[1];
    s = apply(s, progress('a', 5, 0.9));
    const live1 = s.lives.get('a')!;
    s = apply(s, progress('a', 6, 0.8));
    expect(runById(s, 'a')!.step).toBe(6);
    expect(runById(s, 'b')).toBe(b);
    const live2 = s.lives.get('a')!;
    expect(live2).not.toBe(live1); // subscribers see a new record
    expect(live2.trace.step).toEqual([5, 6]);
    expect(live2.trace.train).toEqual([0.9, 0.8]);
    expect(live2.last?.step).toBe(6);
  });

  it('status, warnings (once each), samples and checkpoint writes', () => {
    let s: PageState = { ...createPageStore().get(), runs: [summary('a')] };
    s = apply(s, { type: 'status', runId: 'a', status: 'paused', message: 'disk full' });
    expect(runById(s, 'a')).toMatchObject({ status: 'paused', lastError: 'disk full' });
    s = apply(s, { type: 'warning', runId: 'a', message: 'w' });
    s = apply(s, { type: 'warning', runId: 'a', message: 'w' });
    expect(s.lives.get('a')!.warnings).toEqual(['w']);
    s = apply(s, { type: 'sample', runId: 'a', step: 3, text: 'hello' });
    expect(s.lives.get('a')!.sample).toEqual({ step: 3, text: 'hello' });
    const before = s.checkpointWrites;
    s = apply(s, { type: 'checkpoint', runId: 'a', checkpoint: {} as never });
    s = apply(s, { type: 'checkpoint', runId: 'a', checkpoint: {} as never });
    expect(s.checkpointWrites.get('a')).toBe(2);
    expect(before.get('a')).toBeUndefined();
  });

  it('an event for a run not listed yet keeps its live record and leaves the runs alone', () => {
    let s = createPageStore().get();
    const runs = s.runs;
    s = apply(s, progress('new', 1, 1));
    expect(s.runs).toBe(runs);
    expect(s.lives.get('new')!.trace.step).toEqual([1]);
  });

  it('a listed run keeps the newer step seen live while it runs, not once it stopped', () => {
    let s = createPageStore().get();
    s = apply(s, progress('a', 40));
    s = { ...s, ...patchLive(s, 'b', () => ({ seeded: true })) };
    const [a, paused] = withLiveSteps([summary('a', { step: 25 }), summary('b', { status: 'paused', step: 3 })], s.lives);
    expect(a!.step).toBe(40);
    expect(paused!.step).toBe(3);
    const [older] = withLiveSteps([summary('a', { status: 'paused', step: 25 })], s.lives);
    expect(older!.step).toBe(25);
  });
});
