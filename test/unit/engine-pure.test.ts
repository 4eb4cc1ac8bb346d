// Fast, direct tests of the engine's pure pieces: config validation, schedules, freezing, the
// data cursor, splits, the metrics history cap, and the state's one validator and its pair of
// functions to and from a checkpoint. No training, no device.
import { describe, expect, it } from 'vitest';
import { makeConfig, validateConfig, type RunConfig } from '../../src/engine/config';
import { Cursor, splitIndices } from '../../src/engine/cursor';
import { LIMITS, RUN_DEFAULTS } from '../../src/engine/defaults';
import { checkField, parseField, type FieldDesc } from '../../src/engine/fields';
import { applyFreeze, globMatch } from '../../src/engine/freeze';
import { Rng } from '../../src/engine/rng';
import { lrAt } from '../../src/engine/schedule';
import { fromCkpt, MAX_HISTORY, recordPoint, toCkpt, validateState, type MetricPoint, type StateMeta, type TrainState } from '../../src/engine/state';
import { tabular } from '../support/synthetic';

describe('config', () => {
  it('defaults come from one place', () => {
    const c = makeConfig(tabular(), {});
    expect(c.seed).toBe(RUN_DEFAULTS.seed);
    expect(c.valFraction).toBe(RUN_DEFAULTS.valFraction);
    expect(c.clipNorm).toBe(RUN_DEFAULTS.clipNorm);
    expect(c.target).toEqual({ epochs: RUN_DEFAULTS.epochs });
    expect(c.batchSize).toBe(RUN_DEFAULTS.batchSize.other);
    expect(makeConfig(tabular(), { schedule: 'cosine' }).schedule).toMatchObject({ totalSteps: RUN_DEFAULTS.schedule.cosineSteps });
  });

  it('validation names the bad setting', () => {
    const ok = makeConfig(tabular(), {});
    const bad = (patch: Partial<RunConfig>) => validateConfig({ ...ok, ...patch });
    expect(bad({})).toBeNull();
    expect(bad({ batchSize: 0 })).toMatch(/batch size must be a positive integer up to 65536, got 0/);
    expect(bad({ batchSize: LIMITS.batchSize + 1 })).toMatch(/batch size/);
    expect(bad({ seed: -1 })).toMatch(/seed must be an integer/);
    expect(bad({ valFraction: LIMITS.maxValFraction + 0.01 })).toMatch(/validation fraction must be in \[0, 0.5\]/);
    expect(bad({ valFraction: LIMITS.maxValFraction })).toBeNull();
    expect(bad({ clipNorm: -1 })).toMatch(/clipNorm/);
    expect(bad({ freeze: [3 as unknown as string] })).toMatch(/freeze must be a list/);
    expect(bad({ target: {} })).toMatch(/set a number of steps or epochs/);
    expect(bad({ target: { steps: 1.5 } })).toMatch(/steps must be a positive integer/);
    expect(() => makeConfig(tabular(), { batchSize: -3 })).toThrow(/batch size/);
  });
});

describe('fields', () => {
  const width: FieldDesc = { key: 'hidden', flag: 'hidden', label: 'Hidden layers', kind: 'ints', min: 1, max: 100 };
  const frac: FieldDesc = { key: 'p', flag: 'p', label: 'P', kind: 'float', min: 0, max: 1, maxExclusive: true };
  it('parses what people type, and says what was expected', () => {
    expect(parseField(width, '64, 32')).toEqual({ value: [64, 32] });
    expect(parseField(width, '64,,32')).toEqual({ error: "expected comma-separated integers in [1, 100], got '64,,32'" });
    expect(parseField(width, '0')).toHaveProperty('error');
    expect(parseField(frac, '0.5')).toEqual({ value: 0.5 });
    expect(parseField(frac, '1')).toEqual({ error: "expected a number in [0, 1), got '1'" });
    expect(parseField(frac, '')).toHaveProperty('error');
    expect(checkField({ ...width, maxItems: 1 }, [3, 4])).toMatch(/one integer/);
  });
});

describe('schedules are pure functions of the step', () => {
  it('constant, step decay, warmup + cosine (and its floor past the end)', () => {
    expect(lrAt({ kind: 'constant' }, 0.1, 1234)).toBe(0.1);
    expect(lrAt({ kind: 'step', stepSize: 10, gamma: 0.5 }, 1, 9)).toBe(1);
    expect(lrAt({ kind: 'step', stepSize: 10, gamma: 0.5 }, 1, 25)).toBe(0.25);
    const cos = { kind: 'cosine' as const, warmupSteps: 4, totalSteps: 14, minFactor: 0.1 };
    expect([0, 1, 2, 3].map((s) => lrAt(cos, 1, s))).toEqual([0.25, 0.5, 0.75, 1]);
    expect(lrAt(cos, 1, 4)).toBe(1);
    expect(lrAt(cos, 1, 9)).toBeCloseTo(0.55, 12);
    expect(lrAt(cos, 1, 14)).toBeCloseTo(0.1, 12);
    expect(lrAt(cos, 1, 1000)).toBeCloseTo(0.1, 12);
  });
});

describe('freezing', () => {
  it('matches whole names with * as the only wildcard', () => {
    expect(globMatch('layers.*', 'layers.0.kernel')).toBe(true);
    expect(globMatch('layers.0', 'layers.0.kernel')).toBe(false);
    expect(globMatch('a.b', 'aXb')).toBe(false);
    const names = ['head.bias', 'head.kernel', 'layers.0.bias', 'layers.0.kernel'];
    expect(applyFreeze(names, ['layers.*'])).toEqual({ trainable: ['head.bias', 'head.kernel'], frozen: ['layers.0.bias', 'layers.0.kernel'] });
    expect(() => applyFreeze(names, ['lyers.*'])).toThrow(/freeze pattern 'lyers\.\*' matches no parameter/);
    expect(() => applyFreeze(names, ['*'])).toThrow(/every parameter is frozen/);
  });
});

describe('splits and the data cursor', () => {
  it('the split is fixed by the seed, disjoint and complete', () => {
    const a = splitIndices(100, 0.2, 7);
    const b = splitIndices(100, 0.2, 7);
    expect(Array.from(a.val)).toEqual(Array.from(b.val));
    expect(a.val.length).toBe(20);
    expect(new Set([...a.train, ...a.val]).size).toBe(100);
    expect(Array.from(splitIndices(100, 0.2, 8).val)).not.toEqual(Array.from(a.val));
    expect(splitIndices(10, 0, 1).val.length).toBe(0);
    expect(() => splitIndices(1, 0.5, 1)).toThrow(/dataset too small/);
  });

  it('a restored cursor continues the same order, across epochs', () => {
    const rng = Rng.fromSeed(5);
    const c = Cursor.start(rng, 10);
    const seen: number[] = [];
    for (let i = 0; i < 2; i++) seen.push(...c.next(3, rng));
    const saved = { cursor: c.state, rng: rng.state };
    const rest: number[] = [];
    for (let i = 0; i < 5; i++) rest.push(...c.next(3, rng));
    const rng2 = new Rng(saved.rng);
    const c2 = Cursor.restore(saved.cursor, 10);
    const again: number[] = [];
    for (let i = 0; i < 5; i++) again.push(...c2.next(3, rng2));
    expect(again).toEqual(rest);
    // each epoch (3 whole batches of 10) uses distinct samples
    expect(new Set(seen).size).toBe(6);
    expect(() => Cursor.restore({ ...saved.cursor, index: 11 }, 10)).toThrow(/outside an epoch of 10/);
  });
});

describe('the metrics history', () => {
  it('keeps every point up to the bound, then thins evenly and stays bounded', () => {
    const h: MetricPoint[] = [];
    for (let s = 1; s <= MAX_HISTORY; s++) recordPoint(h, { step: s, epoch: 0 });
    expect(h.length).toBe(MAX_HISTORY);
    for (let s = MAX_HISTORY + 1; s <= 20 * MAX_HISTORY; s++) recordPoint(h, { step: s, epoch: 0 });
    expect(h.length).toBeLessThanOrEqual(MAX_HISTORY);
    expect(h.length).toBeGreaterThan(MAX_HISTORY / 2);
    // evenly: one gap between all kept points, spanning the whole run
    const gaps = new Set(h.slice(1).map((p, i) => p.step - h[i].step));
    expect(gaps.size).toBe(1);
    expect(h[h.length - 1].step).toBeGreaterThan(20 * MAX_HISTORY - [...gaps][0]);
    expect(h[0].step).toBe([...gaps][0]);
  });

  it('a resumed history equals the uninterrupted one (thinning depends only on the points)', () => {
    const straight: MetricPoint[] = [];
    for (let s = 3; s <= 150; s += 3) recordPoint(straight, { step: s, epoch: 0 }, 8);
    for (const cut of [9, 24, 69, 120]) {
      const part: MetricPoint[] = [];
      for (let s = 3; s <= cut; s += 3) recordPoint(part, { step: s, epoch: 0 }, 8);
      const resumed = JSON.parse(JSON.stringify(part)) as MetricPoint[];
      for (let s = cut + 3; s <= 150; s += 3) recordPoint(resumed, { step: s, epoch: 0 }, 8);
      expect(resumed, `cut at ${cut}`).toEqual(straight);
    }
    expect(straight.length).toBeLessThanOrEqual(8);
    expect(straight.length).toBeGreaterThan(2);
  });
});

describe('the state: one validator, one pair of functions to and from a checkpoint', () => {
  const config = makeConfig(tabular(), { hidden: [2], steps: 5 });
  const state = (): TrainState => ({
    config,
    params: new Map([['head.kernel', { shape: [2, 3], data: new Float32Array(6).fill(0.5) }]]),
    buffers: new Map([['bn.mean', { shape: [2], data: new Float32Array([1, 2]) }]]),
    optimizer: { kind: 'adamw', updates: 3, slots: new Map([['head.kernel.m', { shape: [2, 3], data: new Float32Array(6) }]]) },
    step: 3,
    cursor: { epoch: 0, index: 48, epochRng: [1, 2, 3, 4] },
    rng: [5, 6, 7, 8],
    schedule: { lr: 0.01 },
    metrics: { history: [{ step: 2, epoch: 0, trainLoss: 1.5, lr: 0.01 }], best: null },
    lineage: { runId: 'r', origin: 'scratch', resumedAt: [] },
    dataset: { fingerprint: { sha256: 'ab', summary: 'csv', shape: {} }, numTrain: 86, numVal: 10 },
  });
  const info = { kind: 'latest' as const, backend: 'cpu', appVersion: '0.1.0', createdAt: '2026-01-01T00:00:00Z' };

  it('round-trips: tensors by prefix, buffers told apart from params', () => {
    const c = toCkpt(state(), info);
    expect(c.tensors.map((t) => t.name)).toEqual(['model.bn.mean', 'model.head.kernel', 'optim.head.kernel.m']);
    const back = fromCkpt(c, new Set(['bn.mean']));
    expect(back.info).toEqual(info);
    expect([...back.state.buffers.keys()]).toEqual(['bn.mean']);
    expect([...back.state.params.keys()]).toEqual(['head.kernel']);
    expect(toCkpt(back.state, back.info)).toEqual(c);
  });

  it('refuses every malformed part, naming it', () => {
    const meta = () => JSON.parse(JSON.stringify(toCkpt(state(), info).state)) as StateMeta & Record<string, any>;
    const refuse = (mutate: (m: Record<string, any>) => void) => {
      const m = meta();
      mutate(m);
      return () => validateState(m);
    };
    expect(validateState(meta()).step).toBe(3);
    expect(refuse((m) => (m.metrics.history[0].trainLoss = 'x'))).toThrow(/metrics\.history\[0\]: trainLoss must be a finite number/);
    expect(refuse((m) => (m.metrics.history = [null]))).toThrow(/metrics\.history\[0\]: not an object/);
    expect(refuse((m) => (m.metrics.best = { step: -1, epoch: 0 }))).toThrow(/metrics\.best: step and epoch/);
    expect(refuse((m) => (m.metrics.best = { step: 1, epoch: 0, valAccuracy: 2 }))).toThrow(/valAccuracy must be in \[0, 1\]/);
    expect(refuse((m) => (m.lineage.origin = 'cloned'))).toThrow(/lineage\.origin/);
    expect(refuse((m) => (m.lineage.parent = { runId: 1 }))).toThrow(/lineage\.parent/);
    expect(refuse((m) => (m.lineage.resumedAt = ['x']))).toThrow(/lineage\.resumedAt/);
    // segments trained outside tabtrain (the Python package): optional, checked when present
    const seg = { framework: 'pytorch', version: '1.13', processes: 2, device: 'cpu', fromStep: 1, toStep: 3 };
    expect(refuse((m) => (m.lineage.segments = [seg]))).not.toThrow();
    expect(refuse((m) => (m.lineage.segments = [{ ...seg, processes: 0 }]))).toThrow(/lineage\.segments\[0\]/);
    expect(refuse((m) => (m.lineage.segments = [{ ...seg, fromStep: 4 }]))).toThrow(/lineage\.segments\[0\]/);
    expect(refuse((m) => (m.lineage.segments = 'pytorch'))).toThrow(/lineage\.segments must be a list/);
    expect(refuse((m) => (m.dataset.numTrain = -1))).toThrow(/dataset\.numTrain/);
    expect(refuse((m) => delete m.dataset.fingerprint.summary)).toThrow(/dataset\.fingerprint/);
    expect(refuse((m) => (m.schedule = {}))).toThrow(/schedule must be/);
    expect(refuse((m) => (m.kind = 'newest'))).toThrow(/unknown checkpoint kind newest/);
    expect(refuse((m) => (m.createdAt = 5))).toThrow(/createdAt/);
    expect(refuse((m) => (m.config.model.family = 'gpt9'))).toThrow(/unknown model family gpt9/);
    expect(refuse((m) => (m.rng.state = [0, 0, 0]))).toThrow(/rng must be/);
    expect(refuse((m) => (m.cursor.index = -1))).toThrow(/cursor must be/);
  });
});
