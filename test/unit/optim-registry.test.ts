// The optimizer registry: every entry against a float64 reference written in plain JS (weight
// decay on and off per parameter, clipping in front), its defaults and checks, and its slots.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeConfig } from '../../src/engine/config';
import { TabtrainError } from '../../src/errors';
import type { ParamDef } from '../../src/engine/models';
import { makeOptimizerConfig, Optimizer, OPTIMIZER_KINDS, optimizerDef, slotNames, validateOptimizer, type OptimizerConfig } from '../../src/engine/optim';
import { tabular, text } from '../support/synthetic';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

// ---- the float64 reference -------------------------------------------------------------------

type Vec = number[];
interface RefParam { w: Vec; slots: Record<string, Vec>; decay: boolean }

/** optax's clip_by_global_norm: scale every gradient by maxNorm / max(norm, maxNorm). */
function refClip(grads: Vec[], maxNorm: number): Vec[] {
  const norm = Math.sqrt(grads.reduce((s, g) => s + g.reduce((a, x) => a + x * x, 0), 0));
  const scale = maxNorm / Math.max(norm, maxNorm);
  return grads.map((g) => g.map((x) => x * scale));
}

/** One update of one parameter, straight from each optimizer's formula, in float64. */
function refStep(cfg: OptimizerConfig, p: RefParam, g: Vec, lr: number, t: number): void {
  const wd = p.decay ? cfg.weightDecay : 0;
  for (let i = 0; i < g.length; i++) {
    const w = p.w[i];
    if (cfg.kind === 'adamw') {
      const m = cfg.beta1 * p.slots.m[i] + (1 - cfg.beta1) * g[i];
      const v = cfg.beta2 * p.slots.v[i] + (1 - cfg.beta2) * g[i] * g[i];
      const mHat = m / (1 - cfg.beta1 ** t);
      const vHat = v / (1 - cfg.beta2 ** t);
      p.w[i] = w - lr * (mHat / (Math.sqrt(vHat) + cfg.eps)) - lr * wd * w;
      p.slots.m[i] = m;
      p.slots.v[i] = v;
    } else if (cfg.kind === 'sgd') {
      let step = g[i];
      if (cfg.momentum > 0) step = p.slots.momentum[i] = cfg.momentum * p.slots.momentum[i] + g[i];
      p.w[i] = w - lr * step - lr * wd * w;
    } else if (cfg.kind === 'lion') {
      const c = cfg.beta1 * p.slots.m[i] + (1 - cfg.beta1) * g[i];
      p.w[i] = w - lr * (Math.sign(c) + wd * w);
      p.slots.m[i] = cfg.beta2 * p.slots.m[i] + (1 - cfg.beta2) * g[i];
    } else {
      const never: never = cfg;
      throw new Error(`no reference for ${JSON.stringify(never)}`);
    }
  }
}

/** Deterministic values in about [-1, 1], exactly representable in float32. */
function values(n: number, seed: number): Vec {
  let s = seed >>> 0;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return Math.fround(s / 2 ** 31 - 1);
  });
}

const PARAMS: ParamDef[] = [
  { name: 'a.kernel', shape: [3, 4], init: 'glorot', decay: true } as ParamDef,
  { name: 'a.bias', shape: [4], init: 'zeros', decay: false } as ParamDef,
];
const size = (p: ParamDef) => p.shape.reduce((a, b) => a * b, 1);

/** Runs `steps` updates through the Optimizer (tfjs, float32) and through the reference. */
function runBoth(cfg: OptimizerConfig, clipNorm: number, steps = 5) {
  const vars = new Map(PARAMS.map((p, i) => [p.name, tf.tidy(() => tf.variable(tf.tensor(values(size(p), 100 + i), p.shape), true))]));
  const opt = new Optimizer(cfg, PARAMS, { clipNorm });
  const ref: RefParam[] = PARAMS.map((p, i) => ({ w: values(size(p), 100 + i), decay: p.decay, slots: Object.fromEntries(slotNames(cfg).map((s) => [s, new Array(size(p)).fill(0)])) }));
  let clipped = false;
  for (let t = 1; t <= steps; t++) {
    const lr = cfg.lr * (1 + 0.25 * t); // a changing lr, as a schedule gives
    // Gradients grow with t so that clipping bites on some steps and not on others.
    const gs = PARAMS.map((p, i) => values(size(p), 1000 * t + i).map((x) => Math.fround(x * 0.3 * t)));
    const grads = Object.fromEntries(PARAMS.map((p, i) => [p.name, tf.tensor(gs[i], p.shape)]));
    opt.apply(vars, grads, lr);
    tf.dispose(Object.values(grads));
    const g64 = clipNorm > 0 ? refClip(gs, clipNorm) : gs;
    if (g64[0][0] !== gs[0][0]) clipped = true;
    ref.forEach((r, i) => refStep(cfg, r, g64[i], lr, t));
  }
  const got = PARAMS.map((p) => ({ w: Array.from(vars.get(p.name)!.dataSync()), slots: Object.fromEntries([...opt.slots.get(p.name)!].map(([s, v]) => [s, Array.from(v.dataSync())])) }));
  expect(opt.updates).toBe(steps);
  opt.dispose();
  for (const v of vars.values()) v.dispose();
  return { got, ref, clipped };
}

function expectClose(a: Vec, b: Vec, what: string): void {
  expect(a.length, what).toBe(b.length);
  for (let i = 0; i < a.length; i++) {
    const tol = 1e-6 + 1e-5 * Math.abs(b[i]);
    if (!(Math.abs(a[i] - b[i]) <= tol)) expect.fail(`${what}[${i}]: float32 ${a[i]} vs float64 ${b[i]} (tolerance ${tol})`);
  }
}

// ---- tests -------------------------------------------------------------------------------------

const configs: OptimizerConfig[] = [
  { kind: 'adamw', lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1 },
  { kind: 'adamw', lr: 0.003, beta1: 0.8, beta2: 0.95, eps: 1e-6, weightDecay: 0 },
  { kind: 'sgd', lr: 0.05, momentum: 0.9, weightDecay: 0.01 },
  { kind: 'sgd', lr: 0.1, momentum: 0, weightDecay: 0.2 },
  { kind: 'lion', lr: 0.001, beta1: 0.9, beta2: 0.99, weightDecay: 0.5 },
  { kind: 'lion', lr: 0.01, beta1: 0.5, beta2: 0.9, weightDecay: 0 },
];

describe('each optimizer matches its float64 reference over 5 steps', () => {
  it('covers every registered kind', () => {
    expect(new Set(configs.map((c) => c.kind))).toEqual(new Set(OPTIMIZER_KINDS));
  });
  for (const cfg of configs) {
    for (const clipNorm of [0, 1.5]) {
      it(`${JSON.stringify(cfg)}, clip ${clipNorm || 'off'}`, () => {
        const before = tf.memory().numTensors;
        const { got, ref, clipped } = runBoth(cfg, clipNorm);
        if (clipNorm > 0) expect(clipped, 'clipping changed some gradients').toBe(true);
        PARAMS.forEach((p, i) => {
          expectClose(got[i].w, ref[i].w, `${p.name} weights`);
          expect(Object.keys(got[i].slots)).toEqual(slotNames(cfg));
          for (const s of slotNames(cfg)) expectClose(got[i].slots[s], ref[i].slots[s], `${p.name} slot ${s}`);
        });
        expect(tf.memory().numTensors).toBe(before);
      });
    }
  }

  it('the reference comparison can fail: decay on the bias is caught', () => {
    const cfg = configs[0];
    const { got, ref } = runBoth(cfg, 0);
    const wrong = { ...ref[1], w: [...values(4, 101)], slots: { m: new Array(4).fill(0), v: new Array(4).fill(0) }, decay: true };
    for (let t = 1; t <= 5; t++) refStep(cfg, wrong, values(4, 1000 * t + 1).map((x) => Math.fround(x * 0.3 * t)), cfg.lr * (1 + 0.25 * t), t);
    expect(() => expectClose(got[1].w, wrong.w, 'bias')).toThrow(/float32 .* vs float64/);
  });
});

describe('registry entries', () => {
  for (const kind of OPTIMIZER_KINDS) {
    it(`${kind}: defaults validate, and its fields describe exactly its config's settings`, () => {
      const def = optimizerDef(kind);
      for (const dataset of ['tabular', 'image', 'text'] as const) {
        const cfg = def.defaults({}, { dataset });
        expect(cfg.kind).toBe(kind);
        expect(validateOptimizer(cfg)).toBeNull();
        expect(Object.keys(cfg).filter((k) => k !== 'kind').sort()).toEqual(def.fields.map((f) => f.key).sort());
      }
    });

    it(`${kind}: init makes, and update writes, exactly the declared slots`, () => {
      const def = optimizerDef(kind);
      const variants: OptimizerConfig[] = kind === 'sgd' ? [def.defaults({}, { dataset: 'tabular' }), makeOptimizerConfig('sgd', { momentum: 0 }, { dataset: 'tabular' })] : [def.defaults({}, { dataset: 'tabular' })];
      for (const cfg of variants) {
        const names = def.slots(cfg);
        tf.tidy(() => {
          const init = def.init(cfg, [2, 3]);
          expect(Object.keys(init).sort()).toEqual([...names].sort());
          for (const s of names) expect(init[s].shape).toEqual([2, 3]);
          const out = def.update(cfg, 0.1, 1)({ g: tf.ones([2, 3]), w: tf.ones([2, 3]), slots: init, decay: true });
          expect(Object.keys(out.slots).sort()).toEqual([...names].sort());
          expect(out.w.shape).toEqual([2, 3]);
        });
      }
    });
  }

  it('SGD without momentum keeps no state; AdamW keeps m and v; Lion keeps m', () => {
    expect(slotNames({ kind: 'sgd', lr: 0.1, momentum: 0, weightDecay: 0 })).toEqual([]);
    expect(slotNames({ kind: 'sgd', lr: 0.1, momentum: 0.9, weightDecay: 0 })).toEqual(['momentum']);
    expect(slotNames(configs[0])).toEqual(['m', 'v']);
    expect(slotNames(configs[4])).toEqual(['m']);
  });
});

describe('defaults through makeConfig (unchanged for adamw and sgd)', () => {
  it('adamw is the default; sgd and lion have their own', () => {
    expect(makeConfig(tabular()).optimizer).toEqual({ kind: 'adamw', lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 });
    expect(makeConfig(text()).optimizer).toEqual({ kind: 'adamw', lr: 3e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 });
    expect(makeConfig(tabular(), { optimizer: 'sgd' }).optimizer).toEqual({ kind: 'sgd', lr: 0.05, momentum: 0.9, weightDecay: 0 });
    expect(makeConfig(text(), { optimizer: 'sgd' }).optimizer).toEqual({ kind: 'sgd', lr: 0.05, momentum: 0.9, weightDecay: 0 });
    expect(makeConfig(tabular(), { optimizer: 'lion' }).optimizer).toEqual({ kind: 'lion', lr: 1e-3, beta1: 0.9, beta2: 0.99, weightDecay: 0.01 });
    expect(makeConfig(text(), { optimizer: 'lion' }).optimizer).toEqual({ kind: 'lion', lr: 3e-4, beta1: 0.9, beta2: 0.99, weightDecay: 0.01 });
  });

  it('overrides win over defaults', () => {
    expect(makeConfig(tabular(), { optimizer: 'lion', lr: 0.002, beta2: 0.98, weightDecay: 0 }).optimizer).toEqual({ kind: 'lion', lr: 0.002, beta1: 0.9, beta2: 0.98, weightDecay: 0 });
    expect(makeConfig(tabular(), { optimizer: 'sgd', momentum: 0, weightDecay: 0.1 }).optimizer).toEqual({ kind: 'sgd', lr: 0.05, momentum: 0, weightDecay: 0.1 });
  });

  it('refuses an unknown kind, naming the known ones, instead of running another optimizer', () => {
    const e = (() => {
      try {
        makeConfig(tabular(), { optimizer: 'adam' as never });
      } catch (err) {
        return err;
      }
    })();
    expect(e).toBeInstanceOf(TabtrainError);
    expect((e as TabtrainError).code).toBe('unknown_optimizer');
    expect((e as Error).message).toBe('unknown optimizer "adam": known optimizers are adamw, sgd, lion');
  });

  it('refuses a setting the chosen optimizer does not have', () => {
    expect(() => makeOptimizerConfig('adamw', { momentum: 0.5 }, { dataset: 'tabular' })).toThrow(/Momentum \(momentum\) is not a setting of AdamW; its settings are lr, beta1, beta2, eps, weightDecay/);
    expect(() => makeOptimizerConfig('sgd', { beta1: 0.5 }, { dataset: 'tabular' })).toThrow(/beta1.*not a setting of SGD/);
  });
});

describe('validate refuses bad values with a message', () => {
  // Spread from a config of another kind on purpose: these are configs no type allows.
  const c = (o: object) => o as OptimizerConfig;
  const bad: [OptimizerConfig, RegExp][] = [
    [c({ ...configs[0], lr: -1 }), /adamw: Learning rate: expected a number in \(0, Infinity\), got -1/],
    [c({ ...configs[0], lr: 0 }), /Learning rate: expected a number in \(0/],
    [c({ ...configs[0], lr: NaN }), /Learning rate.*got null/],
    [c({ ...configs[0], beta1: 1 }), /adamw: Beta 1: expected a number in \[0, 1\), got 1/],
    [c({ ...configs[0], beta2: 1.5 }), /Beta 2: expected a number in \[0, 1\)/],
    [c({ ...configs[0], eps: 0 }), /Epsilon: expected a number in \(0, 1\)/],
    [c({ ...configs[0], weightDecay: -0.1 }), /Weight decay: expected a number in \[0, Infinity\)/],
    [c({ ...configs[2], momentum: 1 }), /sgd: Momentum: expected a number in \[0, 1\)/],
    [c({ ...configs[4], beta2: 1 }), /lion: Beta 2/],
    [c({ ...configs[4], lr: '0.1' as unknown as number }), /lion: Learning rate.*got "0.1"/],
    [{ kind: 'lion', lr: 0.001, beta1: 0.9, weightDecay: 0 } as OptimizerConfig, /lion: Beta 2: .*got undefined/],
    [{ kind: 'adam', lr: 0.001 } as unknown as OptimizerConfig, /unknown optimizer "adam": known optimizers are adamw, sgd, lion/],
    [null as unknown as OptimizerConfig, /not an object/],
  ];
  for (const [cfg, re] of bad) {
    it(JSON.stringify(cfg), () => {
      expect(validateOptimizer(cfg)).toMatch(re);
    });
  }

  it('a checkpoint naming an unknown optimizer cannot build one', () => {
    expect(() => new Optimizer({ kind: 'rmsprop', lr: 1 } as unknown as OptimizerConfig, PARAMS)).toThrow(/unknown optimizer "rmsprop": known optimizers are adamw, sgd, lion/);
  });
});
