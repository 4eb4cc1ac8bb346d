import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeConfig, type ConfigOverrides } from '../../src/engine/config';
import type { Dataset } from '../../src/engine/data/types';
import { resumeCheck } from '../support/resume-check';
import { images, tabular, text } from '../support/synthetic';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

// Small models, a few steps, several split points (mid-epoch ones included). Dropout and a
// warmup+cosine schedule are on, so RNG and schedule restoration are exercised too.
const cases: { family: string; ds: () => Dataset; o: ConfigOverrides; ks: number[] }[] = [
  { family: 'mlp', ds: () => tabular(), o: { hidden: [16, 8], batchSize: 16, dropout: 0.2 }, ks: [1, 3, 5, 8] },
  { family: 'cnn', ds: () => images(), o: { filters: [4], hidden: [8], batchSize: 8, dropout: 0.1 }, ks: [2, 5, 7] },
  { family: 'charlm', ds: () => text(), o: { contextLength: 8, dModel: 16, numHeads: 2, numLayers: 1, batchSize: 8, dropout: 0.1 }, ks: [3, 7] },
  // batch-norm running statistics (buffers) must come back too; two stages: a projection shortcut
  { family: 'resnet', ds: () => images(), o: { family: 'resnet', filters: [4, 6], blocks: 1, batchSize: 8, dropout: 0.1 }, ks: [2, 5, 7] },
];

describe('resume is bit-identical to never stopping (CPU backend)', () => {
  for (const c of cases) {
    for (const optimizer of ['adamw', 'sgd', 'lion'] as const) {
      it(`${c.family} + ${optimizer}`, async () => {
        const ds = c.ds();
        const config = makeConfig(ds, { ...c.o, optimizer, steps: 12, schedule: 'cosine', warmupSteps: 3, scheduleSteps: 12, logEvery: 2, evalEvery: 4, seed: 42 });
        const before = tf.memory().numTensors;
        const results = await resumeCheck(ds, config, c.ks);
        for (const r of results) {
          expect(r.mismatches, `k=${r.k}`).toEqual([]);
          expect(r.stateMismatches, `k=${r.k}`).toEqual([]);
          expect(r.tensors).toBeGreaterThan(2);
        }
        expect(tf.memory().numTensors).toBe(before);
      });
    }
  }
});

describe('the resume check can fail', () => {
  // Negative controls: a resume that drops one piece of state must be caught by the comparison.
  async function resumeWith(mutate: (s: Record<string, any>) => void): Promise<string[]> {
    const { Trainer } = await import('../../src/engine/trainer');
    const { roundTrip, diffContents } = await import('../support/resume-check');
    const ds = tabular();
    const config = makeConfig(ds, { hidden: [8], batchSize: 16, dropout: 0.3, steps: 10, seed: 3 });
    const straight = Trainer.create({ config, dataset: ds });
    await straight.train();
    const ref = await straight.snapshot('final');
    straight.dispose();
    const first = Trainer.create({ config, dataset: ds });
    await first.train({ target: { steps: 4 } });
    const saved = await roundTrip(await first.snapshot('latest'));
    first.dispose();
    mutate(saved.state);
    const second = Trainer.resume(saved, ds);
    await second.train();
    const out = diffContents(ref, await second.snapshot('final')).tensors;
    second.dispose();
    return out;
  }
  it('detects a lost optimizer step count (what tfjs Adam gets wrong)', async () => {
    expect((await resumeWith((s) => (s.optimizer.updates = 0))).length).toBeGreaterThan(0);
  });
  it('detects a lost RNG state (dropout masks)', async () => {
    expect((await resumeWith((s) => (s.rng.state = [1, 2, 3, 4]))).length).toBeGreaterThan(0);
  });
  it('detects a lost data position', async () => {
    expect((await resumeWith((s) => (s.cursor.index = 0))).length).toBeGreaterThan(0);
  });
  it('passes when nothing is lost', async () => {
    expect(await resumeWith(() => {})).toEqual([]);
  });
});
