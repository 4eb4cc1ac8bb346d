// The run config: everything a person chose. It travels inside every checkpoint, so a resume
// re-applies it (frozen parameters included); on resume the architecture always comes from the
// checkpoint and only the training length, LR and batch size may be changed on purpose.
import type { Dataset, ParseOptions, TaskKind } from './data/types';
import { validateSpec, type ModelFamily, type ModelSpec } from './models';
import { makeOptimizerConfig, validateOptimizer, type OptimizerConfig, type OptimizerKind, type OptimizerSettings } from './optim';
import { validateSchedule, type ScheduleConfig } from './schedule';

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
  /** how the dataset was parsed, so the same file parses the same way on resume. */
  data: Pick<ParseOptions, 'label' | 'task' | 'imageSize' | 'channels'>;
}

/**
 * What a person may set; everything else gets a default suited to the dataset. The optimizer's
 * settings (`lr`, `weightDecay`, `momentum`, `beta1`...) come from the optimizer registry.
 */
export interface ConfigOverrides extends OptimizerSettings {
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
  hidden?: number[];
  contextLength?: number;
  dModel?: number;
  numHeads?: number;
  numLayers?: number;
  filters?: number[];
}

export function defaultFamily(ds: Dataset): ModelFamily {
  return ds.kind === 'tabular' ? 'mlp' : ds.kind === 'image' ? 'cnn' : 'charlm';
}

/** The model for this dataset: sizes the data dictates (inputs, outputs, vocab) from `ds`, the rest from `o`. */
export function specFor(ds: Dataset, family: ModelFamily, o: ConfigOverrides = {}, base?: ModelSpec): ModelSpec {
  const dropout = o.dropout ?? base?.dropout ?? 0;
  if (family === 'mlp') {
    if (ds.kind !== 'tabular') throw new Error(`the mlp model needs a CSV dataset, not ${ds.kind}`);
    const hidden = o.hidden ?? (base?.family === 'mlp' ? base.hidden : [64, 64]);
    const outputSize = ds.task === 'classification' ? ds.classes.length : 1;
    return { family, inputSize: ds.numFeatures, hidden, outputSize, dropout };
  }
  if (family === 'cnn') {
    if (ds.kind !== 'image') throw new Error(`the cnn model needs an image dataset, not ${ds.kind}`);
    const filters = o.filters ?? (base?.family === 'cnn' ? base.filters : [8, 16]);
    const hidden = o.hidden?.[0] ?? (base?.family === 'cnn' ? base.hidden : 32);
    return { family, height: ds.height, width: ds.width, channels: ds.channels, filters, hidden, outputSize: ds.classes.length, dropout };
  }
  if (ds.kind !== 'text') throw new Error(`the charlm model needs a text dataset, not ${ds.kind}`);
  const b = base?.family === 'charlm' ? base : undefined;
  return {
    family,
    vocabSize: ds.vocab.length,
    contextLength: o.contextLength ?? b?.contextLength ?? 32,
    dModel: o.dModel ?? b?.dModel ?? 32,
    numHeads: o.numHeads ?? b?.numHeads ?? 2,
    numLayers: o.numLayers ?? b?.numLayers ?? 1,
    dropout,
  };
}

export function taskOf(ds: Dataset): Task {
  return ds.kind === 'tabular' ? ds.task : ds.kind === 'image' ? 'classification' : 'lm';
}

export function makeConfig(ds: Dataset, o: ConfigOverrides = {}, data: RunConfig['data'] = {}, baseSpec?: ModelSpec): RunConfig {
  const family = o.family ?? baseSpec?.family ?? defaultFamily(ds);
  const model = specFor(ds, family, o, baseSpec);
  const optimizer: OptimizerConfig = makeOptimizerConfig(o.optimizer, o, { dataset: ds.kind });
  const batchSize = o.batchSize ?? (ds.kind === 'text' ? 16 : 32);
  const target: Target = o.steps !== undefined || o.epochs !== undefined ? { steps: o.steps, epochs: o.epochs } : { epochs: 10 };
  const kind = o.schedule ?? 'constant';
  const schedule: ScheduleConfig =
    kind === 'cosine'
      ? { kind, warmupSteps: o.warmupSteps ?? 0, totalSteps: o.scheduleSteps ?? o.steps ?? 1000, minFactor: 0.1 }
      : kind === 'step'
        ? { kind, stepSize: o.scheduleSteps ?? 100, gamma: 0.5 }
        : { kind: 'constant' };
  const cfg: RunConfig = {
    model,
    task: taskOf(ds),
    optimizer,
    schedule,
    batchSize,
    seed: o.seed ?? 1,
    valFraction: o.valFraction ?? 0.1,
    clipNorm: o.clipNorm ?? 1,
    freeze: o.freeze ?? [],
    logEvery: o.logEvery ?? 10,
    evalEvery: o.evalEvery ?? 50,
    target,
    data,
  };
  const err = validateConfig(cfg);
  if (err) throw new Error(err);
  return cfg;
}

const posInt = (v: unknown) => Number.isInteger(v) && (v as number) > 0;

/** Validates a config from a form or a (possibly hostile) checkpoint. Returns a message or null. */
export function validateConfig(c: RunConfig): string | null {
  if (typeof c !== 'object' || c === null) return 'config is not an object';
  const specErr = validateSpec(c.model);
  if (specErr) return specErr;
  const optErr = validateOptimizer(c.optimizer);
  if (optErr) return optErr;
  const schErr = validateSchedule(c.schedule);
  if (schErr) return schErr;
  if (!['classification', 'regression', 'lm'].includes(c.task)) return `unknown task ${c.task}`;
  if (!posInt(c.batchSize) || c.batchSize > 65536) return `batch size must be a positive integer, got ${c.batchSize}`;
  if (!Number.isInteger(c.seed) || c.seed < 0 || c.seed > 0xffffffff) return `seed must be an integer in [0, 2^32), got ${c.seed}`;
  if (!(c.valFraction >= 0 && c.valFraction < 1)) return `validation fraction must be in [0, 1), got ${c.valFraction}`;
  if (!(c.clipNorm >= 0)) return 'clipNorm must be >= 0';
  if (!Array.isArray(c.freeze) || !c.freeze.every((p) => typeof p === 'string')) return 'freeze must be a list of name patterns';
  if (!posInt(c.logEvery) || !posInt(c.evalEvery)) return 'logEvery and evalEvery must be positive integers';
  const t = c.target ?? {};
  if (t.steps === undefined && t.epochs === undefined) return 'set a number of steps or epochs';
  if (t.steps !== undefined && !posInt(t.steps)) return `steps must be a positive integer, got ${t.steps}`;
  if (t.epochs !== undefined && !posInt(t.epochs)) return `epochs must be a positive integer, got ${t.epochs}`;
  return null;
}
