// Early stopping, decided by the engine: `patience` (N evaluations without a new best validation
// loss) and `stopIfLoss` (the training-loss EMA still above X by step N). Both live in the run
// config (so a resume re-applies them), are off by default, and end the run as done with a
// final checkpoint and a reason.
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeCkpt } from '../../src/ckpt/format';
import { makeConfig, validateConfig, type ConfigOverrides } from '../../src/engine/config';
import { resumeSession, runSession } from '../../src/engine/session';
import type { StateMeta } from '../../src/engine/state';
import { Trainer } from '../../src/engine/trainer';
import { roundTrip } from '../support/resume-check';
import { DATASETS, tabtrain, tempDir } from '../support/cli';
import { tabular } from '../support/synthetic';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

// A high LR on a small problem: the validation loss goes up and down, so patience has something to see.
const noisy: ConfigOverrides = { hidden: [16], batchSize: 8, seed: 2, steps: 60, logEvery: 2, evalEvery: 2, optimizer: 'sgd', lr: 0.8, momentum: 0.9 };

/** The step at which `patience` evaluations in a row bring no new best, read off a full run's history. */
function stopStepFor(history: { step: number; valLoss?: number }[], patience: number): number | undefined {
  let best = Infinity;
  let since = 0;
  for (const p of history) {
    if (p.valLoss === undefined) continue;
    if (p.valLoss < best) {
      best = p.valLoss;
      since = 0;
    } else if (++since >= patience) return p.step;
  }
  return undefined;
}

describe('config', () => {
  it('is off by default, and checked', () => {
    const c = makeConfig(tabular(), { steps: 5 });
    expect(c.patience).toBeUndefined();
    expect(c.stopIfLoss).toBeUndefined();
    expect(makeConfig(tabular(), { steps: 5, patience: 3, stopIfLossAbove: 2, stopByStep: 4 })).toMatchObject({ patience: 3, stopIfLoss: { above: 2, byStep: 4 } });
    expect(() => makeConfig(tabular(), { steps: 5, patience: 0 })).toThrow(/patience must be a positive integer/);
    expect(() => makeConfig(tabular(), { steps: 5, stopIfLossAbove: 2 })).toThrow(/stop-if-loss needs both a loss and a step/);
    expect(() => makeConfig(tabular(), { steps: 5, stopByStep: 3 })).toThrow(/stop-if-loss needs both a loss and a step/);
    expect(validateConfig({ ...c, stopIfLoss: { above: Number.NaN, byStep: 2 } })).toMatch(/stopIfLoss/);
    expect(validateConfig({ ...c, stopIfLoss: { above: 1, byStep: 0 } })).toMatch(/stopIfLoss/);
  });
});

describe('patience', () => {
  it('stops after N evaluations without a new best, as done, with a final checkpoint and the reason', async () => {
    const full = Trainer.create({ config: makeConfig(tabular(), noisy), dataset: tabular() });
    await full.train();
    const expected = stopStepFor(full.history, 3);
    full.dispose();
    expect(expected, 'the noisy run must plateau somewhere for this test to mean anything').toBeDefined();
    expect(expected!).toBeLessThan(60);

    const t = Trainer.create({ config: makeConfig(tabular(), { ...noisy, patience: 3 }), dataset: tabular() });
    const kinds: string[] = [];
    const result = await runSession(t, { policy: { everySteps: 0, everySeconds: 0, best: false }, save: async (_c, kind) => void kinds.push(kind) });
    expect(result).toBe('done');
    expect(t.step).toBe(expected);
    expect(kinds).toEqual(['final']);
    expect(t.stopReason?.code).toBe('patience');
    expect(t.stopReason?.message).toMatch(new RegExp(`3 evaluations without a new best validation loss \\(best ${t.best!.valLoss!.toFixed(4)} at step ${t.best!.step}\\)`));
    t.dispose();
  });

  it('a resume re-applies it and stops at the same step as the uninterrupted run, with the same metrics', async () => {
    const o = { ...noisy, patience: 3 };
    const straight = Trainer.create({ config: makeConfig(tabular(), o), dataset: tabular(), runId: 'r' });
    await straight.train();
    const ref = (await straight.snapshot('final')).state as unknown as StateMeta;
    straight.dispose();
    const first = Trainer.create({ config: makeConfig(tabular(), o), dataset: tabular(), runId: 'r' });
    await first.train({ target: { steps: 5 } });
    const saved = await roundTrip(await first.snapshot('latest'));
    first.dispose();
    const second = resumeSession(saved, tabular());
    expect(second.config.patience).toBe(3);
    await second.train();
    expect(second.stopReason?.code).toBe('patience');
    const got = (await second.snapshot('final')).state as unknown as StateMeta;
    second.dispose();
    expect(got.step).toBe(ref.step);
    expect(got.metrics).toEqual(ref.metrics);
  });
});

describe('stop if the loss is still above X by step N', () => {
  it('stops at step N when the loss EMA is above X, evaluates there, and says to check the data and LR', async () => {
    const t = Trainer.create({ config: makeConfig(tabular(), { hidden: [8], batchSize: 16, seed: 1, steps: 40, logEvery: 10, evalEvery: 50, stopIfLossAbove: 0.0001, stopByStep: 7 }), dataset: tabular() });
    expect(await t.train()).toBe('done');
    expect(t.step).toBe(7);
    const last = t.history[t.history.length - 1];
    // the loss is read at step N even off the logging interval, and the run ends with an evaluation
    expect(last).toMatchObject({ step: 7 });
    expect(last.lossEma).toBeTypeOf('number');
    expect(last.valLoss).toBeTypeOf('number');
    expect(t.stopReason?.code).toBe('loss_above');
    expect(t.stopReason?.message).toMatch(/loss EMA \d+\.\d{4} is still above 0\.0001 at step 7.*check the data and the learning rate/);
    t.dispose();
  });

  it('does not stop when the loss is below X by then', async () => {
    const t = Trainer.create({ config: makeConfig(tabular(), { hidden: [8], batchSize: 16, seed: 1, steps: 12, logEvery: 10, evalEvery: 50, stopIfLossAbove: 1e9, stopByStep: 7 }), dataset: tabular() });
    expect(await t.train()).toBe('done');
    expect(t.step).toBe(12);
    expect(t.stopReason).toBeNull();
    t.dispose();
  });
});

describe('early stopping in the CLI', () => {
  it('--stop-if-loss-above X --by-step N: ends with exit 0, a final checkpoint at N, and says why', async () => {
    const dir = tempDir();
    const p = join(dir, 'stop.ckpt');
    const r = tabtrain(['train', '--data', join(DATASETS, 'iris.csv'), '--label', 'species', '--steps', '40', '--stop-if-loss-above', '0.0001', '--by-step', '6', '--out', p]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/stopped early at step 6: the training loss EMA \d+\.\d{4} is still above 0\.0001/);
    const s = (await decodeCkpt(new Uint8Array(readFileSync(p)))).state as unknown as StateMeta;
    expect([s.step, s.kind]).toEqual([6, 'final']);
    expect(s.config.stopIfLoss).toEqual({ above: 0.0001, byStep: 6 });
  });

  it('--patience is checked and stored in the config; --stop-if-loss-above needs --by-step', () => {
    const dir = tempDir();
    const data = join(DATASETS, 'iris.csv');
    expect(tabtrain(['train', '--data', data, '--patience', '0', '--out', join(dir, 'a.ckpt')]).stderr).toMatch(/--patience: expected a positive integer/);
    const half = tabtrain(['train', '--data', data, '--stop-if-loss-above', '1', '--out', join(dir, 'b.ckpt')]);
    expect(half.code).toBe(2);
    expect(half.stderr).toMatch(/--stop-if-loss-above and --by-step go together/);
    const p = join(dir, 'c.ckpt');
    expect(tabtrain(['train', '--data', data, '--steps', '4', '--patience', '5', '--quiet', '--out', p]).code).toBe(0);
    expect(JSON.parse(tabtrain(['inspect', p, '--json']).stdout).state.config.patience).toBe(5);
  });
});
