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

const datasets = { mlp: () => tabular(), cnn: () => images(), charlm: () => text(), resnet: () => images() };
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
