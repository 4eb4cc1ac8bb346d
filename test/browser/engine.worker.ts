// Test-only worker: runs the real engine (src/engine) on a chosen backend inside a dedicated
// worker, as the app does, and reports plain data back to the test through comlink.
import '@tensorflow/tfjs-backend-webgpu';
import { startWasm, wasmInfo } from '../../src/worker/wasm-files';
import * as tf from '@tensorflow/tfjs';
import { expose } from 'comlink';
import { encodeCkpt } from '../../src/ckpt/format';
import { useBackend } from '../../src/engine/backend';
import { makeConfig, type ConfigOverrides } from '../../src/engine/config';
import { Trainer } from '../../src/engine/trainer';
import { setFusedKernels } from '../../src/engine/kernels';
import { parseDataset, type ParseOptions } from '../../src/engine/data';
import { diffContents, resumeCheck } from '../support/resume-check';
import { images, tabular, text } from '../support/synthetic';
import { Rng } from '../../src/engine/rng';
import { sumOfSquares } from '../../src/engine/fused/clip-norm';
import { softmaxCrossEntropy } from '../../src/engine/fused/softmax-ce';
import { layerNormFused } from '../../src/engine/fused/layer-norm';
import { denseFused } from '../../src/engine/fused/dense';
import { causalAttentionFused } from '../../src/engine/fused/attention';
import type { Dataset, TextDataset } from '../../src/engine/data/types';

const datasets = { mlp: () => tabular(), cnn: () => images(), charlm: () => text(), resnet: () => images() };

/** 64K characters over 65 distinct ones (the speed issue's workload B). */
function text65(): TextDataset {
  const vocab = Array.from({ length: 65 }, (_, i) => String.fromCharCode(48 + i));
  const rng = Rng.fromSeed(5);
  const ids = Int32Array.from({ length: 65536 }, () => Math.floor(rng.nextFloat() * 65));
  return { kind: 'text', ids, vocab, notes: [], fingerprint: { sha256: 'b'.repeat(64), summary: 'synthetic text, 65 characters', shape: { chars: ids.length } } };
}

/** The speed issue's workloads: A (MLP 64-256-256-10, batch 256) and B (charlm, vocab 65, ctx 64, d 64, 2 layers, 4 heads, batch 16); AdamW, clip 1. */
function workload(w: 'A' | 'B'): { ds: Dataset; config: ReturnType<typeof makeConfig> } {
  const ds: Dataset = w === 'A' ? tabular(4096, 64, 10, 7) : text65();
  const model = w === 'A' ? { family: 'mlp' as const, hidden: [256, 256], batchSize: 256 } : { family: 'charlm' as const, contextLength: 64, dModel: 64, numLayers: 2, numHeads: 4, batchSize: 16 };
  return { ds, config: makeConfig(ds, { optimizer: 'adamw', lr: 1e-3, weightDecay: 0.01, clipNorm: 1, dropout: 0, logEvery: 1, evalEvery: 1_000_000, steps: 1_000_000, seed: 3, ...model }) };
}

/** Counts the compute dispatches the WebGPU backend records while `f` runs (tfjs' own runWebGPUProgram ends in dispatchWorkgroups). */
async function countDispatches(f: () => Promise<void>): Promise<number> {
  const proto = (globalThis as unknown as { GPUComputePassEncoder: { prototype: { dispatchWorkgroups: (...a: unknown[]) => void } } }).GPUComputePassEncoder.prototype;
  const orig = proto.dispatchWorkgroups;
  let n = 0;
  proto.dispatchWorkgroups = function (this: unknown, ...a: unknown[]) {
    n++;
    return orig.apply(this, a);
  };
  try {
    await f();
  } finally {
    proto.dispatchWorkgroups = orig;
  }
  return n;
}
type Family = keyof typeof datasets;

const api = {
  async backend(name: string) {
    const r = name === 'wasm' ? await startWasm(() => useBackend(name)) : await useBackend(name);
    return {
      ...r,
      determinism: tf.getBackend() === 'webgpu' ? tf.env().get('WEBGPU_MATMUL_PROGRAM_TYPE') : null,
      // SIMD, threads and isolation as this worker sees them (the threaded binary needs isolation)
      wasm: r.ok && tf.getBackend() === 'wasm' ? await wasmInfo() : null,
    };
  },
  async resumeCheck(family: Family, overrides: ConfigOverrides, ks: number[]) {
    const ds = datasets[family]();
    const before = tf.memory().numTensors;
    const results = await resumeCheck(ds, makeConfig(ds, { family, ...overrides }), ks);
    return { results, backend: tf.getBackend(), leaked: tf.memory().numTensors - before };
  },
  /** Trains the same config twice from scratch: the runs must match bit for bit. */
  async repeatability(family: Family, overrides: ConfigOverrides) {
    const ds = datasets[family]();
    const config = makeConfig(ds, overrides);
    const finals = [];
    for (let i = 0; i < 2; i++) {
      const t = Trainer.create({ config, dataset: ds });
      await t.train();
      finals.push(await t.snapshot('final'));
      t.dispose();
    }
    return diffContents(finals[0], finals[1]);
  },
  /**
   * The same config trained with the engine's fused kernels and without: the largest difference
   * of any weight relative to its size, and the kernels one step dispatches either way.
   */
  async fusedVsUnfused(family: Family, overrides: ConfigOverrides, steps: number) {
    const ds = datasets[family]();
    const config = makeConfig(ds, { family, ...overrides });
    const out: { weights: Map<string, Float32Array>; kernels: number }[] = [];
    for (const on of [true, false]) {
      setFusedKernels(on);
      const t = Trainer.create({ config, dataset: ds });
      await t.train({ target: { steps: steps - 1 } });
      const prof = await tf.profile(async () => t.train({ target: { steps } }));
      const weights = new Map<string, Float32Array>();
      for (const [n, v] of t.vars) weights.set(n, (await v.data()) as Float32Array);
      out.push({ weights, kernels: prof.kernels.length });
      t.dispose();
    }
    setFusedKernels(true);
    let worst = 0;
    for (const [n, a] of out[0].weights) {
      const b = out[1].weights.get(n)!;
      for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / (1e-3 + Math.abs(b[i])));
    }
    return { worst, kernels: { fused: out[0].kernels, unfused: out[1].kernels } };
  },
  /**
   * Dispatches and tfjs kernels of one training step of workload A or B (after two warm-up
   * steps), with the engine's fused kernels on or off, and the loss after 3 steps.
   */
  async dispatchesPerStep(w: 'A' | 'B', fusedOn: boolean) {
    setFusedKernels(fusedOn);
    try {
      const { ds, config } = workload(w);
      const t = Trainer.create({ config, dataset: ds });
      await t.train({ target: { steps: 2 } });
      let kernels = 0;
      const dispatches = await countDispatches(async () => {
        const prof = await tf.profile(async () => t.train({ target: { steps: 3 } }));
        kernels = prof.kernels.length;
      });
      const names = new Map<string, number>();
      const prof = await tf.profile(async () => t.train({ target: { steps: 4 } }));
      for (const k of prof.kernels) names.set(k.name, (names.get(k.name) ?? 0) + 1);
      const loss = (await (t as unknown as { lastLoss: tf.Scalar }).lastLoss.data())[0];
      t.dispose();
      return { dispatches, kernels, loss, byName: Object.fromEntries([...names].sort((a, b) => b[1] - a[1])) };
    } finally {
      setFusedKernels(true);
    }
  },
  /**
   * Each fused WebGPU kernel against the plain tfjs ops it replaces, on random inputs: the
   * largest difference of its outputs and gradients relative to the plain values' largest
   * magnitude, and whether running it twice gives the same bits.
   */
  async fusedOps() {
    let rng = Rng.fromSeed(11);
    const rand = (shape: number[], s = 1) => tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => s * rng.nextNormal()), shape);
    const worst = async (a: tf.Tensor[], b: tf.Tensor[]) => {
      let w = 0;
      for (let i = 0; i < a.length; i++) {
        const x = (await a[i].data()) as Float32Array;
        const y = (await b[i].data()) as Float32Array;
        let scale = 1e-6;
        for (const v of y) scale = Math.max(scale, Math.abs(v));
        for (let k = 0; k < x.length; k++) w = Math.max(w, Math.abs(x[k] - y[k]) / scale);
      }
      return w;
    };
    const same = async (a: tf.Tensor[], b: tf.Tensor[]) => {
      for (let i = 0; i < a.length; i++) {
        const x = (await a[i].data()) as Float32Array;
        const y = (await b[i].data()) as Float32Array;
        for (let k = 0; k < x.length; k++) if (Object.is(x[k], y[k]) === false) return false;
      }
      return true;
    };
    // value and gradients of sum(f(...) * r) for a fixed random r, so every output element counts
    const grads = (f: (...xs: tf.Tensor[]) => tf.Tensor, xs: tf.Tensor[]) => {
      const { value, grads: g } = tf.valueAndGrads((...a: tf.Tensor[]) => {
        const y = f(...a);
        return tf.sum(tf.mul(y, rand(y.shape))) as tf.Scalar;
      })(xs);
      return [value, ...g];
    };
    const out: Record<string, { err: number; deterministic: boolean }> = {};
    const check = async (name: string, fused: () => tf.Tensor[], plain: () => tf.Tensor[]) => {
      const seed = rng.nextU32();
      // the same random weights r for each side: the generator restarts from one seed
      const run = (f: () => tf.Tensor[]) => {
        rng = Rng.fromSeed(seed);
        return f();
      };
      const a = run(fused);
      const a2 = run(fused);
      const b = run(plain);
      out[name] = { err: await worst(a, b), deterministic: await same(a, a2) };
      tf.dispose([a, a2, b]);
    };
    const g = [rand([300, 7]), rand([64]), rand([5, 40]), rand([3]), rand([1000]), rand([9, 9]), rand([2])];
    await check('clip sum of squares', () => [sumOfSquares(g)], () => [tf.reshape(g.reduce((acc, t) => tf.add(acc, tf.sum(tf.square(t))), tf.scalar(0)), [1])]);
    const logits = rand([300, 13], 3);
    const labels = tf.tensor1d(Int32Array.from({ length: 300 }, (_, i) => (i * 7) % 13), 'int32');
    await check('softmax cross-entropy', () => grads((x) => softmaxCrossEntropy(x as tf.Tensor2D, labels), [logits]), () =>
      grads((x) => tf.neg(tf.mean(tf.sum(tf.mul(tf.oneHot(labels as tf.Tensor1D, 13), tf.logSoftmax(x)), 1))), [logits]));
    const x = rand([4, 6, 24], 2);
    const gamma = rand([24]);
    const beta = rand([24]);
    await check('layer norm', () => grads((a, b, c) => layerNormFused(a, b, c), [x, gamma, beta]), () =>
      grads((a, b, c) => {
        const { mean, variance } = tf.moments(a, -1, true);
        return tf.add(tf.mul(tf.div(tf.sub(a, mean), tf.sqrt(tf.add(variance, 1e-5))), b), c);
      }, [x, gamma, beta]));
    const dx = rand([37, 20]);
    const W = rand([20, 30], 0.3);
    const bias = rand([30]);
    for (const act of ['relu', 'linear'] as const) {
      await check(`dense ${act}`, () => grads((a, b, c) => denseFused(a as tf.Tensor2D, b as tf.Tensor2D, c, act, true), [dx, W, bias]), () =>
        grads((a, b, c) => { const y = tf.add(tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D), c); return act === 'relu' ? tf.relu(y) : y; }, [dx, W, bias]));
    }
    const [Bn, T, H, d] = [3, 10, 2, 8];
    const qkv = rand([Bn * T, 3 * d]);
    const mask = tf.tensor2d(Float32Array.from({ length: T * T }, (_, i) => (i % T > Math.floor(i / T) ? -1e9 : 0)), [T, T]);
    await check('causal attention', () => grads((a) => causalAttentionFused(a as tf.Tensor2D, Bn, T, H), [qkv]), () =>
      grads((a) => {
        const [q, k, v] = [0, 1, 2].map((j) => tf.transpose(tf.reshape(tf.slice(a, [0, j * d], [Bn * T, d]), [Bn, T, H, d / H]), [0, 2, 1, 3]));
        const att = tf.softmax(tf.add(tf.mul(tf.matMul(q, k, false, true), tf.scalar(1 / Math.sqrt(d / H))), mask));
        return tf.reshape(tf.transpose(tf.matMul(att, v), [0, 2, 1, 3]), [Bn * T, d]);
      }, [qkv]));
    tf.dispose([g, logits, labels, x, gamma, beta, dx, W, bias, qkv, mask]);
    return out;
  },
  /** Parses a real file in the worker, trains, and returns .ckpt bytes at step k and at the end. */
  async exportPair(file: { path: string; bytes: number[] }, parse: ParseOptions, overrides: ConfigOverrides, k: number) {
    const ds = await parseDataset([{ path: file.path, bytes: Uint8Array.from(file.bytes) }], parse);
    const config = makeConfig(ds, overrides, parse);
    const a = Trainer.create({ config, dataset: ds });
    await a.train({ target: { steps: k } });
    const atK = await encodeCkpt(await a.snapshot('latest'));
    await a.train();
    const final = await encodeCkpt(await a.snapshot('final'));
    a.dispose();
    return { atK: Array.from(atK), final: Array.from(final), backend: tf.getBackend() };
  },
};

export type EngineTestApi = typeof api;
expose(api);
