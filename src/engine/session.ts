// Starting, resuming and running a training session: the part the worker and the CLI share
// (checkpoint policy, resume/fresh decisions), so neither front end carries engine logic.
import * as tf from '@tensorflow/tfjs';
import { checkResumeCompat, compareFingerprints } from '../ckpt/compat';
import type { CkptContents, CkptTensor } from '../ckpt/types';
import { makeConfig, validateConfig, type ConfigOverrides, type RunConfig, type Target } from './config';
import { splitSizes, stepsToEpochs } from './cursor';
import type { Dataset, ParseOptions } from './data/types';
import { numSamples } from './device-data';
import { applyFreeze } from './freeze';
import { checkModelBudget } from './budget';
import { allFields, familyDef, modelTensors, paramDefs, positionsOf, specFor } from './models';
import { allOptimizerFields, optimizerDef, slotNames } from './optim';
import { DIVERGES, RESUME_RULES, resumeRule, type ResumeRule } from './resume-rules';
import { hasLength } from './schedule';
import { labelsOf, validateState, type CheckpointKind, type StateMeta } from './state';
import { Trainer, type Progress } from './trainer';
import { changedDataMessage, describeChange } from './data-change';
import { ConfigError, ResumeRefused } from '../errors'; // one kind of the error family (src/errors.ts)
export { ResumeRefused, RESUME_RULES, type ResumeRule };

/**
 * What a person may ask for when resuming: any run setting (ConfigOverrides) and parse option;
 * RESUME_RULES (resume-rules.ts) says which apply and which are refused. A value equal to the
 * checkpoint's is no change.
 */
export interface ResumeOverrides extends NamedSettings, Pick<ParseOptions, 'label' | 'task' | 'imageSize' | 'channels'> {
  /** the model families' settings (`hidden`, ...) by key, as in ConfigOverrides: refused when changed. */
  [setting: string]: unknown;
  /** stretch a decaying schedule (cosine, linear) over the new target (otherwise it stays at its floor past the old end). */
  reschedule?: boolean;
}
/** ConfigOverrides' named settings, without its index signature (which would not admit `reschedule`). */
type NamedSettings = { [K in keyof ConfigOverrides as string extends K ? never : K]?: ConfigOverrides[K] };

/** Where the run stands, for re-planning a schedule in steps (resumeSession passes it). */
export interface ResumePosition {
  step: number;
  cursor: { epoch: number; index: number };
  numTrain: number;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const show = (v: unknown): string => (v === undefined ? 'none' : Array.isArray(v) ? (v.length ? v.join(',') : 'none') : typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v));
const showTarget = (t: Target) => [t.steps !== undefined ? `${t.steps} steps` : '', t.epochs !== undefined ? `${t.epochs} epochs` : ''].filter(Boolean).join(' or ');
/** A list for a one-line message: quoted, at most 8 items shown. */
const cut = (xs: string[]) => xs.slice(0, 8).map((x) => JSON.stringify(x)).join(', ') + (xs.length > 8 ? `, ... (${xs.length})` : '');
const named = (label: string, flag?: string) => (flag ? `${label} (--${flag})` : label);

/** The stored value of a setting resume refuses to change (so asking for the same is no change). */
function storedValue(c: RunConfig, key: string): unknown {
  const sched = c.schedule as unknown as Record<string, unknown>;
  switch (key) {
    case 'family': return c.model.family;
    case 'optimizer': return c.optimizer.kind;
    case 'schedule': return sched.kind;
    case 'warmupSteps': return sched.warmupSteps;
    case 'scheduleSteps': return sched.totalSteps ?? sched.stepSize;
    case 'label': case 'task': case 'imageSize': case 'channels': return (c.data as Record<string, unknown>)[key];
    default: return (c as unknown as Record<string, unknown>)[key];
  }
}

/** The run's length in steps from `at` with batch size `b` (the smaller of the targets). */
function planned(at: ResumePosition, b: number, t: Target): number {
  let total = t.steps ?? Infinity;
  if (t.epochs !== undefined) total = Math.min(total, at.step + stepsToEpochs(at.cursor, at.numTrain, b, t.epochs));
  return total;
}

/**
 * The stored config with the allowed changes applied (one warning each, from what to what) and
 * every refused change thrown at once as one line (ResumeRefused `fixed_setting`). `at` lets a
 * decaying schedule be re-planned in steps (batch-size change, --reschedule with --epochs).
 */
export function resumeConfig(saved: RunConfig, o: ResumeOverrides, at?: ResumePosition): { config: RunConfig; warnings: string[] } {
  const warnings: string[] = [];
  const refused: string[] = [];
  const config: RunConfig = structuredClone(saved);
  const optFields = new Map(allOptimizerFields().map((f) => [f.key, f]));
  const modelFields = new Map(allFields().map((f) => [f.key, f]));
  const fam = familyDef(saved.model.family);
  const famValues = fam.values(saved.model) as Record<string, unknown>;
  const ownOpt = new Set(optimizerDef(saved.optimizer.kind).fields.map((f) => f.key));
  const warn = (label: string, from: unknown, to: unknown, means: string) => warnings.push(`${label} changed from ${show(from)} to ${show(to)}: ${means}`);

  if (o.steps !== undefined || o.epochs !== undefined) {
    const target: Target = { steps: o.steps, epochs: o.epochs };
    if (!same(showTarget(target), showTarget(saved.target))) warnings.push(`target changed from ${showTarget(saved.target)} to ${showTarget(target)}: ${resumeRule('steps')!.means}`);
    config.target = target;
  }
  if (o.stopIfLossAbove !== undefined || o.stopByStep !== undefined) {
    // two flags, one setting ({above, byStep}); a flag not given keeps its stored half
    const was = saved.stopIfLoss;
    const above = (o.stopIfLossAbove as number | undefined) ?? was?.above;
    const byStep = (o.stopByStep as number | undefined) ?? was?.byStep;
    if (above === undefined || byStep === undefined) throw new ConfigError('invalid_config', 'cannot resume with these settings: --stop-if-loss-above and --by-step go together');
    const now = { above, byStep };
    if (!same(was, now)) {
      warnings.push(`loss threshold changed from ${was ? `${was.above} by step ${was.byStep}` : 'none'} to ${above} by step ${byStep}: ${resumeRule('stopIfLoss')!.means}`);
      config.stopIfLoss = now;
    }
  }
  for (const [key, value] of Object.entries(o)) {
    if (value === undefined || key === 'steps' || key === 'epochs' || key === 'reschedule' || key === 'stopIfLossAbove' || key === 'stopByStep') continue;
    const rule = resumeRule(key);
    if (optFields.has(key)) {
      const f = optFields.get(key)!;
      const was = (saved.optimizer as unknown as Record<string, unknown>)[key];
      if (!ownOpt.has(key)) refused.push(`${named(f.label.toLowerCase(), f.flag)}, which ${saved.optimizer.kind} does not have`);
      else if (!same(was, value)) {
        warn(f.label.toLowerCase(), was, value, DIVERGES);
        (config.optimizer as unknown as Record<string, unknown>)[key] = value;
      }
    } else if (rule?.rule === 'apply') {
      const was = key === 'dropout' ? saved.model.dropout : (saved as unknown as Record<string, unknown>)[key];
      if (same(was, value)) continue;
      warn(rule.label, was, value, rule.means ?? DIVERGES);
      if (key === 'dropout') config.model = { ...config.model, dropout: value as number };
      else (config as unknown as Record<string, unknown>)[key] = value;
    } else if (rule?.rule === 'refuse') {
      if (!same(storedValue(saved, key), value)) refused.push(named(rule.label, rule.flag));
    } else if (modelFields.has(key)) {
      const f = modelFields.get(key)!;
      if (!fam.fields.some((x) => x.key === key)) refused.push(`${named(f.label.toLowerCase(), f.flag)}, which ${saved.model.family} does not have`);
      else if (!same(famValues[key], value)) refused.push(named(f.label.toLowerCase(), f.flag));
    } else refused.push(key); // not a setting resume knows: refuse rather than drop it silently
  }
  if (refused.length) {
    throw new ResumeRefused(`cannot resume with a changed ${refused.join(', ')}: these fix the model, the data or its order; start a new run from these weights with fresh instead`, 'fixed_setting', { settings: refused });
  }

  // Re-plan a decaying schedule's length in steps (it is a pure function of the step, so
  // changing `totalSteps` is the whole change; the LR may jump, which the warning says).
  if (hasLength(config.schedule)) {
    const s = config.schedule;
    const from = s.totalSteps;
    let to = from;
    let why = '';
    if (at && config.batchSize !== saved.batchSize) {
      // A schedule planned to end with the old target keeps ending with it, in steps of the new
      // size; any other length keeps its end at the same point of the data (in samples).
      const oldPlan = planned(at, saved.batchSize, saved.target);
      if (from === oldPlan) to = planned(at, config.batchSize, saved.target);
      else if (from > at.step) to = at.step + Math.max(1, Math.round(((from - at.step) * saved.batchSize) / config.batchSize));
      why = `to end at the same point of the data with batch size ${config.batchSize}`;
    }
    if (o.reschedule) {
      const target = at ? planned(at, config.batchSize, config.target) : (config.target.steps ?? Infinity);
      if (Number.isFinite(target)) {
        to = target;
        why = 'to end at the new target';
      } else warnings.push(`--reschedule: the target in steps is not known here, the ${s.kind} schedule keeps ${from} steps`);
    }
    if (to !== from && Number.isFinite(to)) {
      warnings.push(`${s.kind} schedule length changed from ${from} to ${to} steps ${why}: the learning rate from here on follows the new length`);
      config.schedule = { ...s, totalSteps: to };
    }
  } else if (o.reschedule) warnings.push(`--reschedule: a ${config.schedule.kind} schedule has no length to stretch; nothing changed`);

  const err = validateConfig(config);
  if (err) throw new ConfigError('invalid_config', `cannot resume with these settings: ${err}`);
  checkModelBudget(config.model, config.optimizer, config.batchSize); // a new batch size may not fit
  return { config, warnings };
}

/**
 * The checkpoint's optimizer slots for a changed set of frozen parameters: a newly frozen
 * parameter's slots are dropped (it no longer updates); a newly trainable one gets the
 * optimizer's initial slots (zeros for every optimizer today), as if its first update were
 * now, while the update count `t` stays the run's (so AdamW's bias correction is already ~1:
 * its first steps are larger than a fresh start's would be; documented in docs/engine.md).
 */
function refreezeSlots(ckpt: CkptContents, config: RunConfig): CkptContents {
  const defs = paramDefs(config.model);
  const trainable = new Set(applyFreeze(defs.map((p) => p.name).sort(), config.freeze).trainable);
  const slotOf = (name: string) => name.slice('optim.'.length, name.lastIndexOf('.'));
  const tensors = ckpt.tensors.filter((t) => !t.name.startsWith('optim.') || trainable.has(slotOf(t.name)));
  const have = new Set(tensors.map((t) => t.name));
  const def = optimizerDef(config.optimizer.kind);
  for (const p of defs) {
    if (!trainable.has(p.name) || slotNames(config.optimizer).every((s) => have.has(`optim.${p.name}.${s}`))) continue;
    const init = def.init(config.optimizer, p.shape);
    for (const [slot, v] of Object.entries(init)) {
      tensors.push({ name: `optim.${p.name}.${slot}`, dtype: 'F32', shape: p.shape.slice(), data: v.dataSync() as Float32Array } as CkptTensor);
    }
    tf.dispose(Object.values(init));
  }
  return { ...ckpt, tensors };
}

/**
 * Why the checkpoint's model cannot train on `ds`, whatever `force` says, or null when it fits:
 * the tensors the registry expects for this data (same inputs, classes, vocabulary) must be the
 * checkpoint's, and where the checkpoint records them, the class names or vocabulary must be
 * the same in the same order. The worker's resume plan shows the same reason.
 */
export function dataMisfit(ckpt: CkptContents, state: StateMeta, ds: Dataset): ResumeRefused | null {
  const saved = state.config;
  let expected: { name: string; shape: number[] }[];
  try {
    expected = modelTensors(specFor(ds, saved.model.family, {}, saved.model));
  } catch (e) {
    return new ResumeRefused(`cannot resume on this data, even when forced: ${(e as Error).message}; start a new run with fresh`, 'architecture_mismatch');
  }
  const fits = checkResumeCompat(ckpt.tensors.filter((t) => t.name.startsWith('model.')), expected);
  if (!fits.ok) {
    return new ResumeRefused(`cannot resume: the model does not fit this data, even when forced (${fits.problems.join('; ')}); start a new run from these weights with fresh`, 'architecture_mismatch', { problems: fits.problems });
  }
  // Same sizes, different meaning (classes reordered or renamed, another vocabulary): the
  // head's rows or the embedding's rows would stand for other things. Checkpoints that record
  // the labels (DatasetInfo.labels) are checked; older ones carry only the sizes.
  const was = state.dataset.labels;
  const now = labelsOf(ds);
  if (was && now && !same(was, now)) {
    const what = ds.kind === 'text' ? 'vocabulary' : 'classes';
    return new ResumeRefused(`cannot resume: the ${what} differ from the checkpoint's, even when forced (checkpoint: ${cut(was)}; data: ${cut(now)}); start a new run from these weights with fresh`, 'architecture_mismatch', { labels: { checkpoint: was.length, data: now.length } });
  }
  return null;
}

/**
 * Resume a run from a checkpoint on this dataset. A changed dataset is refused unless `force`:
 * the optimizer moments, schedule and data order belong to the old data; fresh-from-weights is
 * the right flow (how Python trainers handle a changed dataset; docs/engine.md "Resume or fresh").
 * Whatever `force` says, the model must still fit the data: the tensors the registry expects for
 * this data (same inputs, classes, vocabulary) must be the checkpoint's, or training would crash
 * in a matmul or silently train a head with the wrong number of outputs.
 */
export function resumeSession(ckpt: CkptContents, ds: Dataset, o: ResumeOverrides & { force?: boolean; device?: string } = {}): Trainer {
  const state = validateState(ckpt.state);
  const fp = compareFingerprints(state.dataset.fingerprint, ds.fingerprint);
  // what changed, in words (data-change.ts), and seed 000's advice: fresh from the weights
  if (!fp.same && !o.force) throw new ResumeRefused(changedDataMessage(state.dataset, ds), 'dataset_changed', { change: describeChange(state.dataset, ds) });
  const saved = state.config;
  const misfit = dataMisfit(ckpt, state, ds);
  if (misfit) throw misfit;
  const { device, force: _force, ...overrides } = o;
  const numTrain = splitSizes(numSamples(ds, positionsOf(saved.model)), saved.valFraction).numTrain;
  const { config, warnings } = resumeConfig(saved, overrides, { step: state.step, cursor: state.cursor, numTrain });
  const contents = same(config.freeze, saved.freeze) ? ckpt : refreezeSlots(ckpt, config);
  const t = Trainer.resume(contents, ds, config, device);
  t.warnings.push(...warnings);
  return t;
}

/** A new run that takes only the weights from `ckpt`; the model keeps the checkpoint's architecture,
 *  resized where the data demands (new classes, bigger vocabulary). */
export function freshSession(ckpt: CkptContents, ds: Dataset, o: ConfigOverrides, data: RunConfig['data'] = {}, device?: string, opts: { freezeKnown?: boolean } = {}): Trainer {
  const state: StateMeta = validateState(ckpt.state);
  const config = makeConfig(ds, { family: state.config.model.family, ...o }, data, state.config.model);
  return Trainer.create({ config, dataset: ds, freshFrom: ckpt, device, freezeKnown: opts.freezeKnown });
}

export interface CheckpointPolicy {
  /** write `latest` every N steps (0 = never by steps). */
  everySteps: number;
  /** ...and also whenever this many seconds passed since the last write (0 = never by time). */
  everySeconds: number;
  /** also write `best` when the validation loss improves. */
  best: boolean;
  /** write a `periodic` checkpoint every N steps (0 = never); the store keeps the last K. */
  periodicEvery?: number;
}

export type SaveFn = (contents: CkptContents, kind: CheckpointKind) => Promise<void>;

/**
 * Trains to the target, saving by the policy, and a `final` checkpoint at the end. Returns
 * 'stopped' when shouldStop() asked for it (the caller decides whether to save then).
 */
export async function runSession(
  t: Trainer,
  opts: {
    policy: CheckpointPolicy;
    save: SaveFn;
    target?: Target;
    onProgress?: (p: Progress) => void;
    shouldStop?: () => boolean;
    now?: () => number;
    /** extra work after each step, e.g. yielding to the worker's message loop. */
    afterStep?: () => Promise<void> | void;
    /**
     * Write `latest`/`periodic`/`best` checkpoints in the background: the snapshot (device
     * copies + state) is taken at the step as always, then the readback and `save` run while
     * the next steps train, one write at a time (a checkpoint due while the previous one is
     * still writing waits for it). A failed write is thrown from the next step, and everything
     * is written before runSession returns; the `final` checkpoint is written in the foreground.
     * `save` then runs some steps after the snapshot: it must take the step, epoch and metrics
     * from `contents.state`, not from the live trainer. Off by default.
     */
    overlap?: boolean;
  },
): Promise<'done' | 'stopped'> {
  const now = opts.now ?? (() => Date.now());
  let lastSave = now();
  let lastSavedStep = t.step;
  let bestStep = t.best?.step ?? -1;
  let inFlight: Promise<void> = Promise.resolve();
  let failed: { error: unknown } | null = null;
  const write = async (kind: CheckpointKind) => {
    if (!opts.overlap) return opts.save(await t.snapshot(kind), kind);
    await inFlight;
    if (failed) throw failed.error;
    // snapshot() takes the device copies and the state synchronously, before its first await:
    // the checkpoint holds exactly this step even though training goes on meanwhile.
    const contents = t.snapshot(kind);
    inFlight = contents.then((c) => opts.save(c, kind)).catch((error: unknown) => void (failed ??= { error }));
  };
  let result: 'done' | 'stopped';
  try {
    result = await t.train({
      target: opts.target,
      onProgress: opts.onProgress,
      shouldStop: opts.shouldStop,
      afterStep: async () => {
        if (failed) throw failed.error;
        const p = opts.policy;
        const bySteps = p.everySteps > 0 && t.step - lastSavedStep >= p.everySteps;
        const byTime = p.everySeconds > 0 && now() - lastSave >= p.everySeconds * 1000;
        if (bySteps || byTime) {
          await write('latest');
          lastSave = now();
          lastSavedStep = t.step;
        }
        if (p.periodicEvery && t.step % p.periodicEvery === 0) await write('periodic');
        if (p.best && t.best && t.best.step !== bestStep && t.best.step === t.step) {
          bestStep = t.step;
          await write('best');
        }
        await opts.afterStep?.();
      },
    });
  } finally {
    // Never leave a background write running past the session (the caller disposes the trainer).
    await inFlight;
  }
  if (failed) throw (failed as { error: unknown }).error;
  if (result === 'done') await opts.save(await t.snapshot('final'), 'final');
  return result;
}
