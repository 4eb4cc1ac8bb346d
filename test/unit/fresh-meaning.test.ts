// Fresh from weights by meaning (issue 11): head units follow their class names, embedding rows
// their characters, first-layer rows their input columns; --freeze-known keeps the carried-over
// rows bit-identical through training, a save and a resume.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CkptContents } from '../../src/ckpt/types';
import { makeConfig } from '../../src/engine/config';
import { parseCsv, parseText } from '../../src/engine/data';
import type { Dataset } from '../../src/engine/data/types';
import { planFresh } from '../../src/engine/fresh-map';
import { freshSession, resumeSession } from '../../src/engine/session';
import { Trainer } from '../../src/engine/trainer';
import { diffContents, roundTrip } from '../support/resume-check';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const enc = new TextEncoder();
const LM = { contextLength: 4, dModel: 8, numHeads: 1, numLayers: 1 };

async function parentOf(ds: Dataset, o: Record<string, unknown>): Promise<CkptContents> {
  const t = Trainer.create({ config: makeConfig(ds, { batchSize: 8, steps: 5, seed: 3, ...o }), dataset: ds });
  await t.train();
  const c = await roundTrip(await t.snapshot('final'));
  t.dispose();
  return c;
}

const tensor = (c: CkptContents, name: string) => c.tensors.find((t) => t.name === `model.${name}`)!;
/** Row r of a 2-D tensor [rows, cols]. */
const row = (c: CkptContents, name: string, r: number) => {
  const t = tensor(c, name);
  return Array.from(t.data.subarray(r * t.shape[1]!, (r + 1) * t.shape[1]!));
};
/** Column j of a 2-D tensor [rows, cols]. */
const col = (c: CkptContents, name: string, j: number) => {
  const t = tensor(c, name);
  return Array.from({ length: t.shape[0]! }, (_, i) => t.data[i * t.shape[1]! + j]!);
};

function statusCsv(classes: string[], rows = 120): Uint8Array {
  const lines = ['load,temp,zone,status'];
  for (let i = 0; i < rows; i++) lines.push(`${(i * 7) % 13},${(i * 3) % 17}.5,${['n', 's', 'e'][i % 3]},${classes[i % classes.length]}`);
  return enc.encode(lines.join('\n'));
}

describe('fresh from weights by meaning', () => {
  it('(a) a new class sorting between the old ones: kept classes keep their head weights, by name', async () => {
    const parentDs = await parseCsv(statusCsv(['fail', 'ok', 'service', 'warn']), 'status.csv');
    const parent = await parentOf(parentDs, { hidden: [6] });
    const ds = await parseCsv(statusCsv(['fail', 'ok', 'retired', 'service', 'warn']), 'status.csv');
    expect(ds.classes).toEqual(['fail', 'ok', 'retired', 'service', 'warn']);
    const t = freshSession(parent, ds, { batchSize: 8, steps: 5, seed: 4 });
    const child = await t.snapshot('latest');
    const report = t.freshReport!;
    t.dispose();
    for (const [i, name] of parentDs.classes.entries()) {
      const j = ds.classes.indexOf(name);
      expect(col(child, 'head.kernel', j)).toEqual(col(parent, 'head.kernel', i));
      expect(tensor(child, 'head.bias').data[j]).toBe(tensor(parent, 'head.bias').data[i]);
    }
    // the new class's unit is initialised, not some other class's weights
    const retired = col(child, 'head.kernel', 2);
    for (let i = 0; i < 4; i++) expect(retired).not.toEqual(col(parent, 'head.kernel', i));
    expect(report.partial.map((p) => p.name)).toEqual(['model.head.kernel', 'model.head.bias']);
    expect(report.partial[0]!.reason).toMatch(/4 of 5 classes loaded.*"retired"/);
    expect(report.loaded).toContain('model.layers.0.kernel');
  });

  it('first-layer rows follow their input columns, whatever the column order', async () => {
    const parentDs = await parseCsv(statusCsv(['a', 'b']), 's.csv');
    const parent = await parentOf(parentDs, { hidden: [6] });
    const text = new TextDecoder().decode(statusCsv(['a', 'b'])).split('\n').map((l) => l.split(',')).map(([a, b, c, d]) => [c, b, a, d].join(','));
    const ds = await parseCsv(enc.encode(text.join('\n')), 's.csv');
    expect(ds.featureNames).not.toEqual(parentDs.featureNames);
    const t = freshSession(parent, ds, { batchSize: 8, steps: 5 });
    const child = await t.snapshot('latest');
    t.dispose();
    for (const [i, f] of parentDs.featureNames.entries()) expect(row(child, 'layers.0.kernel', ds.featureNames.indexOf(f))).toEqual(row(parent, 'layers.0.kernel', i));
  });

  it('(c) same vocabulary size, other characters: rows map by character, never by position', async () => {
    const parentDs = await parseText(enc.encode('abc dabc d cab dd '.repeat(20)), 'p.txt');
    const parent = await parentOf(parentDs, LM);
    const ds = await parseText(enc.encode('abx dabx d xab dd '.repeat(20)), 'c.txt');
    expect(ds.vocab.length).toBe(parentDs.vocab.length);
    const t = freshSession(parent, ds, { batchSize: 8, steps: 5 });
    const child = await t.snapshot('latest');
    const report = t.freshReport!;
    t.dispose();
    for (const ch of [' ', 'a', 'b', 'd']) expect(row(child, 'tok_emb', ds.vocab.indexOf(ch))).toEqual(row(parent, 'tok_emb', parentDs.vocab.indexOf(ch)));
    // by position 'd' (now id 3) would get c's row (id 3 before): it keeps its own, and 'x' is new
    expect(ds.vocab.indexOf('d')).toBe(parentDs.vocab.indexOf('c'));
    for (let p = 0; p < parentDs.vocab.length; p++) expect(row(child, 'tok_emb', ds.vocab.indexOf('x'))).not.toEqual(row(parent, 'tok_emb', p));
    const emb = report.tensors.find((x) => x.name === 'model.tok_emb')!;
    expect(emb.status).toBe('partial');
    expect(emb.reason).toMatch(/4 of 5 characters loaded.*"x".*"c"/);
  });

  it('a tensor with two axes by name (a head right after the inputs) maps and freezes both', () => {
    const keys = (f: string[], c: string[]) => (by: string) => (by === 'feature' ? f : by === 'class' ? c : undefined);
    const axes = [{ param: 'head.kernel', axis: 0, by: 'feature' as const }, { param: 'head.kernel', axis: 1, by: 'class' as const }];
    const plan = planFresh([{ name: 'model.head.kernel', shape: [2, 2] }], [{ name: 'model.head.kernel', shape: [3, 2] }], axes, keys(['a', 'b'], ['x', 'z']), keys(['b', 'a', 'c'], ['x', 'y']));
    expect(plan.known['head.kernel']).toEqual([{ axis: 0, index: [0, 1] }, { axis: 1, index: [0] }]);
    expect(plan.partial).toEqual([{ name: 'model.head.kernel', reason: '2 of 3 input columns loaded, 1 new input column initialised: "c"; 1 new class initialised: "y"; 1 class of the checkpoint dropped: "z"' }]);
    expect(Array.from(plan.maps.get('model.head.kernel')!, (m) => Array.from(m))).toEqual([[1, 0, -1], [0, -1]]);
  });

  it('a 2-D tensor that only fits transposed is refused with that reason', () => {
    const plan = planFresh([{ name: 'model.w', shape: [3, 5] }], [{ name: 'model.w', shape: [5, 3] }], [], () => undefined, () => undefined);
    expect(plan.reinitialised).toEqual([{ name: 'model.w', reason: expect.stringMatching(/^fits only transposed: checkpoint has \[3,5\], model expects \[5,3\]/) }]);
    expect(plan.loaded).toEqual([]);
  });

  it('(b) extending a vocabulary: known rows bit-identical, and with freeze-known through training, a save and a resume', async () => {
    const parentDs = await parseText(enc.encode('abab cab bca '.repeat(30)), 'p.txt');
    const parent = await parentOf(parentDs, LM);
    const ds = await parseText(enc.encode('abab cab bca xyz! '.repeat(30)), 'c.txt');
    const known = parentDs.vocab.map((ch) => [ds.vocab.indexOf(ch), parentDs.vocab.indexOf(ch)] as const);
    const fresh = ds.vocab.map((_, i) => i).filter((i) => !parentDs.vocab.includes(ds.vocab[i]!));
    const t = freshSession(parent, ds, { batchSize: 8, steps: 12, seed: 2 }, {}, undefined, { freezeKnown: true });
    expect(t.config.freezeRows!['tok_emb']).toEqual([{ axis: 0, index: known.map(([i]) => i).sort((a, b) => a - b) }]);
    const start = await t.snapshot('latest');
    await t.train({ target: { steps: 6 } });
    const saved = await roundTrip(await t.snapshot('latest'));
    t.dispose();
    const r = resumeSession(saved, ds);
    await r.train();
    const end = await r.snapshot('final');
    r.dispose();
    for (const c of [start, saved, end]) {
      for (const [i, p] of known) {
        expect(row(c, 'tok_emb', i)).toEqual(row(parent, 'tok_emb', p));
        expect(col(c, 'head.kernel', i)).toEqual(col(parent, 'head.kernel', p));
      }
    }
    for (const i of fresh) {
      expect(row(end, 'tok_emb', i)).not.toEqual(row(start, 'tok_emb', i));
      expect(col(end, 'head.kernel', i)).not.toEqual(col(start, 'head.kernel', i));
    }
    // the other tensors train as usual
    expect(Array.from(tensor(end, 'pos_emb').data)).not.toEqual(Array.from(tensor(start, 'pos_emb').data));
  });
});

describe('encoding from the checkpoint on fresh', () => {
  it("numeric columns the parent knew keep its mean and std; a category it did not know is counted and reported", async () => {
    const { parentEncoding } = await import('../../src/engine/fresh');
    const { validateState } = await import('../../src/engine/state');
    const parentDs = await parseCsv(statusCsv(['a', 'b']), 's.csv');
    const parent = await parentOf(parentDs, { hidden: [6] });
    const lines = ['load,temp,zone,status'];
    for (let i = 0; i < 60; i++) lines.push(`${(i * 5) % 31},${i % 4}.5,${['n', 's', 'w'][i % 3]},${['a', 'b'][i % 2]}`);
    const ds = await parseCsv(enc.encode(lines.join('\n')), 's.csv', parentEncoding(validateState(parent.state)));
    const was = parentDs.columns!.find((c) => c.name === 'load')!;
    const now = ds.columns!.find((c) => c.name === 'load')!;
    expect(now).toEqual(was);
    if (was.type !== 'numeric') throw new Error('expected numeric');
    expect(ds.x[0 * ds.numFeatures + ds.featureNames.indexOf('load')]).toBe(Math.fround((0 - was.mean) / was.std));
    expect(ds.notes).toContain('zone: 20 rows with 1 category the parent checkpoint did not know (w): their inputs start untrained');
  });
});

describe('--freeze-known and resume', () => {
  it('a run with frozen rows resumes bit-exactly (straight vs paused, saved and resumed)', async () => {
    const parentDs = await parseText(enc.encode('abab cab bca '.repeat(30)), 'p.txt');
    const parent = await parentOf(parentDs, LM);
    const ds = await parseText(enc.encode('abab cab bca xyz! '.repeat(30)), 'c.txt');
    const o = { batchSize: 8, steps: 10, seed: 2, evalEvery: 3 };
    const straight = freshSession(parent, ds, o, {}, undefined, { freezeKnown: true });
    straight.lineage.runId = 'r';
    await straight.train();
    const ref = await straight.snapshot('final');
    straight.dispose();
    const first = freshSession(parent, ds, o, {}, undefined, { freezeKnown: true });
    first.lineage.runId = 'r';
    await first.train({ target: { steps: 4 } });
    const saved = await roundTrip(await first.snapshot('latest'));
    first.dispose();
    const second = resumeSession(saved, ds);
    await second.train();
    const end = await second.snapshot('final');
    second.dispose();
    expect(diffContents(ref, end, { evaluations: true }).tensors).toEqual([]);
  });
});

describe('fresh from an older checkpoint (state version 1, no schema)', () => {
  it('maps head units by the class names it recorded (dataset.labels); input columns by position, saying so', async () => {
    const parentDs = await parseCsv(statusCsv(['fail', 'ok', 'service', 'warn']), 'status.csv');
    const parent = await parentOf(parentDs, { hidden: [6] });
    const old = structuredClone(parent.state) as { stateVersion?: number; dataset: { schema?: unknown } };
    delete old.stateVersion;
    delete old.dataset.schema;
    const v1 = { ...parent, state: old as unknown as Record<string, unknown> };
    const ds = await parseCsv(statusCsv(['fail', 'ok', 'retired', 'service', 'warn']), 'status.csv');
    const t = freshSession(v1, ds, { batchSize: 8, steps: 5, seed: 4 });
    const child = await t.snapshot('latest');
    const report = t.freshReport!;
    t.dispose();
    expect(col(child, 'head.kernel', ds.classes.indexOf('warn'))).toEqual(col(parent, 'head.kernel', 3));
    const first = report.tensors.find((x) => x.name === 'model.layers.0.kernel')!;
    expect(first.status).toBe('loaded');
    expect(first.reason).toBe('loaded by position: the checkpoint does not record its input columns');
  });
});
