// The training loop: params, optimizer, schedule, RNG and data cursor, with snapshot() and
// restore into a new Trainer that continues bit-identically (same backend, same device).
import * as tf from '@tensorflow/tfjs';
import { checkResumeCompat, compareFingerprints } from '../ckpt/compat';
import { applyFreshPlan, freshPlanFor, reportOf } from './fresh';
import type { FreshReport } from './fresh-map';
import { deviceRowFreeze, type RowFreeze } from './freeze-rows';
import type { CkptContents, CkptTensor } from '../ckpt/types';
import { configureDeterminism } from './backend';
import { checkModelBudget } from './budget';
import type { RunConfig, Target } from './config';
import { Cursor, splitIndices, stepsToEpochs } from './cursor';
import type { Dataset } from './data/types';
import { numSamples, uploadDataset, type DeviceData } from './device-data';
import { applyFreeze } from './freeze';
import { bufferDefs, createModel, modelTensors, paramDefs, positionsOf, type Model, type Params } from './models';
import { initValues } from './models/layers';
import { Optimizer, slotNames } from './optim';
import { Rng } from './rng';
import { lrAt } from './schedule';
import { fromCkpt, labelsOf, recordPoint, toCkpt, validateState, type CheckpointKind, type HostTensor, type Lineage, type MetricPoint, type TrainState } from './state';
import { trainStep } from './step';
import { evaluate } from './evaluate';
import { APP_VERSION } from './version';
import { schemaOf } from './schema';
import { LOSS_EMA_BETA } from './defaults';
import { ConfigError, DivergedError, ResumeRefused } from '../errors';

export interface TrainerInit {
  config: RunConfig;
  dataset: Dataset;
  /** recorded in checkpoints, e.g. the WebGPU adapter description. */
  device?: string;
  /** fresh from weights: copy what fits by meaning (fresh-map.ts), initialise the rest. */
  freshFrom?: CkptContents;
  /** with freshFrom: freeze the rows carried over by meaning (--freeze-known; kept in the config). */
  freezeKnown?: boolean;
  /** fresh from plain weights (no tabtrain state, so no parent in the lineage): engine/plain-fresh.ts. */
  freshWeights?: CkptTensor[];
  runId?: string;
}

export type { FreshReport };

export interface Progress {
  step: number;
  epoch: number;
  indexInEpoch: number;
  stepsPerEpoch: number;
  totalSteps: number;
  lr: number;
  trainLoss?: number;
  /** the training loss EMA, on steps whose loss was read (with trainLoss). */
  lossEma?: number;
  valLoss?: number;
  valAccuracy?: number;
}

/** Why a run ended before its target: the engine's early stopping (RunConfig patience / stopIfLoss). */
export interface StopReason {
  code: 'patience' | 'loss_above';
  /** one line for people, e.g. the CLI's "stopped early at step N: ..." and the run's status. */
  message: string;
}

export { DivergedError }; // one kind of the error family (src/errors.ts)

const withSchema = (ds: Dataset) => {
  const schema = schemaOf(ds);
  return schema ? { schema } : {};
};

const newRunId = () => globalThis.crypto.randomUUID();

/** The initial state of a new run: parameters from the seed, buffers at their init, nothing else yet. */
function initialTensors(config: RunConfig): { params: Map<string, HostTensor>; buffers: Map<string, HostTensor> } {
  const params = new Map(paramDefs(config.model).map((d) => [d.name, { shape: d.shape, data: initValues(d, config.seed) }]));
  const buffers = new Map(
    bufferDefs(config.model).map((d) => {
      const data = new Float32Array(d.shape.reduce((a, b) => a * b, 1));
      return [d.name, { shape: d.shape, data: d.init === 'ones' ? data.fill(1) : data }];
    }),
  );
  return { params, buffers };
}

export class Trainer {
  readonly model: Model;
  /** trainable tensors (the state's params) as device variables. */
  readonly vars = new Map<string, tf.Variable>();
  /** non-trainable tensors (the state's buffers, e.g. batch-norm running statistics). */
  readonly buffers = new Map<string, tf.Variable>();
  readonly trainable: string[];
  readonly optimizer: Optimizer;
  step = 0;
  history: MetricPoint[] = [];
  best: MetricPoint | null = null;
  /** the training loss EMA (state.ts Metrics.lossEma); undefined until a loss is logged. */
  lossEma: number | undefined = undefined;
  /** evaluations since the best one (what `patience` counts). */
  sinceBest = 0;
  /** set when train() ended the run early (early stopping); null otherwise. */
  stopReason: StopReason | null = null;
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
  /** row-level freezing from the config (freeze-rows.ts), on the device. */
  private rowFreeze: Map<string, RowFreeze>;

  /**
   * Puts a state on the device. A new run passes only config, params, buffers and lineage
   * (`rest` undefined): the optimizer starts at zero and the data order from the seed; a resume
   * passes the whole state.
   */
  private constructor(
    readonly config: RunConfig,
    readonly dataset: Dataset,
    readonly device: string | undefined,
    s: Pick<TrainState, 'params' | 'buffers' | 'lineage'>,
    rest?: TrainState,
  ) {
    configureDeterminism();
    // Checks that need no device memory come first, so a bad config allocates nothing.
    const split = splitIndices(numSamples(dataset, positionsOf(config.model)), config.valFraction, config.seed);
    if (config.batchSize > split.train.length) throw new ConfigError('too_little_data', `batch size ${config.batchSize} is larger than the ${split.train.length} training samples`);
    this.trainIds = split.train;
    this.valIds = split.val;
    const defs = paramDefs(config.model);
    const names = defs.map((p) => p.name).sort();
    this.trainable = applyFreeze(names, config.freeze).trainable;
    const cursor = rest ? Cursor.restore(rest.cursor, this.trainIds.length) : undefined;
    this.model = createModel(config.model);
    // tidy frees the initial tensor; the variable keeps its own reference to the data.
    const upload = (t: HostTensor, trainable: boolean) => tf.tidy(() => tf.variable(tf.tensor(t.data, t.shape, 'float32'), trainable));
    for (const p of defs) this.vars.set(p.name, upload(s.params.get(p.name)!, true));
    for (const b of bufferDefs(config.model)) this.buffers.set(b.name, upload(s.buffers.get(b.name)!, false));
    // The frozen rows' values are the ones just uploaded: the parent's on a fresh run, and on a
    // resume the same values again (frozen rows never change), so resume stays bit-exact.
    this.rowFreeze = deviceRowFreeze(config.freezeRows, this.vars, this.trainable);
    const trainableDefs = defs.filter((p) => this.trainable.includes(p.name)).sort((a, b) => (a.name < b.name ? -1 : 1));
    this.optimizer = new Optimizer(config.optimizer, trainableDefs, { clipNorm: config.clipNorm });
    this.data = uploadDataset(dataset, positionsOf(config.model));
    this.lineage = s.lineage;
    if (rest) {
      this.optimizer.updates = rest.optimizer.updates;
      for (const [param, slots] of this.optimizer.slots) {
        for (const [slot, v] of slots) {
          const src = rest.optimizer.slots.get(`${param}.${slot}`)!;
          tf.tidy(() => v.assign(tf.tensor(src.data, src.shape, 'float32')));
        }
      }
      this.step = rest.step;
      this.rng = new Rng(rest.rng);
      this.cursor = cursor!;
      this.history = rest.metrics.history.slice();
      this.best = rest.metrics.best;
      this.lossEma = rest.metrics.lossEma;
      this.sinceBest = rest.metrics.sinceBest ?? 0;
    } else {
      this.rng = Rng.fromSeed(config.seed);
      this.cursor = Cursor.start(this.rng, this.trainIds.length);
    }
  }

  /** A new run: from scratch, or fresh from another checkpoint's weights (fresh optimizer, schedule, data order). */
  static create(init: TrainerInit): Trainer {
    let { config } = init;
    const { dataset } = init;
    checkModelBudget(config.model, config.optimizer, config.batchSize); // before the initial values are made
    const { params, buffers } = initialTensors(config);
    const lineage: Lineage = { runId: init.runId ?? newRunId(), origin: 'scratch', resumedAt: [] };
    let report: FreshReport | undefined;
    // plain weights (a PyTorch state dict) carry no tabtrain state: no names for their rows, no parent
    const source: CkptContents | undefined = init.freshFrom ?? (init.freshWeights ? { state: {}, tensors: init.freshWeights } : undefined);
    if (source) {
      const plan = freshPlanFor(source, init.freshFrom ? validateState(init.freshFrom.state) : null, config.model, dataset);
      report = reportOf(plan);
      applyFreshPlan(plan, source, params, buffers);
      if (init.freezeKnown) {
        if (Object.keys(plan.known).length === 0) {
          throw new ConfigError('bad_freeze', '--freeze-known: no rows carried over by meaning (no class, character or input column of the checkpoint is in this data, or the checkpoint does not record them)');
        }
        config = { ...config, freezeRows: plan.known };
      }
      lineage.origin = 'fresh';
      if (init.freshFrom) {
        const parent = validateState(init.freshFrom.state);
        lineage.parent = { runId: parent.lineage.runId, step: parent.step, fingerprint: parent.dataset.fingerprint.sha256 };
      }
    }
    const t = new Trainer(config, dataset, init.device, { params, buffers, lineage });
    t.freshReport = report;
    return t;
  }

  /**
   * Resume: everything comes from the checkpoint; `config` may only differ from the stored one
   * as session.ts resumeConfig allows (engine/resume-rules.ts). Refuses a different architecture, another
   * optimizer, and optimizer state that does not match the trainable parameters.
   */
  static resume(contents: CkptContents, dataset: Dataset, config?: RunConfig, device?: string): Trainer {
    const cfg = config ?? validateState(contents.state).config;
    checkModelBudget(cfg.model, cfg.optimizer, cfg.batchSize);
    const { state } = fromCkpt(contents, new Set(bufferDefs(cfg.model).map((b) => b.name)));
    const compat = checkResumeCompat(
      contents.tensors.filter((t) => t.name.startsWith('model.')),
      modelTensors(cfg.model),
    );
    if (!compat.ok) throw new ResumeRefused(`cannot resume: the model does not match the checkpoint: ${compat.problems.join('; ')}`, 'architecture_mismatch', { problems: compat.problems });
    if (state.optimizer.kind !== cfg.optimizer.kind) throw new ResumeRefused(`cannot resume: checkpoint used ${state.optimizer.kind}, config says ${cfg.optimizer.kind}`, 'optimizer_mismatch');
    // Optimizer slots must be exactly the trainable parameters' (frozen ones have none).
    const trainable = applyFreeze(paramDefs(cfg.model).map((p) => p.name).sort(), cfg.freeze).trainable;
    const shapes = new Map(paramDefs(cfg.model).map((p) => [p.name, p.shape]));
    const expected = new Set<string>();
    for (const param of trainable) {
      for (const slot of slotNames(cfg.optimizer)) {
        const key = `${param}.${slot}`;
        expected.add(key);
        const src = state.optimizer.slots.get(key);
        if (!src) throw new ResumeRefused(`cannot resume: optimizer state optim.${key} is missing from the checkpoint (were the frozen parameters changed?)`, 'optimizer_mismatch');
        const want = shapes.get(param)!;
        if (src.shape.join(',') !== want.join(',')) throw new ResumeRefused(`cannot resume: optim.${key} has shape [${src.shape}], expected [${want}]`, 'optimizer_mismatch');
      }
    }
    const extra = [...state.optimizer.slots.keys()].filter((k) => !expected.has(k)).map((k) => `optim.${k}`);
    if (extra.length) throw new ResumeRefused(`cannot resume: optimizer state for parameters that are frozen now: ${extra.join(', ')}`);
    const lineage = { ...state.lineage, resumedAt: [...state.lineage.resumedAt, state.step] };
    const t = new Trainer(cfg, dataset, device, { params: state.params, buffers: state.buffers, lineage }, state);
    const fp = compareFingerprints(state.dataset.fingerprint, dataset.fingerprint);
    if (!fp.same) t.warnings.push(fp.message);
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

  /** Parameters and buffers by name: what the model's forward pass reads. */
  get modelTensors(): Params {
    return Object.fromEntries([...this.vars, ...this.buffers]);
  }

  /** The step the run stops at: the smaller of the steps and epochs targets. */
  totalSteps(target: Target = this.config.target): number {
    let total = Infinity;
    if (target.steps !== undefined) total = target.steps;
    // exact after a batch-size change too (cursor.ts stepsToEpochs walks as next() does)
    if (target.epochs !== undefined) total = Math.min(total, this.step + stepsToEpochs(this.cursor.state, this.numTrain, this.config.batchSize, target.epochs));
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

  /** One optimizer step (see step.ts). Nothing is read back from the device here. */
  stepOnce(): void {
    const cfg = this.config;
    const positions = this.cursor.next(cfg.batchSize, this.rng);
    const sampleIds = new Int32Array(positions.length);
    for (let i = 0; i < positions.length; i++) sampleIds[i] = this.trainIds[positions[i]];
    const dropoutSeed = this.rng.nextU32();
    const lr = this.lr();
    const batch = this.data.batch(sampleIds);
    const loss = trainStep(
      { model: this.model, task: cfg.task, params: this.vars, buffers: this.buffers, trainable: this.trainable, optimizer: this.optimizer, rowFreeze: this.rowFreeze },
      batch,
      lr,
      dropoutSeed,
    );
    tf.dispose([batch.x, batch.y]);
    this.lastLoss?.dispose();
    this.lastLoss = loss;
    this.step += 1;
  }

  /**
   * Trains until the target (or `shouldStop`, or early stopping). `afterStep` runs after every
   * step: the place to checkpoint, or to yield so the worker can receive messages.
   *
   * Evaluation: every `evalEvery` steps, and once more at the run's end (the step that reaches
   * the config's target, or an early stop) so every run with a validation split ends with a
   * validation point that can become `best`. A nearer `target` given here is a pause point (the
   * tests' split runs), not the end: the end is the config's, so a resumed run evaluates at the
   * same steps as an uninterrupted one.
   *
   * Early stopping is decided here, so the CLI and the worker only report it: it returns 'done'
   * with `stopReason` set, after `afterStep` ran for the stopping step.
   */
  async train(opts: {
    target?: Target;
    onProgress?: (p: Progress) => void;
    shouldStop?: () => boolean;
    afterStep?: (t: Trainer) => Promise<void> | void;
  } = {}): Promise<'done' | 'stopped'> {
    const target = opts.target ?? this.config.target;
    const { patience, stopIfLoss } = this.config;
    this.stopReason = null;
    while (!this.isDone(target)) {
      if (opts.shouldStop?.()) return 'stopped';
      const lr = this.lr();
      this.stepOnce();
      const point: MetricPoint = { step: this.step, epoch: this.epoch };
      let record = false;
      let reason: StopReason | null = null;
      // The loss-threshold check needs the loss at its step, logging interval or not.
      const checkLoss = stopIfLoss !== undefined && this.step === stopIfLoss.byStep;
      if (this.step % this.config.logEvery === 0 || checkLoss) {
        // Sync point: reading the loss waits for the GPU. Only every logEvery steps.
        const loss = (await this.lastLoss!.data())[0];
        if (!Number.isFinite(loss)) throw new DivergedError(`training diverged at step ${this.step}: the loss is ${loss}`);
        // float64 on the host from the float32 loss: JSON keeps it exactly, so it resumes exactly
        this.lossEma = this.lossEma === undefined ? loss : LOSS_EMA_BETA * this.lossEma + (1 - LOSS_EMA_BETA) * loss;
        Object.assign(point, { trainLoss: loss, lossEma: this.lossEma, lr });
        record = true;
      }
      if (checkLoss && this.lossEma! > stopIfLoss!.above) {
        reason = {
          code: 'loss_above',
          message: `the training loss EMA ${this.lossEma!.toFixed(4)} is still above ${stopIfLoss!.above} at step ${this.step}: something is wrong; check the data and the learning rate`,
        };
      }
      const end = reason !== null || this.isDone(this.config.target);
      if (this.valIds.length > 0 && (this.step % this.config.evalEvery === 0 || end)) {
        Object.assign(point, await evaluate(this, this.valIds, this.data));
        if (point.valLoss !== undefined && Number.isFinite(point.valLoss) && (this.best === null || point.valLoss < this.best.valLoss!)) {
          this.best = point;
          this.sinceBest = 0;
        } else {
          this.sinceBest += 1;
        }
        if (!reason && patience !== undefined && this.sinceBest >= patience) {
          reason = {
            code: 'patience',
            message: `${this.sinceBest} evaluations without a new best validation loss (best ${this.best?.valLoss?.toFixed(4) ?? '-'} at step ${this.best?.step ?? '-'})`,
          };
        }
        record = true;
      }
      if (record) recordPoint(this.history, point);
      opts.onProgress?.({
        step: this.step, epoch: this.epoch, indexInEpoch: this.indexInEpoch, stepsPerEpoch: this.stepsPerEpoch,
        totalSteps: this.totalSteps(target), lr, trainLoss: point.trainLoss, lossEma: point.lossEma, valLoss: point.valLoss, valAccuracy: point.valAccuracy,
      });
      await opts.afterStep?.(this);
      if (reason) {
        this.stopReason = reason;
        return 'done';
      }
    }
    return 'done';
  }

  private info(kind: CheckpointKind) {
    return { kind, backend: tf.getBackend(), device: this.device, appVersion: APP_VERSION, createdAt: new Date().toISOString() };
  }

  /** The whole state as a value, with the given host tensors; everything else copied now. */
  private hostState(params: Map<string, HostTensor>, buffers: Map<string, HostTensor>, slots: Map<string, HostTensor>): TrainState {
    return {
      config: this.config,
      params,
      buffers,
      optimizer: { kind: this.config.optimizer.kind, updates: this.optimizer.updates, slots },
      step: this.step,
      cursor: this.cursor.state,
      rng: this.rng.state,
      schedule: { lr: this.lr() },
      metrics: { history: this.history.slice(), best: this.best, ...(this.lossEma === undefined ? {} : { lossEma: this.lossEma }), sinceBest: this.sinceBest },
      lineage: { ...this.lineage, resumedAt: this.lineage.resumedAt.slice() },
      dataset: { fingerprint: this.dataset.fingerprint, numTrain: this.numTrain, numVal: this.numVal, labels: labelsOf(this.dataset), ...withSchema(this.dataset) },
    };
  }

  /**
   * Everything needed to continue. The device copies and the state are taken at the same
   * instant; the readback is awaited afterwards, so training may go on meanwhile.
   */
  async snapshot(kind: CheckpointKind): Promise<CkptContents> {
    type Entry = { into: Map<string, HostTensor>; key: string; v: tf.Variable };
    const params = new Map<string, HostTensor>();
    const buffers = new Map<string, HostTensor>();
    const slots = new Map<string, HostTensor>();
    const entries: Entry[] = [];
    for (const [key, v] of this.vars) entries.push({ into: params, key, v });
    for (const [key, v] of this.buffers) entries.push({ into: buffers, key, v });
    for (const [param, m] of this.optimizer.slots) for (const [slot, v] of m) entries.push({ into: slots, key: `${param}.${slot}`, v });
    const copies = entries.map((e) => tf.clone(e.v));
    // One flag on the device: are all values finite? Read with the tensors (no extra sync), so a
    // diverged state can never be written as a checkpoint (it would become `latest`).
    // A chain of logicalAnd, not stack/addN: one storage buffer per input breaks on WebGPU.
    const finite = tf.tidy(() => copies.reduce<tf.Tensor>((acc, c) => tf.logicalAnd(acc, tf.all(tf.isFinite(c))), tf.scalar(true, 'bool')));
    const state = this.hostState(params, buffers, slots);
    const info = this.info(kind);
    try {
      const [ok] = await finite.data();
      if (!ok) throw new DivergedError(`training diverged by step ${this.step}: the weights or optimizer state hold NaN or Infinity; the last good checkpoint is kept`);
      const datas = await Promise.all(copies.map((c) => c.data() as Promise<Float32Array>));
      entries.forEach((e, i) => e.into.set(e.key, { shape: e.v.shape.slice(), data: datas[i] }));
      return toCkpt(state, info);
    } finally {
      tf.dispose(copies);
      finite.dispose();
    }
  }

  dispose(): void {
    this.lastLoss?.dispose();
    this.lastLoss = null;
    for (const v of [...this.vars.values(), ...this.buffers.values()]) v.dispose();
    this.vars.clear();
    this.buffers.clear();
    this.optimizer?.dispose();
    for (const f of this.rowFreeze?.values() ?? []) tf.dispose([f.frozen, f.values]);
    this.data?.dispose();
    this.model.dispose();
  }
}
