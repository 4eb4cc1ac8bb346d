// Test-only worker: runs the real engine (src/engine) on a chosen backend inside a dedicated
// worker, as the app does, and reports plain data back to the test through comlink.
import '@tensorflow/tfjs-backend-webgpu';
import '../../src/worker/wasm-files';
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
    const r = await useBackend(name);
    return { ...r, determinism: tf.getBackend() === 'webgpu' ? tf.env().get('WEBGPU_MATMUL_PROGRAM_TYPE') : null };
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
