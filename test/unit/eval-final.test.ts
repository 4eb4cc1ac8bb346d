// A run always ends with a validation point (when it has a validation split), and the default
// evaluation interval gives even a short run validation points along the way. Engine in Node on
// the tfjs CPU backend, synthetic data.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeConfig } from '../../src/engine/config';
import { defaultEvalEvery, RUN_DEFAULTS } from '../../src/engine/defaults';
import { runSession } from '../../src/engine/session';
import { Trainer } from '../../src/engine/trainer';
import { tabular } from '../support/synthetic';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const small = { hidden: [8], batchSize: 16, seed: 3 };

describe('the final evaluation', () => {
  it('a run shorter than evalEvery ends with a validation point at its last step, which can become best', async () => {
    const t = Trainer.create({ config: makeConfig(tabular(), { ...small, steps: 7, logEvery: 2, evalEvery: 50 }), dataset: tabular() });
    expect(await t.train()).toBe('done');
    const last = t.history[t.history.length - 1];
    expect(last.step).toBe(7);
    expect(last.valLoss).toBeTypeOf('number');
    expect(t.best?.step).toBe(7);
    expect(t.history.filter((p) => p.valLoss !== undefined).map((p) => p.step)).toEqual([7]);
    t.dispose();
  });

  it('evaluates once when the last step is an evaluation step anyway (one point per step)', async () => {
    const t = Trainer.create({ config: makeConfig(tabular(), { ...small, steps: 8, logEvery: 2, evalEvery: 4 }), dataset: tabular() });
    await t.train();
    expect(t.history.map((p) => p.step)).toEqual([2, 4, 6, 8]);
    expect(t.history.filter((p) => p.valLoss !== undefined).map((p) => p.step)).toEqual([4, 8]);
    t.dispose();
  });

  it('a pause before the target (a nearer target given to train) is not the end: no extra evaluation', async () => {
    const t = Trainer.create({ config: makeConfig(tabular(), { ...small, steps: 20, logEvery: 2, evalEvery: 50 }), dataset: tabular() });
    await t.train({ target: { steps: 5 } });
    expect(t.history.some((p) => p.valLoss !== undefined)).toBe(false);
    t.dispose();
  });

  it('a run without a validation split ends without one, and without an error', async () => {
    const t = Trainer.create({ config: makeConfig(tabular(), { ...small, steps: 5, logEvery: 1, evalEvery: 50, valFraction: 0 }), dataset: tabular() });
    expect(await t.train()).toBe('done');
    expect(t.history.some((p) => p.valLoss !== undefined)).toBe(false);
    expect(t.best).toBeNull();
    t.dispose();
  });

  it("runSession's final checkpoint holds the final evaluation", async () => {
    const t = Trainer.create({ config: makeConfig(tabular(), { ...small, steps: 6, logEvery: 3, evalEvery: 100 }), dataset: tabular() });
    const saved: { kind: string; best: unknown }[] = [];
    await runSession(t, { policy: { everySteps: 0, everySeconds: 0, best: true }, save: async (c, kind) => void saved.push({ kind, best: (c.state as any).metrics.best }) });
    // the final evaluation is a new best: `best` is written, then `final`, both holding it
    expect(saved.map((s) => s.kind)).toEqual(['best', 'final']);
    expect((saved[1].best as { step: number }).step).toBe(6);
    t.dispose();
  });
});

describe('the default evaluation interval', () => {
  it('is at most RUN_DEFAULTS.evalEvery and about a tenth of the run', () => {
    expect(defaultEvalEvery(40)).toBe(4);
    expect(defaultEvalEvery(5)).toBe(1);
    expect(defaultEvalEvery(10_000)).toBe(RUN_DEFAULTS.evalEvery);
  });

  it("the app's default iris-sized run (150 rows, 10 epochs = 40 steps) gets validation points along the way", () => {
    // the same call the worker's defaults() makes: no overrides but the family
    const cfg = makeConfig(tabular(150, 4, 3), { family: 'mlp' });
    expect(cfg.target).toEqual({ epochs: 10 });
    expect(cfg.evalEvery).toBe(4);
    // a long run keeps the old default; a chosen interval always wins
    expect(makeConfig(tabular(150, 4, 3), { steps: 5000 }).evalEvery).toBe(RUN_DEFAULTS.evalEvery);
    expect(makeConfig(tabular(150, 4, 3), { steps: 40, evalEvery: 7 }).evalEvery).toBe(7);
  });
});
