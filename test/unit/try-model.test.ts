// The page's "Try the model" runs engine/predict.ts in the worker: one form row gives the same
// answer as the CLI's path over a CSV, and the form is prefilled with the run's first
// validation row.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeConfig } from '../../src/engine/config';
import { splitIndices } from '../../src/engine/cursor';
import { parseCsv, readCsvColumns } from '../../src/engine/data';
import { Predictor, tryOnce, validationRow } from '../../src/engine/predict';
import { validateState } from '../../src/engine/state';
import { Trainer } from '../../src/engine/trainer';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('try the model', () => {
  it('a form row predicts as the same CSV row does; the prefill is the first validation row', async () => {
    const lines = ['n,colour,kind'];
    for (let i = 0; i < 60; i++) lines.push(`${i % 2 === 0 && i % 7 === 0 ? '' : (i * 7) % 23},${['red', 'blue'][i % 2]},${i % 3 === 0 ? 'x' : 'y'}`);
    lines.splice(5, 0, '4,red,'); // a row without a label: not a sample, so not counted in the split
    const bytes = new TextEncoder().encode(lines.join('\n'));
    const ds = await parseCsv(bytes, 't.csv');
    const t = Trainer.create({ config: makeConfig(ds, { batchSize: 8, steps: 3, seed: 5, hidden: [4] }), dataset: ds });
    await t.train();
    const c = await t.snapshot('final');
    t.dispose();
    const state = validateState(c.state);
    const pre = validationRow(state, bytes, 't.csv')!;
    const labelled = lines.slice(1).filter((l) => !l.endsWith(','));
    const first = labelled[splitIndices(ds.numRows, state.config.valFraction, 5).val[0]!]!.split(',');
    expect(pre).toEqual({ n: first[0], colour: first[1] });
    const p = new Predictor(c);
    try {
      const one = await tryOnce(p, { kind: 'row', values: { colour: pre.colour!, n: pre.n! } });
      const table = readCsvColumns(new TextEncoder().encode(`n,colour\n${pre.n},${pre.colour}`), 'x.csv');
      const viaCsv = await p.table(table.header, table.columns, table.numRows);
      expect(one).toEqual(viaCsv.predictions[0]);
      expect(Object.keys((one as { probabilities: object }).probabilities)).toEqual(['x', 'y']);
    } finally {
      p.dispose();
    }
  });
});

describe('image inputs for predict', () => {
  it('imageInput preprocesses one image exactly as parseImages does', async () => {
    const { readFileSync, readdirSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { parseImages, imageInput, decodePngRgba } = await import('../../src/engine/data');
    const { tempDir, writeImageFolder } = await import('../support/cli');
    const root = writeImageFolder(tempDir(), 3, 10);
    const files = ['bottom', 'top'].flatMap((c) => readdirSync(join(root, c)).sort().map((f) => ({ path: `shapes/${c}/${f}`, bytes: new Uint8Array(readFileSync(join(root, c, f))) })));
    for (const channels of [1, 3] as const) {
      const ds = await parseImages(files, { imageSize: { height: 4, width: 4 }, channels });
      const per = 4 * 4 * channels;
      for (let i = 0; i < files.length; i++) {
        const img = decodePngRgba(files[i]!.bytes);
        expect(Array.from(imageInput(img, 4, 4, channels))).toEqual(Array.from(ds.x.subarray(i * per, (i + 1) * per)));
      }
    }
  });
});
