// Every checkpoint records its data schema (state version 2); older states load without one and
// say what they lack; `inspect --json` shows it under a top-level `schema`.
import * as tf from '@tensorflow/tfjs';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeCkpt } from '../../src/ckpt/format';
import { makeConfig } from '../../src/engine/config';
import { parseCsv, parseText } from '../../src/engine/data';
import type { Dataset } from '../../src/engine/data/types';
import { featureNames } from '../../src/engine/schema';
import { validateState } from '../../src/engine/state';
import { Trainer } from '../../src/engine/trainer';
import { STATE_VERSION } from '../../src/engine/version';
import { DATASETS, tabtrain, tempDir } from '../support/cli';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const enc = new TextEncoder();

async function snapshotOf(ds: Dataset, o: Record<string, unknown> = {}) {
  const t = Trainer.create({ config: makeConfig(ds, { batchSize: 8, steps: 1, seed: 3, ...o }), dataset: ds });
  await t.train();
  const c = await t.snapshot('final');
  t.dispose();
  return c;
}

describe('the data schema in a checkpoint', () => {
  it('tabular: columns with their encoders, left-out columns and why, label, task, classes', async () => {
    const ds = await parseCsv(readFileSync(join(DATASETS, 'titanic.csv')), 'titanic.csv', { label: 'survived' });
    const c = await snapshotOf(ds, { hidden: [4] });
    const s = validateState(c.state);
    expect(s.stateVersion).toBe(STATE_VERSION);
    const schema = s.dataset.schema!;
    expect(schema.kind).toBe('tabular');
    if (schema.kind !== 'tabular') return;
    expect(schema.label).toBe('survived');
    expect(schema.classes).toEqual(['0', '1']);
    expect(featureNames(schema)).toEqual(ds.featureNames);
    const age = schema.columns.find((x) => x.name === 'age')!;
    expect(age.type).toBe('numeric');
    const embarked = schema.columns.find((x) => x.name === 'embarked');
    if (embarked?.type === 'categorical') expect(embarked.categories).toContain('(missing)');
    expect(schema.dropped.length).toBeGreaterThan(0);
    expect(schema.dropped.every((d) => d.reason.length > 0)).toBe(true);
  });
  it('regression: the label mean and std', async () => {
    const rows = ['a,b,y', ...Array.from({ length: 40 }, (_, i) => `${i % 7},${(i * 3) % 11},${i * 1.5 + 0.25}`)].join('\n');
    const ds = await parseCsv(enc.encode(rows), 'r.csv');
    const schema = validateState((await snapshotOf(ds, { hidden: [4] })).state).dataset.schema!;
    if (schema.kind !== 'tabular') throw new Error('expected tabular');
    expect(schema.task).toBe('regression');
    expect(schema.labelStats!.mean).toBeCloseTo(1.5 * 19.5 + 0.25, 10);
    expect(schema.classes).toEqual([]);
  });
  it('text: the vocabulary as code points in id order', async () => {
    const ds = await parseText(enc.encode('héllo wörld\r\n'.repeat(30)), 't.txt');
    const schema = validateState((await snapshotOf(ds, { contextLength: 4, dModel: 8, numHeads: 1, numLayers: 1 })).state).dataset.schema!;
    if (schema.kind !== 'text') throw new Error('expected text');
    expect(schema.vocabulary.map((cp) => String.fromCodePoint(cp))).toEqual(ds.vocab);
    expect(schema.vocabulary).not.toContain(13); // \r is read as part of \n
  });
  it('validateState refuses a malformed schema and a newer state version', async () => {
    const ds = await parseText(enc.encode('abcabcabd'.repeat(30)), 't.txt');
    const c = await snapshotOf(ds, { contextLength: 4, dModel: 8, numHeads: 1, numLayers: 1 });
    const bad = structuredClone(c.state) as { dataset: { schema: { vocabulary: unknown[] } }; stateVersion: number };
    bad.dataset.schema.vocabulary = [97, 97];
    expect(() => validateState(bad)).toThrow(/dataset.schema: vocabulary repeats/);
    const newer = { ...structuredClone(c.state), stateVersion: STATE_VERSION + 1 };
    expect(() => validateState(newer)).toThrow(/newer than this build/);
  });
  it('inspect --json: a top-level schema with classes, vocabulary; an older state says what it lacks', async () => {
    const dir = tempDir();
    const iris = join(dir, 'iris.ckpt');
    const r = tabtrain(['train', '--data', join(DATASETS, 'iris.csv'), '--out', iris, '--steps', '2', '--quiet']);
    expect(r.stderr).toBe('');
    const j = JSON.parse(tabtrain(['inspect', iris, '--json']).stdout);
    expect(j.schema.classes).toEqual(['setosa', 'versicolor', 'virginica']);
    expect(j.schema.columns.map((x: { name: string }) => x.name)).toEqual(['sepal_length', 'sepal_width', 'petal_length', 'petal_width']);
    const ds = await parseText(enc.encode('ab ba ab'.repeat(30)), 't.txt');
    const c = await snapshotOf(ds, { contextLength: 4, dModel: 8, numHeads: 1, numLayers: 1 });
    writeFileSync(join(dir, 't.ckpt'), await encodeCkpt(c));
    expect(JSON.parse(tabtrain(['inspect', join(dir, 't.ckpt'), '--json']).stdout).schema.vocabulary).toEqual([' ', 'a', 'b']);
    // a version-1 state: no stateVersion, no schema
    const old = structuredClone(c.state) as Record<string, { schema?: unknown }> & { stateVersion?: number };
    delete old.stateVersion;
    delete old.dataset.schema;
    writeFileSync(join(dir, 'old.ckpt'), await encodeCkpt({ ...c, state: old }));
    const oj = JSON.parse(tabtrain(['inspect', join(dir, 'old.ckpt'), '--json']).stdout);
    expect(oj.schema.missing).toMatch(/state version 1\) does not record its data schema/);
    expect(tabtrain(['inspect', join(dir, 'old.ckpt')]).stdout).toMatch(/schema: none/);
  }, 60_000);
});
