// The training state as one value (TrainState), its two halves in a checkpoint (tensors, and
// the JSON `state` metadata: StateMeta), one pair of functions between the value and a .ckpt's
// contents, and one validator for everything that comes out of a file. docs/engine.md "State".
import type { CkptContents, CkptTensor } from '../ckpt/types';
import { validateConfig, type RunConfig } from './config';
import type { CursorState } from './cursor';
import type { Dataset, Fingerprint } from './data/types';
import type { RngState } from './rng';
import { checkModelBudget } from './budget';
import { ConfigError } from '../errors';
import { schemaError, type DataSchema } from './schema';
import { STATE_VERSION } from './version';

export type CheckpointKind = 'latest' | 'best' | 'periodic' | 'final';
export const CHECKPOINT_KINDS: readonly CheckpointKind[] = ['latest', 'best', 'periodic', 'final'];

export interface MetricPoint {
  step: number;
  epoch: number;
  lr?: number;
  trainLoss?: number;
  /** the training loss EMA after this point's loss (logged points only; see Metrics.lossEma). */
  lossEma?: number;
  valLoss?: number;
  /** classification only. */
  valAccuracy?: number;
}

export interface Metrics {
  /** logged points, oldest first; thinned evenly past MAX_HISTORY (see recordPoint). */
  history: MetricPoint[];
  /** the point with the lowest validation loss so far. */
  best: MetricPoint | null;
  /**
   * The EMA of the logged training losses (LOSS_EMA_BETA in defaults.ts), absent until the first
   * loss is logged. Kept here, not only on history points, because the history is thinned.
   * Absent too in checkpoints written before it existed: the EMA then starts again.
   */
  lossEma?: number;
  /** evaluations since the best one (0 at a new best): what `patience` counts. Absent = 0. */
  sinceBest?: number;
}

export interface Lineage {
  runId: string;
  /** how this run began: from scratch, or fresh from another checkpoint's weights. */
  origin: 'scratch' | 'fresh';
  parent?: { runId: string; step: number; fingerprint: string };
  /** steps at which this run was resumed (appended on each resume). */
  resumedAt: number[];
  /**
   * Stretches trained outside tabtrain (the Python package, python/; docs/python.md): which
   * framework, how many processes, on what device, from which step to which. Absent in files
   * tabtrain wrote alone; the engine keeps it as it is on resume (steps between the segments
   * and `resumedAt` were trained by tabtrain).
   */
  segments?: LineageSegment[];
}

export interface LineageSegment {
  framework: string;
  /** the framework's version, e.g. torch's. */
  version?: string;
  processes: number;
  device: string;
  fromStep: number;
  toStep: number;
}

export interface DatasetInfo {
  fingerprint: Fingerprint;
  numTrain: number;
  numVal: number;
  /**
   * What the model's outputs or inputs stand for: the class names in order (classification),
   * the vocabulary (text). Resume with `force` refuses data whose labels differ even where the
   * sizes match. Absent in older checkpoints and for regression.
   */
  labels?: string[];
  /**
   * What the inputs and outputs stand for (engine/schema.ts): columns and encoders, classes,
   * image preprocessing, vocabulary. State version 2; absent in older checkpoints.
   */
  schema?: DataSchema;
}

/** The dataset's class names or vocabulary, in the order the model's tensors use them. */
export function labelsOf(ds: Dataset): string[] | undefined {
  if (ds.kind === 'text') return ds.vocab.slice();
  if (ds.kind === 'image' || ds.task === 'classification') return ds.classes.slice();
  return undefined;
}

/**
 * Everything a run is at one step: what it learned (params, buffers), how it learns (optimizer
 * slots and update count, the schedule's position), where it is (step, data cursor, RNG), what
 * it saw (metrics) and where it came from (config, lineage, dataset). A checkpoint is exactly
 * this value plus a few record facts (CkptInfo). `T` is a HostTensor when the value
 * comes from or goes to a file, and a device variable inside the Trainer.
 */
/** A tensor on the host: what a file holds. */
export interface HostTensor {
  shape: number[];
  data: Float32Array;
}

export interface TrainState<T = HostTensor> {
  config: RunConfig;
  /** trainable tensors by parameter name (`model.<name>` in a file). */
  params: Map<string, T>;
  /** non-trainable tensors by name (`model.<name>` too: batch-norm running statistics). */
  buffers: Map<string, T>;
  /** slots by `<param>.<slot>` (`optim.<param>.<slot>` in a file); `updates` counts applied updates. */
  optimizer: { kind: string; updates: number; slots: Map<string, T> };
  step: number;
  cursor: CursorState;
  rng: RngState;
  /** the LR of the next update (the schedule is a pure function of config and step; stored for people). */
  schedule: { lr: number };
  metrics: Metrics;
  lineage: Lineage;
  dataset: DatasetInfo;
}

/** What a checkpoint records about itself, beside the training state. */
export interface CkptInfo {
  kind: CheckpointKind;
  backend: string;
  device?: string;
  appVersion: string;
  createdAt: string;
}

/** The JSON `state` metadata of a checkpoint: the non-tensor half of TrainState plus CkptInfo. The layout is the file format's (docs/ckpt-format.md). */
export interface StateMeta extends CkptInfo {
  /** the state's version (STATE_VERSION in version.ts); absent = 1. */
  stateVersion?: number;
  config: RunConfig;
  step: number;
  cursor: CursorState;
  optimizer: { kind: string; updates: number };
  schedule: { lr: number };
  rng: { algorithm: 'xoshiro128**'; state: RngState };
  metrics: Metrics;
  dataset: DatasetInfo;
  lineage: Lineage;
}

/** Metric points kept in a run (and so in every checkpoint): past this the history is thinned, so checkpoints stop growing with run length. */
export const MAX_HISTORY = 1000;

/** The largest power of two (up to 2^30) that divides every kept step: the history's stride. */
function strideOf(history: MetricPoint[]): number {
  let stride = 1 << 30;
  for (const p of history) while (stride > 1 && p.step % stride !== 0) stride /= 2;
  return history.length === 0 ? 1 : stride;
}

/**
 * Appends a point, keeping the history evenly spread and bounded: every point is kept up to
 * MAX_HISTORY; past it, only points whose step is a multiple of a stride (a power of two,
 * doubled until the history fits) stay, and later points are kept only on that stride (while
 * the history is at least half full, which a thinned one is). The
 * stride is read off the history itself, so a resumed run (whose history came from the
 * checkpoint) keeps exactly the points the uninterrupted run keeps.
 */
export function recordPoint(history: MetricPoint[], point: MetricPoint, max = MAX_HISTORY): void {
  let stride = strideOf(history);
  // The stride only filters once the history has been thinned (thinning leaves it at least about
  // half full): before that every point is kept, whatever its step. Without this an evaluation
  // off the logging grid (every 4 steps with losses every 10, or the final evaluation at step 7
  // after losses at 2, 4, 6) was dropped because the points so far happened to share a factor.
  if (history.length >= max / 2 && point.step % stride !== 0) return;
  history.push(point);
  while (history.length > max) {
    stride *= 2;
    let w = 0;
    for (const p of history) if (p.step % stride === 0) history[w++] = p;
    history.length = w;
  }
}

/** The checkpoint contents of a state: tensors in a fixed order (model by name, then optim by name), JSON for the rest. */
export function toCkpt(s: TrainState, info: CkptInfo): CkptContents {
  const tensors: CkptTensor[] = [];
  const model = new Map([...s.params, ...s.buffers]);
  for (const name of [...model.keys()].sort()) tensors.push(host(`model.${name}`, model.get(name)!));
  for (const key of [...s.optimizer.slots.keys()].sort()) tensors.push(host(`optim.${key}`, s.optimizer.slots.get(key)!));
  const meta: StateMeta = {
    stateVersion: STATE_VERSION,
    config: s.config,
    step: s.step,
    cursor: s.cursor,
    optimizer: { kind: s.optimizer.kind, updates: s.optimizer.updates },
    schedule: s.schedule,
    rng: { algorithm: 'xoshiro128**', state: s.rng },
    metrics: s.metrics,
    dataset: s.dataset,
    lineage: s.lineage,
    ...info,
  };
  return { state: meta as unknown as Record<string, unknown>, tensors };
}

function host(name: string, t: HostTensor): CkptTensor {
  return { name, dtype: 'F32', shape: t.shape.slice(), data: t.data };
}

/**
 * The state in a checkpoint's contents, checked. Tensors are split by prefix: `model.*` into
 * params and buffers by the config's family (a name the family does not have stays a param, so
 * the caller's compatibility check names it), `optim.*` into slots. The data arrays are the
 * contents' own (no copy).
 */
export function fromCkpt(c: CkptContents, bufferNames: ReadonlySet<string> = new Set()): { state: TrainState; info: CkptInfo } {
  const m = validateState(c.state);
  const params = new Map<string, HostTensor>();
  const buffers = new Map<string, HostTensor>();
  const slots = new Map<string, HostTensor>();
  for (const t of c.tensors) {
    if (!(t.data instanceof Float32Array)) throw new ConfigError('invalid_state', `checkpoint state: ${t.name} is ${t.dtype}, expected F32`);
    const data: HostTensor = { shape: t.shape.slice(), data: t.data };
    if (t.name.startsWith('model.')) {
      const n = t.name.slice('model.'.length);
      (bufferNames.has(n) ? buffers : params).set(n, data);
    } else if (t.name.startsWith('optim.')) slots.set(t.name.slice('optim.'.length), data);
  }
  const state: TrainState = {
    config: m.config, params, buffers,
    optimizer: { kind: m.optimizer.kind, updates: m.optimizer.updates, slots },
    step: m.step, cursor: m.cursor, rng: m.rng.state, schedule: m.schedule, metrics: m.metrics, lineage: m.lineage, dataset: m.dataset,
  };
  const { kind, backend, device, appVersion, createdAt } = m;
  return { state, info: { kind, backend, device, appVersion, createdAt } };
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isU32 = (v: unknown) => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 0xffffffff;
const isNat = (v: unknown) => Number.isInteger(v) && (v as number) >= 0;
const isNum = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
const isOptNum = (v: unknown) => v === undefined || isNum(v);
const isStr = (v: unknown) => typeof v === 'string';

/** A metric point's problem, or null. Losses may be any finite number; accuracy is a share. */
function pointError(p: unknown): string | null {
  if (!isObj(p)) return 'not an object';
  if (!isNat(p.step) || !isNat(p.epoch)) return 'step and epoch must be non-negative integers';
  for (const k of ['lr', 'trainLoss', 'lossEma', 'valLoss'] as const) if (!isOptNum(p[k])) return `${k} must be a finite number`;
  if (p.valAccuracy !== undefined && !(isNum(p.valAccuracy) && (p.valAccuracy as number) >= 0 && (p.valAccuracy as number) <= 1)) return 'valAccuracy must be in [0, 1]';
  return null;
}

/**
 * Checks the JSON half of a state that came out of a file before the engine trusts it: every
 * field, not only the ones resume reads. The format layer has already proved the bytes are what
 * was written; this proves they make sense.
 */
export function validateState(s: unknown): StateMeta {
  const fail = (what: string): never => {
    throw new ConfigError('invalid_state', `checkpoint state: ${what}`);
  };
  if (!isObj(s)) fail('not an object');
  const st = s as Record<string, unknown>;
  if (st.stateVersion !== undefined && !(Number.isInteger(st.stateVersion) && (st.stateVersion as number) >= 1)) fail('stateVersion must be a positive integer');
  if ((st.stateVersion as number | undefined ?? 1) > STATE_VERSION) fail(`state version ${st.stateVersion} is newer than this build reads (${STATE_VERSION}); update tabtrain`);
  if (!isObj(st.config)) fail('missing config');
  const cfgErr = validateConfig(st.config as unknown as RunConfig);
  if (cfgErr) fail(`config: ${cfgErr}`);
  // A model that could not train here at any batch size is refused now, before its plan is
  // shown or anything is allocated (resume and fresh check the batch size they will use).
  const cfg = st.config as unknown as RunConfig;
  checkModelBudget(cfg.model, cfg.optimizer, 1);
  if (!isNat(st.step)) fail('step is not a non-negative integer');
  const c = st.cursor as Record<string, unknown>;
  if (!isObj(c) || !isNat(c.epoch) || !isNat(c.index) || !Array.isArray(c.epochRng) || c.epochRng.length !== 4 || !c.epochRng.every(isU32)) {
    fail('cursor must be {epoch, index, epochRng: four u32}');
  }
  const r = st.rng as Record<string, unknown>;
  if (!isObj(r) || r.algorithm !== 'xoshiro128**' || !Array.isArray(r.state) || r.state.length !== 4 || !r.state.every(isU32)) {
    fail('rng must be {algorithm: "xoshiro128**", state: four u32}');
  }
  const o = st.optimizer as Record<string, unknown>;
  if (!isObj(o) || !isNat(o.updates) || typeof o.kind !== 'string') fail('optimizer must be {kind, updates}');
  const sch = st.schedule as Record<string, unknown>;
  if (!isObj(sch) || !isNum(sch.lr)) fail('schedule must be {lr: a finite number}');
  const m = st.metrics as Record<string, unknown>;
  if (!isObj(m) || !Array.isArray(m.history)) fail('metrics must be {history: [...], best}');
  (m.history as unknown[]).forEach((p, i) => {
    const e = pointError(p);
    if (e) fail(`metrics.history[${i}]: ${e}`);
  });
  if (m.best !== null) {
    const e = pointError(m.best);
    if (e) fail(`metrics.best: ${e}`);
  }
  if (m.lossEma !== undefined && !isNum(m.lossEma)) fail('metrics.lossEma must be a finite number');
  if (m.sinceBest !== undefined && !isNat(m.sinceBest)) fail('metrics.sinceBest must be a non-negative integer');
  const d = st.dataset as Record<string, unknown>;
  if (!isObj(d) || !isObj(d.fingerprint) || !isStr((d.fingerprint as Record<string, unknown>).sha256)) fail('dataset.fingerprint missing');
  const fp = d.fingerprint as Record<string, unknown>;
  if (!isStr(fp.summary) || !isObj(fp.shape)) fail('dataset.fingerprint must be {sha256, summary, shape}');
  if (!isNat(d.numTrain) || !isNat(d.numVal)) fail('dataset.numTrain and numVal must be non-negative integers');
  if (d.labels !== undefined && !(Array.isArray(d.labels) && d.labels.every(isStr))) fail('dataset.labels must be a list of strings');
  if (d.schema !== undefined) {
    const e = schemaError(d.schema);
    if (e) fail(`dataset.schema: ${e}`);
  }
  const l = st.lineage as Record<string, unknown>;
  if (!isObj(l) || !isStr(l.runId) || !Array.isArray(l.resumedAt)) fail('lineage must be {runId, origin, resumedAt}');
  if (l.origin !== 'scratch' && l.origin !== 'fresh') fail(`lineage.origin must be "scratch" or "fresh", got ${JSON.stringify(l.origin)}`);
  if (!(l.resumedAt as unknown[]).every(isNat)) fail('lineage.resumedAt must be a list of steps');
  if (l.segments !== undefined) {
    if (!Array.isArray(l.segments)) fail('lineage.segments must be a list');
    (l.segments as unknown[]).forEach((g, i) => {
      const seg = g as Record<string, unknown>;
      const ok = isObj(seg) && isStr(seg.framework) && (seg.version === undefined || isStr(seg.version)) && isNat(seg.processes) && (seg.processes as number) > 0 && isStr(seg.device) && isNat(seg.fromStep) && isNat(seg.toStep) && (seg.fromStep as number) <= (seg.toStep as number);
      if (!ok) fail(`lineage.segments[${i}] must be {framework, version?, processes, device, fromStep <= toStep}`);
    });
  }
  if (l.parent !== undefined) {
    const p = l.parent as Record<string, unknown>;
    if (!isObj(p) || !isStr(p.runId) || !isNat(p.step) || !isStr(p.fingerprint)) fail('lineage.parent must be {runId, step, fingerprint}');
  }
  if (!CHECKPOINT_KINDS.includes(st.kind as CheckpointKind)) fail(`unknown checkpoint kind ${String(st.kind)}`);
  if (!isStr(st.backend) || !isStr(st.appVersion) || !isStr(st.createdAt)) fail('backend, appVersion and createdAt must be strings');
  if (st.device !== undefined && !isStr(st.device)) fail('device must be a string');
  return s as unknown as StateMeta;
}
