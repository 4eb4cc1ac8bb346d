// The training loop: params, optimizer, schedule, RNG and data cursor, with snapshot() and
// restore into a new Trainer that continues bit-identically (same backend, same device).
import * as tf from '@tensorflow/tfjs';
import { checkResumeCompat, compareFingerprints, planFreshFromWeights } from '../ckpt/compat';
import type { CkptContents, CkptTensor } from '../ckpt/types';
import { configureDeterminism } from './backend';
import type { RunConfig, Target } from './config';
import { Cursor, splitIndices } from './cursor';
import type { Dataset } from './data/types';
import { numSamples, uploadDataset, type DeviceData } from './device-data';
import { applyFreeze } from './freeze';
import { createModel, type Model, type Params } from './models';
import { initValues } from './models/layers';
import { Optimizer } from './optim';
import { Rng } from './rng';
import { lrAt } from './schedule';
import { validateState, type CheckpointKind, type Lineage, type MetricPoint, type TrainState } from './state';
import { evaluate } from './evaluate';
import { APP_VERSION } from './version';

export interface TrainerInit {
  config: RunConfig;
  dataset: Dataset;
  /** recorded in checkpoints, e.g. the WebGPU adapter description. */
  device?: string;
  /** fresh from weights: copy the matching `model.*` tensors, initialise the rest. */
  freshFrom?: CkptContents;
  runId?: string;
}

export interface FreshReport {
  loaded: string[];
  reinitialised: { name: string; reason: string }[];
  ignored: string[];
}

export interface Progress {
  step: number;
  epoch: number;
  indexInEpoch: number;
  stepsPerEpoch: number;
  totalSteps: number;
  lr: number;
  trainLoss?: number;
  valLoss?: number;
  valAccuracy?: number;
}

export class DivergedError extends Error {
  override name = 'DivergedError';
}

const newRunId = () => globalThis.crypto.randomUUID();

/** The parameter list of a spec, without keeping the model's device constants around. */
function paramDefs(spec: RunConfig['model']) {
  const m = createModel(spec);
  m.dispose();
  return m.params;
}

export class Trainer {
  readonly model: Model;
  readonly vars = new Map<string, tf.Variable>();
  readonly trainable: string[];
  readonly optimizer: Optimizer;
  step = 0;
  history: MetricPoint[] = [];
  best: MetricPoint | null = null;
  lineage: Lineage;
  freshReport?: FreshReport;
  /** warnings for the caller to show (dataset changed, LR changed on resume, ...). */
  warnings: string[] = [];
  private rng: Rng;
  private cursor: Cursor;
  /** the dataset on the device, and the fixed train/validation split (sample ids). */
  readonly data: DeviceData;
  readonly trainIds: Int32Array;
  readonly valIds: Int32Array;
  private lastLoss: tf.Scalar | null = null;
  private varToParam = new Map<string, string>();

  private constructor(readonly config: RunConfig, readonly dataset: Dataset, readonly device: string | undefined, values: Map<string, Float32Array>, lineage: Lineage) {
    configureDeterminism();
    // Checks that need no device memory come first, so a bad config allocates nothing.
    const ctx = config.model.family === 'charlm' ? config.model.contextLength : 1;
    const split = splitIndices(numSamples(dataset, ctx), config.valFraction, config.seed);
    if (config.batchSize > split.train.length) throw new Error(`batch size ${config.batchSize} is larger than the ${split.train.length} training samples`);
    this.trainIds = split.train;
    this.valIds = split.val;
    this.model = createModel(config.model);
    const names = this.model.params.map((p) => p.name).sort();
    try {
      this.trainable = applyFreeze(names, config.freeze).trainable;
    } catch (e) {
      this.model.dispose();
      throw e;
    }
    for (const p of this.model.params) {
      // tidy frees the initial tensor; the variable keeps its own reference to the data.
      const v = tf.tidy(() => tf.variable(tf.tensor(values.get(p.name)!, p.shape, 'float32'), true));
      this.vars.set(p.name, v);
      this.varToParam.set(v.name, p.name);
    }
    const trainableDefs = this.model.params.filter((p) => this.trainable.includes(p.name)).sort((a, b) => (a.name < b.name ? -1 : 1));
    this.optimizer = new Optimizer(config.optimizer, trainableDefs, { clipNorm: config.clipNorm });
    this.data = uploadDataset(dataset, ctx);
    this.rng = Rng.fromSeed(config.seed);
    this.cursor = Cursor.start(this.rng, this.trainIds.length);
    this.lineage = lineage;
  }

  /** A new run: from scratch, or fresh from another checkpoint's weights (fresh optimizer, schedule, data order). */
  static create(init: TrainerInit): Trainer {
    const { config, dataset } = init;
    const defs = paramDefs(config.model);
    const values = new Map(defs.map((d) => [d.name, initValues(d, config.seed)]));
    const lineage: Lineage = { runId: init.runId ?? newRunId(), origin: 'scratch', resumedAt: [] };
    let report: FreshReport | undefined;
    if (init.freshFrom) {
      const parent = validateState(init.freshFrom.state);
      const byName = new Map(init.freshFrom.tensors.map((t) => [t.name, t]));
      const ckptModel = init.freshFrom.tensors.filter((t) => t.name.startsWith('model.'));
      const plan = planFreshFromWeights(ckptModel, defs.map((d) => ({ name: `model.${d.name}`, shape: d.shape })));
      report = plan;
      for (const name of plan.loaded) values.set(name.slice('model.'.length), new Float32Array(byName.get(name)!.data));
      lineage.origin = 'fresh';
      lineage.parent = { runId: parent.lineage.runId, step: parent.step, fingerprint: parent.dataset.fingerprint.sha256 };
    }
    const t = new Trainer(config, dataset, init.device, values, lineage);
    t.freshReport = report;
    return t;
  }

  /**
   * Resume: everything comes from the checkpoint; `config` may only differ from the stored one
   * in target, LR and batch size (see resumeConfig). Refuses a different architecture.
   */
  static resume(contents: CkptContents, dataset: Dataset, config?: RunConfig, device?: string): Trainer {
    const state = validateState(contents.state);
    const cfg = config ?? state.config;
    const byName = new Map(contents.tensors.map((t) => [t.name, t]));
    const defs = paramDefs(cfg.model);
    const compat = checkResumeCompat(
      contents.tensors.filter((t) => t.name.startsWith('model.')),
      defs.map((d) => ({ name: `model.${d.name}`, shape: d.shape })),
    );
    if (!compat.ok) throw new Error(`cannot resume: the model does not match the checkpoint: ${compat.problems.join('; ')}`);
    const values = new Map(defs.map((d) => [d.name, new Float32Array(byName.get(`model.${d.name}`)!.data)]));
    const t = new Trainer(cfg, dataset, device, values, { ...state.lineage, resumedAt: [...state.lineage.resumedAt, state.step] });
    try {
      const fp = compareFingerprints(state.dataset.fingerprint, dataset.fingerprint);
      if (!fp.same) t.warnings.push(fp.message);
      if (state.optimizer.kind !== cfg.optimizer.kind) throw new Error(`cannot resume: checkpoint used ${state.optimizer.kind}, config says ${cfg.optimizer.kind}`);
      const expectedOptim = new Set<string>();
      for (const [param, slots] of t.optimizer.slots) {
        for (const [slot, v] of slots) {
          const name = `optim.${param}.${slot}`;
          expectedOptim.add(name);
          const src = byName.get(name);
          if (!src) throw new Error(`cannot resume: optimizer state ${name} is missing from the checkpoint (were the frozen parameters changed?)`);
          if (src.shape.join(',') !== v.shape.join(',')) throw new Error(`cannot resume: ${name} has shape [${src.shape}], expected [${v.shape}]`);
          tf.tidy(() => v.assign(tf.tensor(src.data, src.shape, 'float32')));
        }
      }
      const extra = contents.tensors.filter((x) => x.name.startsWith('optim.') && !expectedOptim.has(x.name)).map((x) => x.name);
      if (extra.length) throw new Error(`cannot resume: optimizer state for parameters that are frozen now: ${extra.join(', ')}`);
      t.optimizer.updates = state.optimizer.updates;
      t.step = state.step;
      t.rng = new Rng(state.rng.state);
      t.cursor = Cursor.restore(state.cursor, t.trainIds.length);
      t.history = state.metrics.history.slice();
      t.best = state.metrics.best;
    } catch (e) {
      t.dispose();
      throw e;
    }
    return t;
  }

  get epoch(): number {
    return this.cursor.epoch;
  }
  get indexInEpoch(): number {
    return this.cursor.index;
  }
  get stepsPerEpoch(): number {
    return this.cursor.stepsPerEpoch(this.config.batchSize);
  }
  get numTrain(): number {
    return this.trainIds.length;
  }
  get numVal(): number {
    return this.valIds.length;
  }

  /** The step the run stops at: the smaller of the steps and epochs targets. */
  totalSteps(target: Target = this.config.target): number {
    const spe = this.stepsPerEpoch;
    let total = Infinity;
    if (target.steps !== undefined) total = target.steps;
    if (target.epochs !== undefined) {
      const left = (target.epochs - this.epoch) * spe - Math.floor(this.indexInEpoch / this.config.batchSize);
      total = Math.min(total, this.step + Math.max(0, left));
    }
    return total;
  }

  isDone(target: Target = this.config.target): boolean {
    if (target.steps !== undefined && this.step >= target.steps) return true;
    if (target.epochs !== undefined && this.epoch >= target.epochs) return true;
    return false;
  }

  lr(): number {
    return lrAt(this.config.schedule, this.config.optimizer.lr, this.step);
  }

  /** One optimizer step. Nothing is read back from the device here. */
  stepOnce(): void {
    const cfg = this.config;
    const positions = this.cursor.next(cfg.batchSize, this.rng);
    const sampleIds = new Int32Array(positions.length);
    for (let i = 0; i < positions.length; i++) sampleIds[i] = this.trainIds[positions[i]];
    const dropoutSeed = this.rng.nextU32();
    const lr = this.lr();
    const { x, y } = this.data.batch(sampleIds);
    const trainableVars = this.trainable.map((n) => this.vars.get(n)!);
    const { value, grads } = tf.variableGrads(() => this.loss(x, y, true, dropoutSeed), trainableVars);
    const byParam: Record<string, tf.Tensor> = {};
    for (const [varName, g] of Object.entries(grads)) byParam[this.varToParam.get(varName)!] = g;
    this.optimizer.apply(this.vars, byParam, lr); // clips first when clipNorm > 0
    tf.dispose([x, y, Object.values(byParam)]);
    this.lastLoss?.dispose();
    this.lastLoss = value;
    this.step += 1;
  }

  /** Mean loss of a batch (cross-entropy, or MSE for regression). */
  loss(x: tf.Tensor, y: tf.Tensor, training: boolean, dropoutSeed: number): tf.Scalar {
    const params: Params = Object.fromEntries(this.vars);
    const logits = this.model.forward(params, x, { training, dropoutSeed });
    if (this.config.task === 'regression') return tf.mean(tf.square(tf.sub(tf.reshape(logits, [-1]), y))) as tf.Scalar;
    const labels = tf.oneHot(tf.cast(y, 'int32') as tf.Tensor1D, logits.shape[1]);
    return tf.neg(tf.mean(tf.sum(tf.mul(labels, tf.logSoftmax(logits)), 1))) as tf.Scalar;
  }

  /**
   * Trains until the target (or `shouldStop`). `afterStep` runs after every step: the place to
   * checkpoint, or to yield so the worker can receive messages.
   */
  async train(opts: {
    target?: Target;
    onProgress?: (p: Progress) => void;
    shouldStop?: () => boolean;
    afterStep?: (t: Trainer) => Promise<void> | void;
  } = {}): Promise<'done' | 'stopped'> {
    const target = opts.target ?? this.config.target;
    while (!this.isDone(target)) {
      if (opts.shouldStop?.()) return 'stopped';
      const lr = this.lr();
      this.stepOnce();
      const point: MetricPoint = { step: this.step, epoch: this.epoch };
      let record = false;
      if (this.step % this.config.logEvery === 0) {
        // Sync point: reading the loss waits for the GPU. Only every logEvery steps.
        const loss = (await this.lastLoss!.data())[0];
        if (!Number.isFinite(loss)) throw new DivergedError(`training diverged at step ${this.step}: the loss is ${loss}`);
        Object.assign(point, { trainLoss: loss, lr });
        record = true;
      }
      if (this.step % this.config.evalEvery === 0 && this.valIds.length > 0) {
        Object.assign(point, await evaluate(this, this.valIds, this.data));
        if (point.valLoss !== undefined && Number.isFinite(point.valLoss) && (this.best === null || point.valLoss < this.best.valLoss!)) this.best = point;
        record = true;
      }
      if (record) this.history.push(point);
      opts.onProgress?.({
        step: this.step, epoch: this.epoch, indexInEpoch: this.indexInEpoch, stepsPerEpoch: this.stepsPerEpoch,
        totalSteps: this.totalSteps(target), lr, trainLoss: point.trainLoss, valLoss: point.valLoss, valAccuracy: point.valAccuracy,
      });
      await opts.afterStep?.(this);
    }
    return 'done';
  }

  /** The training state as stored in a checkpoint (captured synchronously). */
  state(kind: CheckpointKind): TrainState {
    return {
      config: this.config,
      step: this.step,
      cursor: this.cursor.state,
      optimizer: { kind: this.config.optimizer.kind, updates: this.optimizer.updates },
      schedule: { lr: this.lr() },
      rng: { algorithm: 'xoshiro128**', state: this.rng.state },
      metrics: { history: this.history.slice(), best: this.best },
      dataset: { fingerprint: this.dataset.fingerprint, numTrain: this.numTrain, numVal: this.numVal },
      lineage: { ...this.lineage, resumedAt: this.lineage.resumedAt.slice() },
      kind,
      backend: tf.getBackend(),
      device: this.device,
      appVersion: APP_VERSION,
      createdAt: new Date().toISOString(),
    };
  }

  /**
   * Everything needed to continue. The device copies and the state are taken at the same
   * instant; the readback is awaited afterwards, so training may go on meanwhile.
   */
  async snapshot(kind: CheckpointKind): Promise<CkptContents> {
    const entries: { name: string; v: tf.Variable }[] = [];
    for (const name of [...this.vars.keys()].sort()) entries.push({ name: `model.${name}`, v: this.vars.get(name)! });
    for (const param of [...this.optimizer.slots.keys()].sort()) {
      for (const slot of this.optimizer.slotNames) entries.push({ name: `optim.${param}.${slot}`, v: this.optimizer.slots.get(param)!.get(slot)! });
    }
    const copies = entries.map((e) => tf.clone(e.v));
    // One flag on the device: are all values finite? Read with the tensors (no extra sync), so a
    // diverged state can never be written as a checkpoint (it would become `latest`).
    // A chain of logicalAnd, not stack/addN: one storage buffer per input breaks on WebGPU.
    const finite = tf.tidy(() => copies.reduce<tf.Tensor>((acc, c) => tf.logicalAnd(acc, tf.all(tf.isFinite(c))), tf.scalar(true, 'bool')));
    const state = this.state(kind);
    try {
      const [ok] = await finite.data();
      if (!ok) throw new DivergedError(`training diverged by step ${this.step}: the weights or optimizer state hold NaN or Infinity; the last good checkpoint is kept`);
      const datas = await Promise.all(copies.map((c) => c.data() as Promise<Float32Array>));
      const tensors: CkptTensor[] = entries.map((e, i) => ({ name: e.name, dtype: 'F32', shape: e.v.shape.slice(), data: datas[i] }));
      return { state: state as unknown as Record<string, unknown>, tensors };
    } finally {
      tf.dispose(copies);
      finite.dispose();
    }
  }

  dispose(): void {
    this.lastLoss?.dispose();
    this.lastLoss = null;
    for (const v of this.vars.values()) v.dispose();
    this.vars.clear();
    this.optimizer?.dispose();
    this.data?.dispose();
    this.model.dispose();
  }
}
