// Hostile input against the engine (issue 15, engine side): sizes that would exhaust memory
// are refused before anything is allocated, freeze patterns cannot backtrack for hours, and
// evaluation stays bounded whatever the number of classes. No device: pure checks, plus a few
// tiny trainers on the CPU backend.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { budgetFor, currentBudget, footprint, setBudget, type Budget } from '../../src/engine/budget';
import { makeConfig, validateConfig, type RunConfig } from '../../src/engine/config';
import { LIMITS } from '../../src/engine/defaults';
import { evaluate } from '../../src/engine/evaluate';
import { applyFreeze, globMatch } from '../../src/engine/freeze';
import { confusionMatrix, generateText, summarizeConfusion } from '../../src/engine/insight';
import { validateSpec } from '../../src/engine/models';
import type { TextDataset } from '../../src/engine/data/types';
import { freshSession } from '../../src/engine/session';
import { validateState } from '../../src/engine/state';
import { Trainer } from '../../src/engine/trainer';
import { hasCode } from '../../src/errors';
import { NAME_MAX, nameText, showName } from '../../src/ui/names';
import { join } from 'node:path';
import { DATASETS, tabtrain, tempDir } from '../support/cli';
import { images, tabular, text } from '../support/synthetic';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** The error `fn` throws (it must throw). */
function thrown(fn: () => unknown): any {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

/** Runs `fn` with a budget in force, then puts the previous one back. */
function under<T>(b: Budget, fn: () => T): T {
  const was = currentBudget();
  setBudget(b);
  try {
    return fn();
  } finally {
    setBudget(was);
  }
}

/** Milliseconds `fn` takes (it runs synchronously). */
function timed(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

describe('freeze patterns: a linear-time glob', () => {
  it('keeps the old meaning: whole names, * is any run, everything else literal', () => {
    expect(globMatch('layers.*', 'layers.0.kernel')).toBe(true);
    expect(globMatch('layers.0', 'layers.0.kernel')).toBe(false);
    expect(globMatch('a.b', 'aXb')).toBe(false);
    expect(globMatch('*', '')).toBe(true);
    expect(globMatch('', '')).toBe(true);
    expect(globMatch('', 'a')).toBe(false);
    expect(globMatch('*.kernel', 'blocks.0.attn.qkv.kernel')).toBe(true);
    expect(globMatch('*.bias', 'blocks.0.attn.qkv.kernel')).toBe(false);
    expect(globMatch('blocks.*.attn.*', 'blocks.1.attn.proj.bias')).toBe(true);
    expect(globMatch('a*b*c', 'aXbYbZc')).toBe(true);
    expect(globMatch('a*b*c', 'aXbYbZ')).toBe(false);
    expect(globMatch('[a]+(b)?', '[a]+(b)?')).toBe(true); // regex characters are literal
    expect(globMatch('**x**', 'x')).toBe(true);
  });

  it('26 stars and a Z finish at once against long names (the RegExp took hours)', () => {
    const pattern = `${'*'.repeat(26)}Z`;
    const names = ['a'.repeat(64), `layers.${'0'.repeat(200)}.kernel`];
    let err: unknown;
    const ms = timed(() => {
      try {
        applyFreeze(names, [pattern]);
      } catch (e) {
        err = e;
      }
    });
    expect(ms).toBeLessThan(200);
    expect(err).toMatchObject({ name: 'ConfigError', code: 'bad_freeze' });
    // the worst case of the matcher is pattern length x name length, no blowup
    expect(timed(() => globMatch(`${'*a'.repeat(500)}Z`, 'a'.repeat(5000)))).toBeLessThan(500);
  });

  it('a config (from a form or a checkpoint) with absurdly many or long patterns is refused', () => {
    const ok = makeConfig(tabular(), {});
    expect(validateConfig({ ...ok, freeze: ['*'.repeat(LIMITS.freezePatternLength + 1)] })).toMatch(/longer than 256 characters/);
    expect(validateConfig({ ...ok, freeze: Array.from({ length: LIMITS.freezePatterns + 1 }, () => 'head.*') })).toMatch(/at most 256 freeze patterns/);
    expect(validateConfig({ ...ok, freeze: ['head.*'] })).toBeNull();
  });
});

describe('model budget: refused from the config, before anything is allocated', () => {
  const backends = [budgetFor('node'), budgetFor('webgpu'), budgetFor('webgpu', 256 * 2 ** 20), budgetFor('webgl')];

  it('hidden [30000, 30000] is refused at once on every backend, naming the tensor, its size and the limit', () => {
    for (const b of backends) {
      const before = process.memoryUsage().arrayBuffers;
      let e: any;
      const ms = timed(() => (e = thrown(() => under(b, () => makeConfig(tabular(), { hidden: [30000, 30000] })))));
      expect(ms).toBeLessThan(500);
      expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(50e6);
      expect(e).toMatchObject({ name: 'ConfigError', code: 'model_too_large' });
      expect(e.message).toMatch(/^model too large for (the CLI|the \w+ backend): layers.1.kernel \[30000, 30000\] would be 3.4 GiB, over the (1 GiB|2 GiB|256 MiB) limit for one tensor; choose a smaller model \(hidden layers, --hidden\)$/);
      expect(e.details).toMatchObject({ backend: b.backend, largestBytes: 3.6e9, tensorLimitBytes: b.tensorBytes });
    }
  });

  it('sizes past typed arrays (2^20 x 2^20) get the same refusal, not "Invalid typed array length"', () => {
    const e = thrown(() => makeConfig(tabular(), { hidden: [2 ** 20, 2 ** 20] }));
    expect(e.code).toBe('model_too_large');
    expect(e.message).toMatch(/would be 4 TiB/);
  });

  it('the total counts gradients, optimizer state and activations, and says which batch size fits', () => {
    // every tensor under 1 GiB, the whole over 4 GiB on WebGPU: 8 layers of 8192 x 8192 with AdamW
    const e = thrown(() => under(budgetFor('webgpu'), () => makeConfig(tabular(), { hidden: Array(8).fill(8192) })));
    expect(e.code).toBe('model_too_large');
    expect(e.message).toMatch(/training needs about 7.1 GiB \(469,893,123 parameters 1.8 GiB, gradients and optimizer state 5.3 GiB, activations 64 MiB at batch size 32\), over the 4 GiB limit; choose a smaller model \(hidden layers, --hidden\)$/);
    expect(e.details.neededBytes).toBeGreaterThan(e.details.limitBytes);
    // a long context: the per-sample attention maps are what is too big, so a smaller batch fits
    const ds = text(4000);
    const o = { family: 'charlm' as const, contextLength: 512, dModel: 64, numHeads: 8, numLayers: 4, batchSize: 1024 };
    const big = thrown(() => under(budgetFor('webgpu'), () => makeConfig(ds, o)));
    expect(big.message).toMatch(/: the largest activation at batch size 1024 would be 8 GiB, over the 1 GiB limit for one tensor; choose a batch size of at most (\d+), or a smaller model \(context length, --context-length; model width \(dmodel\), --d-model; attention heads, --heads; layers, --layers\)$/);
    const fits = big.details.maxBatchSize as number;
    expect(fits).toBeGreaterThan(1);
    expect(() => under(budgetFor('webgpu'), () => makeConfig(ds, { ...o, batchSize: fits }))).not.toThrow();
    expect(() => under(budgetFor('webgpu'), () => makeConfig(ds, { ...o, batchSize: fits + 1 }))).toThrow(/model too large/);
  });

  it('the defaults and ordinary models fit every backend', () => {
    for (const b of backends) {
      under(b, () => {
        makeConfig(tabular(), {});
        makeConfig(tabular(), { hidden: [1024, 1024], batchSize: 1024 });
        makeConfig(images(), { family: 'cnn' });
        makeConfig(images(), { family: 'resnet', filters: [16, 32, 64], blocks: 2 });
        makeConfig(text(4000), { family: 'charlm' });
        makeConfig(text(4000), { family: 'charlm', contextLength: 256, dModel: 128, numHeads: 4, numLayers: 4, batchSize: 16 });
      });
    }
    // the estimate is an upper bound of the real thing, not wildly off: the default MLP on iris-sized data
    const f = footprint(makeConfig(tabular(), {}).model, makeConfig(tabular(), {}).optimizer);
    expect(f.params).toBe(5 * 64 + 64 + 64 * 64 + 64 + 64 * 3 + 3);
    expect(f.optimizer).toBe(3 * f.params); // gradients + AdamW's two moments
  });

  it('a checkpoint with contextLength 30000 is refused when read (plan, inspect, fresh, resume), allocating nothing', async () => {
    const ds = text(2000);
    const t = Trainer.create({ config: makeConfig(ds, { family: 'charlm', contextLength: 8, dModel: 8, numHeads: 2, numLayers: 1, batchSize: 4, steps: 2 }), dataset: ds });
    const contents = await t.snapshot('latest');
    t.dispose();
    const st = contents.state as any;
    st.config.model.contextLength = 30000;
    const before = process.memoryUsage().arrayBuffers;
    const t0 = performance.now();
    const a = thrown(() => validateState(st));
    const b = thrown(() => freshSession(contents, ds, {}));
    expect(performance.now() - t0).toBeLessThan(500);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(50e6);
    for (const e of [a, b]) {
      expect(hasCode(e, 'model_too_large')).toBe(true);
      expect(e.message).toMatch(/model too large for the CLI: .* over the .* limit/);
    }
  });

  it('the CLI (on wasm, its default backend) refuses hidden 30000,30000 in seconds with the numbers, exit 1, no stack trace (it was OOM-killed)', () => {
    const t0 = Date.now();
    const r = tabtrain(['train', '--data', join(DATASETS, 'iris.csv'), '--hidden', '30000,30000', '--steps', '1', '--out', join(tempDir(), 'x.ckpt')]);
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/tabtrain: error: model too large for the wasm backend: layers.1.kernel \[30000, 30000\] would be 3.4 GiB, over the 1 GiB limit for one tensor; choose a smaller model \(hidden layers, --hidden\)\n/);
    expect(r.stderr).not.toMatch(/at \w+ \(/);
  });

  it('a Trainer refuses an over-budget config that skipped makeConfig, before its initial values exist', () => {
    const ok = makeConfig(tabular(), { hidden: [8] });
    const config: RunConfig = { ...ok, model: { ...ok.model, hidden: [30000, 30000] } as RunConfig['model'] };
    const before = process.memoryUsage().arrayBuffers;
    const e = thrown(() => Trainer.create({ config, dataset: tabular() }));
    expect(e.code).toBe('model_too_large');
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(50e6);
  });

  it('a charlm model makes its causal mask at the first forward pass, not when built', () => {
    const ds = text(2000);
    const cfg = makeConfig(ds, { family: 'charlm', contextLength: 64, dModel: 8, numHeads: 2, numLayers: 1, batchSize: 4, steps: 1 });
    const n0 = tf.memory().numBytes;
    const t = Trainer.create({ config: cfg, dataset: ds });
    // parameters, optimizer slots and the data are on the device; a [64, 64] mask is not yet
    const withoutMask = tf.memory().numBytes - n0;
    t.stepOnce();
    t.dispose();
    expect(tf.memory().numBytes).toBe(n0);
    expect(withoutMask).toBeLessThan(footprintBytesWithoutMask(cfg) + 4 * ds.ids.length + 64);
  });
});

/** Parameters, slots and scalars of a config, without any activation or constant. */
function footprintBytesWithoutMask(cfg: RunConfig): number {
  const f = footprint(cfg.model, cfg.optimizer);
  return 4 * (f.params + f.buffers + f.optimizer) - 4 * f.params; // gradients are not held between steps
}

describe('evaluation with many classes stays bounded', () => {
  it('summarizeConfusion: every class up to the limit, past it the most frequent true classes and an "other" row and column', () => {
    const small = summarizeConfusion(Int32Array.from([0, 1, 2, 2]), Int32Array.from([0, 2, 2, 1]), ['a', 'b', 'c']);
    expect(small).toEqual({ mode: 'full', numClasses: 3, samples: 4, classes: ['a', 'b', 'c'], indices: [0, 1, 2], matrix: [[1, 0, 0], [0, 0, 1], [0, 1, 1]] });

    const k = 5000;
    const names = Array.from({ length: k }, (_, i) => `class ${i}`);
    const n = 512;
    const truth = new Int32Array(n);
    const pred = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      truth[i] = i < 100 ? 7 : i < 150 ? 4999 : (i * 37) % k; // two frequent classes, the rest spread out
      pred[i] = i % 3 === 0 ? truth[i] : (truth[i] + 1) % k;
    }
    let s!: ReturnType<typeof summarizeConfusion>;
    const ms = timed(() => (s = summarizeConfusion(truth, pred, names)));
    expect(ms).toBeLessThan(100);
    expect(s.mode).toBe('top');
    expect(s.numClasses).toBe(k);
    expect(s.classes.length).toBe(LIMITS.confusionClasses);
    expect(s.indices.slice(0, 2)).toEqual([7, 4999]);
    expect(s.classes.slice(0, 2)).toEqual(['class 7', 'class 4999']);
    // rows and columns: the shown classes, then 'other'; every sample counted once
    expect(s.matrix.length).toBe(LIMITS.confusionClasses + 1);
    for (const row of s.matrix) expect(row.length).toBe(LIMITS.confusionClasses + 1);
    expect(s.matrix.flat().reduce((a, b) => a + b, 0)).toBe(n);
    expect(s.matrix[0][0]).toBe(34); // class 7 predicted right: i % 3 === 0 for i < 100
    expect(JSON.stringify(s).length).toBeLessThan(10_000);
  });

  it('a trained classifier with 5,000 classes: the confusion summary is bounded, evaluation is chunked', async () => {
    const ds = tabular(600, 4, 5000);
    const t = Trainer.create({ config: makeConfig(ds, { hidden: [8], batchSize: 32, steps: 2, valFraction: 0.5 }), dataset: ds });
    await t.train();
    const s = (await confusionMatrix(t))!;
    expect(s.mode).toBe('top');
    expect(s.numClasses).toBe(5000);
    expect(s.matrix.length).toBe(LIMITS.confusionClasses + 1);
    expect(s.matrix.flat().reduce((a, b) => a + b, 0)).toBe(300);
    expect(JSON.stringify(s).length).toBeLessThan(10_000);
    t.dispose();
  });

  it('the chunked summary agrees with evaluation: its diagonal over the samples is the validation accuracy', async () => {
    const ds = tabular(200, 5, 3);
    const t = Trainer.create({ config: makeConfig(ds, { hidden: [8], batchSize: 16, steps: 6, valFraction: 0.3, seed: 4 }), dataset: ds });
    await t.train();
    const s = (await confusionMatrix(t))!;
    const { valAccuracy } = await evaluate(t, t.valIds, t.data);
    t.dispose();
    expect(s.mode).toBe('full');
    expect(s.samples).toBe(60);
    const diag = s.matrix.reduce((a, row, i) => a + row[i], 0);
    expect(diag / s.samples).toBe(valAccuracy);
    // rows are the true classes: their sums are the validation split's class counts
    expect(s.matrix.map((r) => r.reduce((a, b) => a + b, 0))).toEqual([0, 1, 2].map((c) => Array.from(t.valIds).filter((i) => ds.y[i] === c).length));
  });
});

describe('no large array spread into a call', () => {
  it('sampling text from a 200,000-character vocabulary (Math.max(...logits) overflowed the stack)', async () => {
    const V = 200_000;
    const ids = Int32Array.from({ length: 400 }, (_, i) => (i * 7919) % V);
    const ds: TextDataset = { kind: 'text', ids, vocab: Array.from({ length: V }, (_, i) => `<${i}>`), notes: [], fingerprint: { sha256: 'dd'.padEnd(64, '0'), summary: 'wide vocabulary', shape: {} } };
    const t = Trainer.create({ config: makeConfig(ds, { family: 'charlm', contextLength: 4, dModel: 4, numHeads: 1, numLayers: 1, batchSize: 4, steps: 1 }), dataset: ds });
    const out = await generateText(t, 2, 1);
    t.dispose();
    expect(out).toMatch(/^<\d+><\d+>$/);
  });

  it('a model spec with 2,000 layers from a file is refused in a short message', () => {
    const ok = makeConfig(tabular(), { hidden: [8] }).model;
    const msg = validateSpec({ ...ok, hidden: Array(2000).fill(8) } as typeof ok)!;
    expect(msg).toMatch(/^mlp: Hidden layers: expected comma-separated integers in \[1, 1048576\] \(at most 1024\), got \[8,8,8.*\.\.\. \(2000 items\)$/);
    expect(msg.length).toBeLessThan(300);
    expect(() => makeConfig(text(2000), { family: 'charlm', numLayers: 2000 })).toThrow(/Layers: expected an integer in \[1, 1024\], got 2000/);
  });
});

describe('names in the page: legible and honest (src/ui/names.ts, pure part)', () => {
  it('bidirectional and control characters are shown as visible escapes', () => {
    expect(nameText('x\u202etxt.ckpt')).toBe('x\\u202etxt.ckpt');
    for (const c of ['\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069', '\u200e', '\u200f', '\u061c', '\n', '\u001b', '\u0000', '\u009b']) {
      const shown = nameText(`a${c}b`);
      expect(shown).toBe(`a\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}b`);
    }
    const s = showName('x\u202etxt.ckpt');
    expect(s).toEqual({ text: 'x\\u202etxt.ckpt', full: 'x\\u202etxt.ckpt', changed: true });
    // ordinary names, right-to-left letters and emoji pass as they are
    for (const ok of ['iris.csv', 'שלום.csv', 'données 😀.csv', 'a b c']) expect(showName(ok)).toEqual({ text: ok, full: ok, changed: false });
  });

  it('a 1 MB name is cut for the view, its full text kept for the title up to a bound', () => {
    const big = 'n'.repeat(1 << 20);
    const s = showName(big);
    expect(s.text).toBe(`${'n'.repeat(NAME_MAX)}\u2026`);
    expect(s.changed).toBe(true);
    expect(s.full.length).toBeLessThan(5000);
    expect(s.full).toMatch(/\(1,048,576 characters in all\)$/);
    expect(showName('n'.repeat(3000)).full).toBe('n'.repeat(3000));
    // never cut between the halves of a surrogate pair
    const emoji = `${'a'.repeat(NAME_MAX - 1)}😀😀`;
    expect(nameText(emoji)).toBe(`${'a'.repeat(NAME_MAX - 1)}\u2026`);
    expect(nameText('abcdef', 3)).toBe('abc\u2026');
  });
});
