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
import { parseDataset, type ParseOptions } from '../../src/engine/data';
import { diffContents, resumeCheck } from '../support/resume-check';
import { images, tabular, text } from '../support/synthetic';

const datasets = { mlp: () => tabular(), cnn: () => images(), charlm: () => text(), resnet: () => images() };
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
