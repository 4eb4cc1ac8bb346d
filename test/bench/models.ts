// The benchmark's models and datasets, and the two baselines tabtrain is compared with:
//  - BareLoop: a minimal hand-written tfjs loop of the same model (same parameter shapes and
//    initial values, same forward ops, the dataset on the device, plain tf.variableGrads and an
//    Adam update written inline, the loss read back every `logEvery` steps like tabtrain);
//  - FitModel: an equivalent tf.layers model trained with model.fit (tfjs' own Adam).
// Runs in the bench worker (browser) and in Node, so no DOM or Node APIs here.
import * as tf from '@tensorflow/tfjs';
import { makeConfig, type ConfigOverrides, type RunConfig } from '../../src/engine/config';
import type { Dataset } from '../../src/engine/data/types';
import { initValues } from '../../src/engine/models/layers';
import { createModel, paramDefs, type Model, type ModelSpec, type ParamDef } from '../../src/engine/models';
import { images, tabular, text } from '../support/synthetic';

export type Family = 'mlp' | 'cnn' | 'charlm';
export const FAMILIES: Family[] = ['mlp', 'cnn', 'charlm'];

/** One model (family + size) on one dataset size. */
export interface BenchCase {
  family: Family;
  /** short label for tables and charts, e.g. "mlp 16-64-64-4". */
  label: string;
  /** model and batch choices given to makeConfig. */
  model: ConfigOverrides;
  /** dataset size: rows (mlp), images (cnn) or characters (charlm). */
  dataSize: number;
}

// Dataset shapes: 16 features / 4 classes; 12x12 grey images / 2 classes; the fox sentence.
const FEATURES = 16;
const CLASSES = 4;
const IMAGE_SIZE = 12;

export function makeDataset(family: Family, size: number): Dataset {
  if (family === 'mlp') return tabular(size, FEATURES, CLASSES, 7);
  if (family === 'cnn') return images(size, IMAGE_SIZE, 2, 9);
  return text(size);
}

/** The default (small) model of each family: small enough for SwiftShader's software WebGPU. */
export const MAIN: Record<Family, BenchCase> = {
  mlp: { family: 'mlp', label: 'mlp 16-32-32-4', model: { hidden: [32, 32], batchSize: 32 }, dataSize: 2048 },
  cnn: { family: 'cnn', label: 'cnn 12x12 c4-c8-d16', model: { filters: [4, 8], hidden: [16], batchSize: 16 }, dataSize: 512 },
  charlm: { family: 'charlm', label: 'charlm T16 d16 L1', model: { contextLength: 16, dModel: 16, numHeads: 2, numLayers: 1, batchSize: 8 }, dataSize: 8192 },
};

/** Four model sizes per family (scaling), on the family's default dataset size. */
export const SIZES: Record<Family, BenchCase[]> = {
  mlp: [
    { family: 'mlp', label: 'mlp 16-16-4', model: { hidden: [16], batchSize: 32 }, dataSize: 2048 },
    { family: 'mlp', label: 'mlp 16-64-64-4', model: { hidden: [64, 64], batchSize: 32 }, dataSize: 2048 },
    { family: 'mlp', label: 'mlp 16-128-128-4', model: { hidden: [128, 128], batchSize: 32 }, dataSize: 2048 },
    { family: 'mlp', label: 'mlp 16-256-256-4', model: { hidden: [256, 256], batchSize: 32 }, dataSize: 2048 },
  ],
  cnn: [
    { family: 'cnn', label: 'cnn c4-d8', model: { filters: [4], hidden: [8], batchSize: 16 }, dataSize: 512 },
    { family: 'cnn', label: 'cnn c4-c8-d16', model: { filters: [4, 8], hidden: [16], batchSize: 16 }, dataSize: 512 },
    { family: 'cnn', label: 'cnn c8-c16-d32', model: { filters: [8, 16], hidden: [32], batchSize: 16 }, dataSize: 512 },
    { family: 'cnn', label: 'cnn c16-c32-d64', model: { filters: [16, 32], hidden: [64], batchSize: 16 }, dataSize: 512 },
  ],
  charlm: [
    { family: 'charlm', label: 'charlm d8 L1', model: { contextLength: 16, dModel: 8, numHeads: 2, numLayers: 1, batchSize: 8 }, dataSize: 8192 },
    { family: 'charlm', label: 'charlm d16 L1', model: { contextLength: 16, dModel: 16, numHeads: 2, numLayers: 1, batchSize: 8 }, dataSize: 8192 },
    { family: 'charlm', label: 'charlm d32 L1', model: { contextLength: 16, dModel: 32, numHeads: 2, numLayers: 1, batchSize: 8 }, dataSize: 8192 },
    { family: 'charlm', label: 'charlm d32 L2', model: { contextLength: 16, dModel: 32, numHeads: 4, numLayers: 2, batchSize: 8 }, dataSize: 8192 },
  ],
};

/** Three dataset sizes per family (scaling), on the family's default model. */
export const DATA_SIZES: Record<Family, number[]> = {
  mlp: [1024, 16384, 131072],
  cnn: [256, 2048, 8192],
  charlm: [4096, 65536, 524288],
};

/** Checkpoint I/O: one model of a few MB per family (created, not trained: a real snapshot). */
export const IO: Record<Family, BenchCase> = {
  mlp: { family: 'mlp', label: 'mlp 16-512-512-4', model: { hidden: [512, 512], batchSize: 32 }, dataSize: 256 },
  cnn: { family: 'cnn', label: 'cnn c32-c64-d256', model: { filters: [32, 64], hidden: [256], batchSize: 16 }, dataSize: 64 },
  charlm: { family: 'charlm', label: 'charlm d128 L2', model: { contextLength: 16, dModel: 128, numHeads: 4, numLayers: 2, batchSize: 8 }, dataSize: 1024 },
};

/** A tiny MLP for the 2000-step tensor-growth check. */
export const TINY: BenchCase = { family: 'mlp', label: 'mlp 16-8-4', model: { hidden: [8], batchSize: 16 }, dataSize: 512 };

/**
 * The tabtrain config of a bench case. Same work as the baselines: AdamW with weight decay 0
 * (= Adam), no gradient clipping, no dropout, the loss read every 10 steps, no evaluation
 * (evalEvery beyond any run here). `checkpointable` keeps the app's defaults otherwise.
 */
export function benchConfig(c: BenchCase, ds: Dataset, extra: ConfigOverrides = {}): RunConfig {
  return makeConfig(ds, {
    family: c.family, optimizer: 'adamw', lr: 1e-3, weightDecay: 0, clipNorm: 0, dropout: 0,
    logEvery: 10, evalEvery: 1_000_000, steps: 1_000_000, seed: 3, ...c.model, ...extra,
  });
}

export function paramCount(spec: ModelSpec): number {
  return paramDefs(spec).reduce((n, p) => n + p.shape.reduce((a, b) => a * b, 1), 0);
}

// ---------------------------------------------------------------------------------------------
// The bare loop

/** A tiny LCG for the bare loop's shuffling (any order will do; it is not tabtrain's RNG). */
function permutation(n: number, seed: number): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  let s = seed >>> 0;
  for (let i = n - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const j = s % (i + 1);
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}

/**
 * The minimal loop: variables, a dataset on the device, per step a gather of the batch,
 * tf.variableGrads of the cross-entropy, and Adam inline in a tidy.
 */
export class BareLoop {
  readonly vars: Record<string, tf.Variable> = {};
  private m: Record<string, tf.Variable> = {};
  private v: Record<string, tf.Variable> = {};
  private x: tf.Tensor;
  private y: tf.Tensor;
  private ids: tf.Tensor | null = null;
  private perm: Int32Array;
  private pos = 0;
  private t = 0;
  private lastLoss: tf.Scalar | null = null;
  private charlm: Model | null = null;
  private readonly n: number;

  constructor(readonly config: RunConfig, ds: Dataset) {
    const spec = config.model;
    const defs: ParamDef[] = paramDefs(spec);
    for (const d of defs) {
      this.vars[d.name] = tf.tidy(() => tf.variable(tf.tensor(initValues(d, config.seed), d.shape), true));
      this.m[d.name] = tf.tidy(() => tf.variable(tf.zeros(d.shape), false));
      this.v[d.name] = tf.tidy(() => tf.variable(tf.zeros(d.shape), false));
    }
    if (ds.kind === 'tabular') {
      this.x = tf.tensor2d(ds.x, [ds.numRows, ds.numFeatures]);
      this.y = tf.tensor1d(ds.y as Int32Array, 'int32');
      this.n = ds.numRows;
    } else if (ds.kind === 'image') {
      this.x = tf.tensor4d(ds.x, [ds.numImages, ds.height, ds.width, ds.channels]);
      this.y = tf.tensor1d(ds.y, 'int32');
      this.n = ds.numImages;
    } else {
      if (spec.family !== 'charlm') throw new Error('text needs charlm');
      // The charlm forward comes from the engine (a transformer is too long to copy here);
      // it is plain tf ops of named tensors, with no tabtrain machinery around it.
      this.charlm = createModel(spec);
      this.ids = tf.tensor1d(ds.ids, 'int32');
      this.x = tf.scalar(0);
      this.y = tf.scalar(0);
      this.n = Math.floor((ds.ids.length - 1) / spec.contextLength);
    }
    this.perm = permutation(this.n, 11);
  }

  private batch(): { x: tf.Tensor; y: tf.Tensor } {
    const B = this.config.batchSize;
    if (this.pos + B > this.n) {
      this.perm = permutation(this.n, this.t + 12);
      this.pos = 0;
    }
    const ids = this.perm.subarray(this.pos, this.pos + B);
    this.pos += B;
    const spec = this.config.model;
    if (spec.family === 'charlm') {
      const T = spec.contextLength;
      const idx = new Int32Array(B * (T + 1));
      for (let b = 0; b < B; b++) for (let t = 0; t <= T; t++) idx[b * (T + 1) + t] = ids[b] * T + t;
      const win = tf.reshape(tf.gather(this.ids!, tf.tensor1d(idx, 'int32')), [B, T + 1]);
      return { x: tf.slice(win, [0, 0], [B, T]), y: tf.reshape(tf.slice(win, [0, 1], [B, T]), [B * T]) };
    }
    const idx = tf.tensor1d(ids, 'int32');
    return { x: tf.gather(this.x, idx), y: tf.gather(this.y, idx) };
  }

  private forward(x: tf.Tensor): tf.Tensor2D {
    const p = this.vars;
    const spec = this.config.model;
    if (spec.family === 'mlp') {
      let h = x as tf.Tensor2D;
      spec.hidden.forEach((_, i) => (h = tf.relu(tf.add(tf.matMul(h, p[`layers.${i}.kernel`] as tf.Tensor2D), p[`layers.${i}.bias`]))));
      return tf.add(tf.matMul(h, p['head.kernel'] as tf.Tensor2D), p['head.bias']);
    }
    if (spec.family === 'cnn') {
      let a = x as tf.Tensor4D;
      spec.filters.forEach((_, i) => {
        a = tf.relu(tf.add(tf.conv2d(a, p[`conv.${i}.kernel`] as tf.Tensor4D, 1, 'same'), p[`conv.${i}.bias`]));
        a = tf.maxPool(a, 2, 2, 'valid');
      });
      const z = tf.relu(tf.add(tf.matMul(tf.reshape(a, [a.shape[0], -1]) as tf.Tensor2D, p['fc.kernel'] as tf.Tensor2D), p['fc.bias'])) as tf.Tensor2D;
      return tf.add(tf.matMul(z, p['head.kernel'] as tf.Tensor2D), p['head.bias']);
    }
    return this.charlm!.forward(p, x, { training: true, dropoutSeed: 0 });
  }

  step(): void {
    const { lr, beta1, beta2, eps } = this.config.optimizer as Extract<RunConfig['optimizer'], { kind: 'adamw' }>;
    this.t += 1;
    const t = this.t;
    const { value, grads } = tf.tidy(() => {
      const { x, y } = this.batch();
      // The explicit list: without it tfjs differentiates w.r.t. every trainable variable alive
      // (here also tabtrain's and model.fit's, which run in the same worker).
      return tf.variableGrads(() => {
        const logits = this.forward(x);
        const labels = tf.oneHot(y as tf.Tensor1D, logits.shape[1]);
        return tf.neg(tf.mean(tf.sum(tf.mul(labels, tf.logSoftmax(logits)), 1))) as tf.Scalar;
      }, Object.values(this.vars));
    });
    tf.tidy(() => {
      const b1 = tf.scalar(beta1);
      const b2 = tf.scalar(beta2);
      const c1 = tf.scalar(1 - beta1);
      const c2 = tf.scalar(1 - beta2);
      const bc1 = tf.scalar(1 - Math.pow(beta1, t));
      const bc2 = tf.scalar(1 - Math.pow(beta2, t));
      const lrT = tf.scalar(lr);
      const epsT = tf.scalar(eps);
      for (const name of Object.keys(this.vars)) {
        const g = grads[this.vars[name].name];
        const m2 = tf.add(tf.mul(b1, this.m[name]), tf.mul(c1, g));
        const v2 = tf.add(tf.mul(b2, this.v[name]), tf.mul(c2, tf.square(g)));
        this.m[name].assign(m2);
        this.v[name].assign(v2);
        this.vars[name].assign(tf.sub(this.vars[name], tf.mul(lrT, tf.div(tf.div(m2, bc1), tf.add(tf.sqrt(tf.div(v2, bc2)), epsT)))));
      }
    });
    tf.dispose(Object.values(grads));
    this.lastLoss?.dispose();
    this.lastLoss = value;
  }

  /** `n` steps, reading the loss back every logEvery steps (the same sync points as tabtrain). */
  async run(n: number): Promise<number> {
    let loss = NaN;
    for (let i = 0; i < n; i++) {
      this.step();
      if (this.t % this.config.logEvery === 0) loss = (await this.lastLoss!.data())[0];
    }
    return loss;
  }

  dispose(): void {
    this.lastLoss?.dispose();
    tf.dispose([Object.values(this.vars), Object.values(this.m), Object.values(this.v), this.x, this.y, this.ids ?? []]);
    this.charlm?.dispose();
  }
}

// ---------------------------------------------------------------------------------------------
// model.fit

/** tf.layers equivalents exist for mlp and cnn; tfjs-layers has no attention layer, so no charlm. */
export function fitApplies(family: Family): boolean {
  return family !== 'charlm';
}

/** The equivalent tf.layers model trained with model.fit(x, y, {batchSize, epochs: 1, shuffle}). */
export class FitModel {
  readonly model: tf.Sequential;
  private x: tf.Tensor;
  private y: tf.Tensor;

  /** `steps`: each fit() call is one epoch over steps * batchSize samples kept on the device. */
  constructor(readonly config: RunConfig, ds: Dataset, readonly steps: number) {
    const spec = config.model;
    const B = config.batchSize;
    const n = steps * B;
    const m = tf.sequential();
    if (spec.family === 'mlp' && ds.kind === 'tabular') {
      spec.hidden.forEach((h, i) => m.add(tf.layers.dense({ units: h, activation: 'relu', ...(i === 0 ? { inputShape: [spec.inputSize] } : {}) })));
      m.add(tf.layers.dense({ units: spec.outputSize, activation: 'softmax', ...(spec.hidden.length === 0 ? { inputShape: [spec.inputSize] } : {}) }));
      this.x = tf.tidy(() => tf.tile(tf.tensor2d(ds.x, [ds.numRows, ds.numFeatures]), [Math.ceil(n / ds.numRows), 1]).slice(0, n));
      this.y = tf.tidy(() => tf.tile(tf.tensor2d(Float32Array.from(ds.y), [ds.numRows, 1]), [Math.ceil(n / ds.numRows), 1]).slice(0, n));
    } else if (spec.family === 'cnn' && ds.kind === 'image') {
      spec.filters.forEach((f, i) => {
        m.add(tf.layers.conv2d({ filters: f, kernelSize: 3, padding: 'same', activation: 'relu', ...(i === 0 ? { inputShape: [spec.height, spec.width, spec.channels] } : {}) }));
        m.add(tf.layers.maxPooling2d({ poolSize: 2, strides: 2, padding: 'valid' }));
      });
      m.add(tf.layers.flatten());
      m.add(tf.layers.dense({ units: spec.hidden, activation: 'relu' }));
      m.add(tf.layers.dense({ units: spec.outputSize, activation: 'softmax' }));
      const shape: [number, number, number, number] = [ds.numImages, ds.height, ds.width, ds.channels];
      this.x = tf.tidy(() => tf.tile(tf.tensor4d(ds.x, shape), [Math.ceil(n / ds.numImages), 1, 1, 1]).slice(0, n));
      this.y = tf.tidy(() => tf.tile(tf.tensor2d(Float32Array.from(ds.y), [ds.numImages, 1]), [Math.ceil(n / ds.numImages), 1]).slice(0, n));
    } else {
      throw new Error(`no tf.layers equivalent for ${spec.family}`);
    }
    m.compile({ optimizer: tf.train.adam(config.optimizer.lr), loss: 'sparseCategoricalCrossentropy' });
    this.model = m;
  }

  /** One fit() call: `steps` batches. Resolves after the epoch's logs were read back. */
  async run(): Promise<number> {
    const h = await this.model.fit(this.x, this.y, { batchSize: this.config.batchSize, epochs: 1, shuffle: true, verbose: 0 });
    return h.history.loss[0] as number;
  }

  dispose(): void {
    this.model.dispose();
    tf.dispose([this.x, this.y]);
  }
}
