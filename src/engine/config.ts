// The run config: everything a person chose. It travels inside every checkpoint, so a resume
// re-applies it (frozen parameters included); on resume the architecture always comes from the
// checkpoint; what resume may change is the table in session.ts (RESUME_RULES).
import type { Dataset, ParseOptions, TaskKind } from './data/types';
import { RUN_DEFAULTS, LIMITS, defaultEvalEvery } from './defaults';
import { numSamples } from './device-data';
import type { FieldValue } from './fields';
import { splitSizes } from './cursor';
import { familiesFor, positionsOf, specFor, validateSpec, type ModelFamily, type ModelSpec } from './models';
import { makeOptimizerConfig, validateOptimizer, type OptimizerConfig, type OptimizerKind, type OptimizerSettings } from './optim';
import { validateSchedule, type ScheduleConfig } from './schedule';
import { checkModelBudget } from './budget';
import { ConfigError } from '../errors';

export type Task = TaskKind | 'lm';

/** Stop when either is reached; at least one is set. `epochs` counts completed epochs. */
export interface Target {
  steps?: number;
  epochs?: number;
}

export interface RunConfig {
  model: ModelSpec;
  task: Task;
  optimizer: OptimizerConfig;
  schedule: ScheduleConfig;
  batchSize: number;
  seed: number;
  valFraction: number;
  /** max global gradient norm; 0 turns clipping off. */
  clipNorm: number;
  /** name patterns of parameters that do not train (see freeze.ts). */
  freeze: string[];
  /** read the training loss back every N steps (a GPU sync point). */
  logEvery: number;
  /** evaluate on the validation split every N steps. */
  evalEvery: number;
  target: Target;
  /**
   * Early stopping (absent = off): stop after this many evaluations in a row without a new best
   * validation loss. The run then ends as done, with a final checkpoint and the reason.
   */
  patience?: number;
  /**
   * Early stopping (absent = off): at step `byStep`, stop if the training loss EMA is still above
   * `above` ("if the loss is still above X by step N, something is wrong: check the data and LR").
   */
  stopIfLoss?: { above: number; byStep: number };
  /** how the dataset was parsed, so the same file parses the same way on resume. */
  data: Pick<ParseOptions, 'label' | 'task' | 'imageSize' | 'channels'>;
}

/**
 * What a person may set; everything else gets a default suited to the dataset. Flat: the model
 * families' settings (`hidden`, `contextLength`, ...) and the optimizers' sit beside the common
 * ones under the keys their registry entries' `fields` name (models/*.ts, optim).
 */
export interface ConfigOverrides extends OptimizerSettings {
  [setting: string]: FieldValue | string | string[] | undefined;
  family?: ModelFamily;
  optimizer?: OptimizerKind;
  batchSize?: number;
  seed?: number;
  valFraction?: number;
  clipNorm?: number;
  freeze?: string[];
  schedule?: ScheduleConfig['kind'];
  warmupSteps?: number;
  scheduleSteps?: number;
  logEvery?: number;
  evalEvery?: number;
  steps?: number;
  epochs?: number;
  dropout?: number;
  patience?: number;
  /** with stopByStep: the stopIfLoss setting. */
  stopIfLossAbove?: number;
  stopByStep?: number;
}

/** The default family for a dataset: the first one registered for its kind of data. */
export function defaultFamily(ds: Dataset): ModelFamily {
  return familiesFor(ds.kind)[0];
}

export function taskOf(ds: Dataset): Task {
  return ds.kind === 'tabular' ? ds.task : ds.kind === 'image' ? 'classification' : 'lm';
}

export function makeConfig(ds: Dataset, o: ConfigOverrides = {}, data: RunConfig['data'] = {}, baseSpec?: ModelSpec): RunConfig {
  const family = o.family ?? baseSpec?.family ?? defaultFamily(ds);
  const model = specFor(ds, family, o, baseSpec);
  const optimizer: OptimizerConfig = makeOptimizerConfig(o.optimizer, o, { dataset: ds.kind });
  const batchSize = o.batchSize ?? (ds.kind === 'text' ? RUN_DEFAULTS.batchSize.text : RUN_DEFAULTS.batchSize.other);
  const target: Target = o.steps !== undefined || o.epochs !== undefined ? { steps: o.steps, epochs: o.epochs } : { epochs: RUN_DEFAULTS.epochs };
  // A decaying schedule ends where the run ends (its target in steps, from steps or epochs); a
  // run given no length keeps the fixed fallback length (RUN_DEFAULTS.schedule.cosineSteps).
  const explicitTarget = o.steps !== undefined || o.epochs !== undefined;
  const kind = o.schedule ?? 'constant';
  const sd = RUN_DEFAULTS.schedule;
  const schedule: ScheduleConfig =
    kind === 'cosine' || kind === 'linear'
      ? { kind, warmupSteps: o.warmupSteps ?? 0, totalSteps: o.scheduleSteps ?? (explicitTarget ? plannedSteps(ds, model, o.valFraction ?? RUN_DEFAULTS.valFraction, batchSize, target) : undefined) ?? sd.cosineSteps, minFactor: sd.minFactor }
      : kind === 'step'
        ? { kind, stepSize: o.scheduleSteps ?? sd.stepSize, gamma: sd.gamma }
        : { kind: 'constant' };
  const valFraction = o.valFraction ?? RUN_DEFAULTS.valFraction;
  const cfg: RunConfig = {
    model,
    task: taskOf(ds),
    optimizer,
    schedule,
    batchSize,
    seed: o.seed ?? RUN_DEFAULTS.seed,
    valFraction,
    clipNorm: o.clipNorm ?? RUN_DEFAULTS.clipNorm,
    freeze: o.freeze ?? [],
    logEvery: o.logEvery ?? RUN_DEFAULTS.logEvery,
    evalEvery: o.evalEvery ?? defaultEvalEvery(plannedSteps(ds, model, valFraction, batchSize, target) ?? Infinity),
    target,
    data,
  };
  if (o.patience !== undefined) cfg.patience = o.patience;
  if (o.stopIfLossAbove !== undefined || o.stopByStep !== undefined) {
    if (o.stopIfLossAbove === undefined || o.stopByStep === undefined) throw new ConfigError('invalid_config', 'stop-if-loss needs both a loss and a step (stopIfLossAbove and stopByStep)');
    cfg.stopIfLoss = { above: o.stopIfLossAbove, byStep: o.stopByStep };
  }
  const err = validateConfig(cfg);
  if (err) throw new ConfigError('invalid_config', err);
  checkModelBudget(cfg.model, cfg.optimizer, cfg.batchSize); // before anything is allocated
  return cfg;
}

/**
 * A new run's length in steps: its target, whether given in steps or epochs (epochs x steps per
 * epoch, from the split and the batch size; the smaller when both are given). A decaying
 * schedule's default length, so it ends where the run ends. Undefined when it cannot be known.
 */
export function plannedSteps(ds: Dataset, model: ModelSpec, valFraction: number, batchSize: number, target: Target): number | undefined {
  let total = target.steps ?? Infinity;
  if (target.epochs !== undefined) {
    const { numTrain } = splitSizes(numSamples(ds, positionsOf(model)), valFraction);
    const spe = Math.floor(numTrain / batchSize);
    if (spe > 0) total = Math.min(total, target.epochs * spe);
  }
  return Number.isFinite(total) && total > 0 ? total : undefined;
}

const posInt = (v: unknown) => Number.isInteger(v) && (v as number) > 0;

/** Validates a config from a form or a (possibly hostile) checkpoint. Returns a message or null. */
export function validateConfig(c: RunConfig): string | null {
  if (typeof c !== 'object' || c === null) return 'config is not an object';
  // A checkpoint from elsewhere may lack a nested object: name it rather than crash reading into it.
  for (const key of ['model', 'optimizer', 'schedule', 'target', 'data'] as const) {
    const v: unknown = c[key];
    if (v === undefined || v === null) return `${key} is missing`;
    if (typeof v !== 'object' || Array.isArray(v)) return `${key} is not an object`;
  }
  const specErr = validateSpec(c.model);
  if (specErr) return specErr;
  const optErr = validateOptimizer(c.optimizer);
  if (optErr) return optErr;
  const schErr = validateSchedule(c.schedule);
  if (schErr) return schErr;
  if (!['classification', 'regression', 'lm'].includes(c.task)) return `unknown task ${c.task}`;
  if (!posInt(c.batchSize) || c.batchSize > LIMITS.batchSize) return `batch size must be a positive integer up to ${LIMITS.batchSize}, got ${c.batchSize}`;
  if (!Number.isInteger(c.seed) || c.seed < 0 || c.seed > LIMITS.maxSeed) return `seed must be an integer in [0, 2^32), got ${c.seed}`;
  if (!(c.valFraction >= 0 && c.valFraction <= LIMITS.maxValFraction)) return `validation fraction must be in [0, ${LIMITS.maxValFraction}], got ${c.valFraction}`;
  if (!(c.clipNorm >= 0)) return 'clipNorm must be >= 0';
  if (!Array.isArray(c.freeze) || !c.freeze.every((p) => typeof p === 'string')) return 'freeze must be a list of name patterns';
  if (c.freeze.length > LIMITS.freezePatterns) return `at most ${LIMITS.freezePatterns} freeze patterns, got ${c.freeze.length}`;
  if (c.freeze.some((p) => p.length > LIMITS.freezePatternLength)) return `a freeze pattern is longer than ${LIMITS.freezePatternLength} characters`;
  if (!posInt(c.logEvery) || !posInt(c.evalEvery)) return 'logEvery and evalEvery must be positive integers';
  const t = c.target ?? {};
  if (t.steps === undefined && t.epochs === undefined) return 'set a number of steps or epochs';
  if (t.steps !== undefined && !posInt(t.steps)) return `steps must be a positive integer, got ${t.steps}`;
  if (t.epochs !== undefined && !posInt(t.epochs)) return `epochs must be a positive integer, got ${t.epochs}`;
  // early stopping: absent in checkpoints written before it existed (= off)
  if (c.patience !== undefined && !posInt(c.patience)) return `patience must be a positive integer (evaluations), got ${c.patience}`;
  if (c.stopIfLoss !== undefined) {
    const s = c.stopIfLoss as unknown as Record<string, unknown>;
    if (typeof s !== 'object' || s === null || typeof s.above !== 'number' || !Number.isFinite(s.above) || !posInt(s.byStep)) {
      return `stopIfLoss must be {above: a finite number, byStep: a positive integer}, got ${JSON.stringify(c.stopIfLoss)}`;
    }
  }
  return null;
}
export { specFor } from './models';
