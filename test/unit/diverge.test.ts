// A diverging run stops with a clear message and never writes a NaN/Inf checkpoint.
import * as tf from '@tensorflow/tfjs';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { decodeCkpt } from '../../src/ckpt/format';
import { makeConfig } from '../../src/engine/config';
import { runSession } from '../../src/engine/session';
import { DivergedError, Trainer } from '../../src/engine/trainer';
import { DATASETS, tabtrain, tempDir } from '../support/cli';
import { tabular } from '../support/synthetic';

beforeAll(async () => {
  tf.enableProdMode();
  await tf.setBackend('cpu');
});

const blowUp = { optimizer: 'sgd' as const, momentum: 0, lr: 1e38, clipNorm: 0, hidden: [8], batchSize: 16, steps: 40, logEvery: 5, evalEvery: 1000 };

it('the engine stops a diverging run and refuses to snapshot NaN weights', async () => {
  const ds = tabular();
  const t = Trainer.create({ config: makeConfig(ds, blowUp), dataset: ds });
  const saved: number[] = [];
  const err = await runSession(t, {
    policy: { everySteps: 1, everySeconds: 0, best: true },
    save: async (c) => {
      for (const x of c.tensors) expect(Array.from(x.data).every(Number.isFinite)).toBe(true);
      saved.push((c.state as { step: number }).step);
    },
  }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(DivergedError);
  expect((err as Error).message).toMatch(/diverged/);
  expect(saved.length).toBeGreaterThan(0); // the good steps before divergence were saved
  await expect(t.snapshot('latest')).rejects.toBeInstanceOf(DivergedError);
  t.dispose();
});

it('the CLI says the run diverged, exits 1 and keeps the last good --out', async () => {
  const dir = tempDir();
  const out = join(dir, 'd.ckpt');
  const r = tabtrain(['train', '--data', join(DATASETS, 'iris.csv'), '--optimizer', 'sgd', '--momentum', '0', '--lr', '1e38', '--clip-norm', '0', '--steps', '40', '--checkpoint-every', '1', '--log-every', '5', '--out', out]);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/diverged/);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  if (existsSync(out)) {
    const c = await decodeCkpt(new Uint8Array(readFileSync(out)));
    for (const x of c.tensors) expect(Array.from(x.data).every(Number.isFinite)).toBe(true);
  }
});
