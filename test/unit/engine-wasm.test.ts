// The WebAssembly backend (src/engine/wasm.ts) in Node: every family trains, resume is bit-identical
// to never stopping (as on the CPU backend), and the filter gradient tabtrain registers for it
// agrees with the CPU backend's and gives the same bits on every call.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../../src/engine/wasm';
import { makeConfig, type ConfigOverrides } from '../../src/engine/config';
import type { Dataset } from '../../src/engine/data/types';
import { resumeCheck } from '../support/resume-check';
import { images, tabular, text } from '../support/synthetic';

beforeAll(async () => {
  expect(await tf.setBackend('wasm')).toBe(true);
  await tf.ready();
});
afterAll(async () => {
  await tf.setBackend('cpu');
});

const cases: { family: string; ds: () => Dataset; o: ConfigOverrides; ks: number[] }[] = [
  { family: 'mlp', ds: () => tabular(), o: { hidden: [16, 8], batchSize: 16, dropout: 0.2 }, ks: [3, 8] },
  { family: 'cnn', ds: () => images(), o: { filters: [4], hidden: [8], batchSize: 8, dropout: 0.1 }, ks: [2, 7] },
  { family: 'charlm', ds: () => text(), o: { contextLength: 8, dModel: 16, numHeads: 2, numLayers: 1, batchSize: 8, dropout: 0.1 }, ks: [5] },
  { family: 'resnet', ds: () => images(), o: { family: 'resnet', filters: [4, 6], blocks: 1, batchSize: 8, dropout: 0.1 }, ks: [5] },
];

describe('resume is bit-identical to never stopping (wasm backend)', () => {
  for (const c of cases) {
    it(`${c.family} + adamw`, async () => {
      const ds = c.ds();
      const config = makeConfig(ds, { ...c.o, optimizer: 'adamw', steps: 10, schedule: 'cosine', warmupSteps: 2, scheduleSteps: 10, logEvery: 2, evalEvery: 4, seed: 42 });
      for (const r of await resumeCheck(ds, config, c.ks)) {
        expect(r.mismatches, `k=${r.k}`).toEqual([]);
        expect(r.stateMismatches, `k=${r.k}`).toEqual([]);
        expect(r.tensors).toBeGreaterThan(2);
      }
    });
  }
});

describe('Conv2DBackpropFilter on wasm', () => {
  const shapes = [
    { x: [2, 7, 7, 3], w: [3, 3, 3, 4], stride: 1, pad: 'same' },
    { x: [2, 8, 8, 4], w: [3, 3, 4, 5], stride: 2, pad: 'same' },
    { x: [1, 6, 5, 2], w: [1, 1, 2, 3], stride: 2, pad: 'same' },
    { x: [2, 6, 6, 2], w: [3, 3, 2, 2], stride: 1, pad: 'valid' },
  ] as const;
  /** dL/dw for L = sum(conv(x, w) * r): the filter gradient with dy = r, on the current backend. */
  const filterGrad = (c: (typeof shapes)[number]) => {
    const x = tf.randomNormal([...c.x], 0, 1, 'float32', 1) as tf.Tensor4D;
    const w = tf.randomNormal([...c.w], 0, 1, 'float32', 2) as tf.Tensor4D;
    const out = tf.conv2d(x, w, c.stride, c.pad);
    const r = tf.randomNormal(out.shape, 0, 1, 'float32', 3);
    return tf.grad((k) => tf.conv2d(x, k as tf.Tensor4D, c.stride, c.pad).mul(r).sum())(w).dataSync() as Float32Array;
  };
  for (const c of shapes) {
    it(`x ${c.x} w ${c.w} stride ${c.stride} ${c.pad}: matches the CPU backend, same bits every call`, async () => {
      const a = filterGrad(c);
      expect(Array.from(filterGrad(c))).toEqual(Array.from(a));
      await tf.setBackend('cpu');
      const b = filterGrad(c);
      await tf.setBackend('wasm');
      let worst = 0;
      for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / (1 + Math.abs(b[i])));
      expect(worst).toBeLessThan(1e-5);
    });
  }
});

describe('transposed matrix products on wasm', () => {
  // The wasm backend's own transposed and batched path is a slow loop; src/engine/wasm-matmul.ts
  // routes a transposed product through an explicit transpose and XNNPACK, and a batched one
  // through one XNNPACK product per matrix. Same bits as writing that out by hand, close to the
  // CPU backend, for plain and fused products (no batched fused check: the backend's batched
  // fused product with relu is wrong, see src/engine/wasm-matmul.ts).
  const cases = [
    // inner size 256: there the loop and XNNPACK sum in different orders (same bits below it)
    { a: [256, 24], b: [256, 16], ta: true, tb: false },
    { a: [24, 256], b: [16, 256], ta: false, tb: true },
    { a: [256, 24], b: [16, 256], ta: true, tb: true },
    { a: [3, 256, 24], b: [3, 256, 16], ta: true, tb: false },
    // attention's shapes: scores q k^T, then att v
    { a: [2, 3, 64, 16], b: [2, 3, 64, 16], ta: false, tb: true },
    { a: [2, 3, 64, 64], b: [2, 3, 64, 16], ta: false, tb: false },
    // too little work per matrix: the backend's own loop
    { a: [5, 4, 6], b: [5, 6, 3], ta: false, tb: false },
  ];
  /** The product matrix by matrix, each an untransposed 2-d product. */
  const byHand = (a: tf.Tensor, b: tf.Tensor, ta: boolean, tb: boolean): Float32Array => {
    const [pa, pb] = [ta ? swap(a) : a, tb ? swap(b) : b];
    if (a.rank === 2) return tf.matMul(pa, pb).dataSync() as Float32Array;
    const flat = (t: tf.Tensor) => tf.unstack(tf.reshape(t, [-1, ...t.shape.slice(-2)]));
    const bs = flat(pb);
    return tf.concat(flat(pa).map((x, i) => tf.matMul(x as tf.Tensor2D, bs[i] as tf.Tensor2D).flatten())).dataSync() as Float32Array;
  };
  const operands = (c: (typeof cases)[number]) => [tf.randomNormal(c.a, 0, 1, 'float32', 4), tf.randomNormal(c.b, 0, 1, 'float32', 5)] as const;
  const swap = (t: tf.Tensor) => tf.transpose(t, [...t.shape.keys()].map((i, _, all) => (i < all.length - 2 ? i : 2 * all.length - 3 - i)));
  for (const c of cases) {
    it(`a ${c.a}${c.ta ? 'ᵀ' : ''} x b ${c.b}${c.tb ? 'ᵀ' : ''}`, async () => {
      const [a, b] = operands(c);
      const got = tf.matMul(a, b, c.ta, c.tb).dataSync();
      const fused = c.a.length > 2 ? null : tf.fused.matMul({ a: a as tf.Tensor2D, b: b as tf.Tensor2D, transposeA: c.ta, transposeB: c.tb, activation: 'relu' }).dataSync();
      expect(Array.from(got)).toEqual(Array.from(byHand(a, b, c.ta, c.tb)));
      if (fused) expect(Array.from(fused)).toEqual(Array.from(got).map((x) => Math.max(0, x)));
      await tf.setBackend('cpu');
      const [ca, cb] = operands(c);
      const want = tf.matMul(ca, cb, c.ta, c.tb).dataSync();
      await tf.setBackend('wasm');
      let worst = 0;
      for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / (1 + Math.abs(want[i])));
      expect(worst).toBeLessThan(1e-5);
    });
  }
});

describe('sums over leading axes on wasm', () => {
  // src/engine/wasm-sum.ts adds the rows in order from the heap instead of transposing first.
  const cases: { shape: number[]; axis: number | number[]; keepDims?: boolean }[] = [
    { shape: [1024, 64], axis: 0 },
    { shape: [2, 3, 5], axis: [1, 0], keepDims: true },
    { shape: [4, 6], axis: -2 },
    { shape: [4, 6], axis: 1 }, // not leading: the backend's own
    { shape: [4, 6], axis: [0, 1] }, // everything: the backend's own
  ];
  for (const c of cases) {
    it(`shape ${c.shape} axis ${c.axis}${c.keepDims ? ' keepDims' : ''}`, async () => {
      const x = tf.randomNormal(c.shape, 0, 1, 'float32', 6);
      const got = tf.sum(x, c.axis, c.keepDims);
      const xs = x.dataSync();
      await tf.setBackend('cpu');
      const want = tf.sum(tf.tensor(xs, c.shape), c.axis, c.keepDims);
      await tf.setBackend('wasm');
      expect(got.shape).toEqual(want.shape);
      const [g, w] = [got.dataSync(), want.dataSync()];
      for (let i = 0; i < w.length; i++) expect(Math.abs(g[i] - w[i])).toBeLessThan(1e-4 * (1 + Math.abs(w[i])));
      if (c.shape.length === 2 && c.axis === 0) {
        // row after row in float32
        const cols = c.shape[1];
        const ref = new Float32Array(cols);
        for (let r = 0; r < c.shape[0]; r++) for (let j = 0; j < cols; j++) ref[j] += xs[r * cols + j];
        expect(Array.from(g)).toEqual(Array.from(ref));
      }
    });
  }
});
