// Training learns on the real sample datasets: the loss ends well below where it started.
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeConfig, type ConfigOverrides } from '../../src/engine/config';
import { parseDataset } from '../../src/engine/data';
import type { ParseOptions } from '../../src/engine/data/types';
import { Trainer } from '../../src/engine/trainer';
import { APP_VERSION } from '../../src/engine/version';
import { DATASETS } from '../support/cli';

beforeAll(async () => {
  tf.enableProdMode();
  await tf.setBackend('cpu');
});

async function trainOn(file: string, parse: ParseOptions, o: ConfigOverrides, dir = DATASETS) {
  const bytes = new Uint8Array(readFileSync(`${dir}/${file}`));
  const ds = await parseDataset([{ path: file, bytes }], parse);
  const t = Trainer.create({ config: makeConfig(ds, { logEvery: 2, evalEvery: 1000, seed: 3, ...o }, parse), dataset: ds });
  // the mean loss over the first and the last 5 logged steps, to smooth batch noise
  const losses: number[] = [];
  await t.train({ onProgress: (p) => p.trainLoss !== undefined && losses.push(p.trainLoss) });
  t.dispose();
  const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
  return { first: mean(losses.slice(0, 5)), last: mean(losses.slice(-5)), losses };
}

describe('training learns on the sample datasets (CPU)', () => {
  it('iris', async () => {
    const r = await trainOn('iris.csv', { label: 'species' }, { steps: 150, batchSize: 16 });
    expect(r.last).toBeLessThan(r.first * 0.3);
  });
  it('titanic', async () => {
    const r = await trainOn('titanic.csv', { label: 'survived' }, { steps: 200, batchSize: 32 });
    expect(r.last).toBeLessThan(r.first * 0.8);
    expect(r.last).toBeLessThan(0.5);
  });
  it('penguins', async () => {
    const r = await trainOn('penguins.csv', { label: 'species' }, { steps: 150, batchSize: 16 });
    expect(r.last).toBeLessThan(r.first * 0.3);
  });
  it('tinyshakespeare (charlm)', async () => {
    // Small: the tfjs CPU backend is slow (pure JS kernels; ~100 ms a step even at this size).
    const r = await trainOn('tinyshakespeare.txt', {}, { steps: 120, batchSize: 8, contextLength: 16, dModel: 32, numHeads: 2, numLayers: 1, lr: 1e-2, logEvery: 1 });
    // ln(65) = 4.17 is chance at the start; character unigram/bigram statistics reach well under 3.
    expect(r.losses[0]).toBeGreaterThan(3.8);
    expect(r.last).toBeLessThan(3.0);
  });
  it('shapes (resnet: batch norm, residual blocks)', async () => {
    const r = await trainOn('shapes.zip', { imageSize: { height: 12, width: 12 } }, { family: 'resnet', filters: [4, 8], blocks: 1, steps: 120, batchSize: 8, lr: 1e-2, logEvery: 1 }, 'public/samples');
    expect(r.last).toBeLessThan(r.first * 0.5);
  });
});

it('APP_VERSION matches package.json', () => {
  expect(APP_VERSION).toBe(JSON.parse(readFileSync('package.json', 'utf8')).version);
});
