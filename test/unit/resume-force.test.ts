// --force resumes onto changed data only where every tensor still fits; anything else is refused.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeConfig } from '../../src/engine/config';
import type { Dataset } from '../../src/engine/data/types';
import { resumeSession } from '../../src/engine/session';
import { Trainer } from '../../src/engine/trainer';
import { roundTrip } from '../support/resume-check';
import { tabular, text } from '../support/synthetic';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

async function checkpoint(ds: Dataset, o: Record<string, unknown>) {
  const t = Trainer.create({ config: makeConfig(ds, { batchSize: 8, steps: 6, seed: 5, ...o }), dataset: ds });
  await t.train({ target: { steps: 2 } });
  const c = await roundTrip(await t.snapshot('latest'));
  t.dispose();
  return c;
}

describe('resume --force', () => {
  it('refuses more input features, naming the tensor', async () => {
    const c = await checkpoint(tabular(96, 5, 3), { hidden: [8] });
    expect(() => resumeSession(c, tabular(96, 7, 3), { force: true })).toThrow(/does not fit.*layers\.0\.kernel/);
  });
  it('refuses fewer classes (the head would keep three outputs)', async () => {
    const c = await checkpoint(tabular(96, 5, 3), { hidden: [8] });
    expect(() => resumeSession(c, tabular(90, 5, 2), { force: true })).toThrow(/head/);
  });
  it('refuses a larger vocabulary', async () => {
    const c = await checkpoint(text(1200), { contextLength: 8, dModel: 16, numHeads: 2, numLayers: 1 });
    const bigger = text(1200);
    bigger.vocab = [...bigger.vocab, 'Z'];
    bigger.fingerprint = { ...bigger.fingerprint, sha256: 'dd'.padEnd(64, '0') };
    expect(() => resumeSession(c, bigger, { force: true })).toThrow(/does not fit/);
  });
  it('still resumes onto changed data that fits, with the warning', async () => {
    const c = await checkpoint(tabular(96, 5, 3), { hidden: [8] });
    const t = resumeSession(c, tabular(99, 5, 3), { force: true });
    expect(t.warnings.join('\n')).toMatch(/dataset/i);
    t.dispose();
  });
});

describe('resume --force: same sizes, different meaning', () => {
  it('refuses classes in another order (the head rows would mean other classes)', async () => {
    const c = await checkpoint(tabular(96, 5, 3), { hidden: [8] });
    const swapped = tabular(99, 5, 3);
    swapped.classes = ['c1', 'c0', 'c2'];
    expect(() => resumeSession(c, swapped, { force: true })).toThrow(/classes differ.*"c0", "c1", "c2".*"c1", "c0", "c2"/);
  });
  it('refuses another vocabulary of the same size', async () => {
    const c = await checkpoint(text(1200), { contextLength: 8, dModel: 16, numHeads: 2, numLayers: 1 });
    const other = text(1200);
    other.vocab = other.vocab.map((ch) => (ch === 'z' ? 'Z' : ch));
    other.fingerprint = { ...other.fingerprint, sha256: 'ee'.padEnd(64, '0') };
    expect(() => resumeSession(c, other, { force: true })).toThrow(/vocabulary differ/);
  });
});
