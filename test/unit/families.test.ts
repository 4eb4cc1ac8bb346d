// The model-family registry: every entry is complete and consistent, specs are validated from
// their field descriptions, and resnet's batch-norm buffers behave (training updates them,
// evaluation uses them, checkpoints carry them, resume restores them).
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeConfig } from '../../src/engine/config';
import type { Dataset } from '../../src/engine/data/types';
import { allFields, bufferDefs, FAMILY_NAMES, familiesFor, familyDef, modelTensors, paramDefs, specFor, validateSpec, type MlpSpec, type ModelSpec } from '../../src/engine/models';
import { Trainer } from '../../src/engine/trainer';
import { diffContents, roundTrip } from '../support/resume-check';
import { images, tabular, text } from '../support/synthetic';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const dataFor = (kind: string): Dataset => (kind === 'tabular' ? tabular() : kind === 'image' ? images() : text());

describe('the registry', () => {
  it('every family builds a valid spec from its defaults, with unique tensor names', () => {
    expect(FAMILY_NAMES).toEqual(['mlp', 'cnn', 'charlm', 'resnet']);
    for (const name of FAMILY_NAMES) {
      const def = familyDef(name);
      const ds = dataFor(def.data);
      const spec = specFor(ds, name, {});
      expect(validateSpec(spec), name).toBeNull();
      for (const f of def.fields) expect(def.defaults[f.key], `${name}.${f.key}`).toBeDefined();
      // values() inverts build(): a spec rebuilt from its own values is the same spec
      expect(specFor(ds, name, def.values(spec as never))).toEqual(spec);
      const names = modelTensors(spec).map((t) => t.name);
      expect(new Set(names).size, name).toBe(names.length);
    }
  });

  it('the default family of each kind of data is the first registered for it', () => {
    expect(familiesFor('tabular')).toEqual(['mlp']);
    expect(familiesFor('image')).toEqual(['cnn', 'resnet']);
    expect(familiesFor('text')).toEqual(['charlm']);
    expect(makeConfig(images(), {}).model.family).toBe('cnn');
  });

  it('a CLI flag shared by two families has one key and one kind', () => {
    const seen = new Map<string, string>();
    for (const name of FAMILY_NAMES) {
      for (const f of familyDef(name).fields) {
        const sig = `${f.key}/${f.kind}`;
        if (seen.has(f.flag)) expect(sig, `--${f.flag}`).toBe(seen.get(f.flag));
        seen.set(f.flag, sig);
      }
    }
    expect(allFields().map((f) => f.flag).sort()).toEqual([...seen.keys()].sort());
  });

  it('refuses specs and settings out of bounds, naming them', () => {
    const mlp = specFor(tabular(), 'mlp', {}) as MlpSpec;
    expect(validateSpec({ ...mlp, family: 'transformer' } as unknown as ModelSpec)).toMatch(/unknown model family transformer \(known: mlp, cnn, charlm, resnet\)/);
    expect(validateSpec({ ...mlp, hidden: [0] })).toMatch(/mlp: Hidden layers: expected comma-separated integers in \[1, 1048576\]/);
    expect(validateSpec({ ...mlp, hidden: 'x' } as unknown as ModelSpec)).toMatch(/Hidden layers/);
    expect(validateSpec({ ...mlp, dropout: 1 })).toMatch(/dropout must be in \[0, 1\)/);
    expect(() => specFor(images(), 'cnn', { hidden: [8, 16] })).toThrow(/Dense width: expected one integer/);
    expect(() => specFor(text(), 'charlm', { dModel: 10, numHeads: 3 })).toThrow(/dModel 10 must be divisible by numHeads 3/);
    expect(() => specFor(tabular(), 'resnet', {})).toThrow(/resnet model needs an image dataset, not tabular/);
  });

  it('param and buffer definitions are pure data (no tensors allocated)', () => {
    const before = tf.memory().numTensors;
    const spec = specFor(images(), 'resnet', { filters: [4, 6], blocks: 2 });
    const params = paramDefs(spec);
    const buffers = bufferDefs(spec);
    expect(tf.memory().numTensors).toBe(before);
    // 5 batch norms: stem, 2 per block x 2 blocks... plus the projection of stage 1
    expect(buffers.map((b) => b.name).filter((n) => n.endsWith('.mean'))).toEqual([
      'stem.bn.mean', 'stages.0.0.bn1.mean', 'stages.0.0.bn2.mean', 'stages.0.1.bn1.mean', 'stages.0.1.bn2.mean',
      'stages.1.0.bn1.mean', 'stages.1.0.bn2.mean', 'stages.1.0.proj_bn.mean', 'stages.1.1.bn1.mean', 'stages.1.1.bn2.mean',
    ]);
    expect(params.find((p) => p.name === 'stages.1.0.proj.kernel')?.shape).toEqual([1, 1, 4, 6]);
    expect(params.find((p) => p.name === 'head.kernel')?.shape).toEqual([6, 2]);
  });
});

describe('resnet batch norm', () => {
  const config = () => makeConfig(images(), { family: 'resnet', filters: [4, 6], blocks: 1, batchSize: 8, steps: 6, seed: 4, logEvery: 1, evalEvery: 3 });

  it('training moves the running statistics; they are in the checkpoint as model.* tensors', async () => {
    const ds = images();
    const t = Trainer.create({ config: config(), dataset: ds });
    const c0 = await t.snapshot('latest');
    await t.train();
    const c1 = await t.snapshot('final');
    t.dispose();
    const get = (c: typeof c0, n: string) => Array.from(c.tensors.find((x) => x.name === n)!.data);
    expect(get(c0, 'model.stem.bn.mean').every((v) => v === 0)).toBe(true);
    expect(get(c0, 'model.stem.bn.var').every((v) => v === 1)).toBe(true);
    expect(get(c1, 'model.stem.bn.mean').some((v) => v !== 0)).toBe(true);
    expect(get(c1, 'model.stem.bn.var').some((v) => v !== 1)).toBe(true);
    // buffers never get optimizer slots
    expect(c1.tensors.some((x) => x.name.startsWith('optim.stem.bn.mean'))).toBe(false);
    expect(c1.tensors.some((x) => x.name === 'optim.stem.bn.gamma.m')).toBe(true);
  });

  it('evaluation uses the running statistics, not the batch', async () => {
    const ds = images();
    const t = Trainer.create({ config: config(), dataset: ds });
    await t.train();
    const x = tf.tensor(ds.kind === 'image' ? ds.x.slice(0, 8 * 8 * 8 * 1) : [], [8, 8, 8, 1]);
    const evalA = t.model.forward(t.modelTensors, x, { training: false, dropoutSeed: 0 });
    // Changing a running mean must change eval outputs, and must not change training-mode ones.
    const trainA = t.model.forward(t.modelTensors, x, { training: true, dropoutSeed: 0 });
    t.buffers.get('stem.bn.mean')!.assign(tf.fill([4], 5));
    const evalB = t.model.forward(t.modelTensors, x, { training: false, dropoutSeed: 0 });
    const trainB = t.model.forward(t.modelTensors, x, { training: true, dropoutSeed: 0 });
    expect(Array.from(await evalA.data())).not.toEqual(Array.from(await evalB.data()));
    expect(Array.from(await trainA.data())).toEqual(Array.from(await trainB.data()));
    tf.dispose([x, evalA, evalB, trainA, trainB]);
    t.dispose();
  });

  it('a resume that loses the buffers is caught (the resume check can fail)', async () => {
    const ds = images();
    const cfg = config();
    const straight = Trainer.create({ config: cfg, dataset: ds });
    await straight.train();
    const ref = await straight.snapshot('final');
    straight.dispose();
    const first = Trainer.create({ config: cfg, dataset: ds });
    await first.train({ target: { steps: 3 } });
    const saved = await roundTrip(await first.snapshot('latest'));
    first.dispose();
    for (const x of saved.tensors) if (x.name.endsWith('.bn.mean') || x.name.endsWith('bn1.mean')) (x.data as Float32Array).fill(0);
    const second = Trainer.resume(saved, ds);
    await second.train();
    const d = diffContents(ref, await second.snapshot('final'));
    second.dispose();
    expect(d.tensors).toContain('model.stem.bn.mean');
  });

  it('resume refuses a checkpoint without its buffers, naming them', async () => {
    const ds = images();
    const t = Trainer.create({ config: config(), dataset: ds });
    const c = await t.snapshot('latest');
    t.dispose();
    c.tensors = c.tensors.filter((x) => x.name !== 'model.stem.bn.var');
    expect(() => Trainer.resume(c, ds)).toThrow(/model\.stem\.bn\.var: missing from the checkpoint/);
  });
});
