// Command-line options -> engine overrides. Every number is checked here, so a typo gives a
// one-line message naming the option instead of a stack trace from deep in the engine.
import { parseArgs } from 'node:util';
import type { ConfigOverrides } from '../engine/config';
import type { ResumeOverrides } from '../engine/session';
import { CHECKPOINT_DEFAULTS, LIMITS } from '../engine/defaults';
import { parseField } from '../engine/fields';
import { allFields, FAMILY_NAMES } from '../engine/models';
import type { ParseOptions } from '../engine/data/types';
import { SCHEDULE_KINDS } from '../engine/schedule';
import { allOptimizerFields, OPTIMIZER_KINDS, type OptimizerSettings } from '../engine/optim';
import { GLOBAL_HELP } from './commands';

import { UsageError } from '../errors'; // one kind of the error family (src/errors.ts)
export { UsageError };

const TRAIN_OPTIONS = {
  data: { type: 'string' },
  out: { type: 'string' },
  model: { type: 'string' },
  label: { type: 'string' },
  task: { type: 'string' },
  steps: { type: 'string' },
  epochs: { type: 'string' },
  // resume only: relative to the checkpoint's step / epoch (src/cli/targets.ts)
  'more-steps': { type: 'string' },
  'more-epochs': { type: 'string' },
  'batch-size': { type: 'string' },
  lr: { type: 'string' },
  optimizer: { type: 'string' },
  seed: { type: 'string' },
  'checkpoint-every': { type: 'string' },
  // train, resume, fresh: the app's checkpoint kinds as files in a folder (src/cli/savedir.ts)
  'save-dir': { type: 'string' },
  'periodic-every': { type: 'string' },
  keep: { type: 'string' },
  schedule: { type: 'string' },
  'warmup-steps': { type: 'string' },
  'schedule-steps': { type: 'string' },
  freeze: { type: 'string', multiple: true },
  'val-fraction': { type: 'string' },
  'clip-norm': { type: 'string' },
  dropout: { type: 'string' },
  'log-every': { type: 'string' },
  'eval-every': { type: 'string' },
  patience: { type: 'string' },
  'stop-if-loss-above': { type: 'string' },
  'by-step': { type: 'string' },
  'image-size': { type: 'string' },
  channels: { type: 'string' },
  backend: { type: 'string' },
  reschedule: { type: 'boolean' },
  force: { type: 'boolean' },
  // train and fresh: replace an existing --out (src/cli/files.ts checkOut)
  overwrite: { type: 'boolean' },
  json: { type: 'boolean' },
  quiet: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The model families' settings (`--hidden`, `--context-length`, ...), generated from the registry. */
const MODEL_OPTIONS = Object.fromEntries(allFields().map((f) => [f.flag, { type: 'string' as const }]));
/** The optimizers' own settings (`--momentum`, `--weight-decay`, `--beta1`...), from the registry. */
const OPTIMIZER_FIELDS = allOptimizerFields().filter((f) => f.flag !== 'lr'); // --lr is above: resume reads it too
const OPTIONS = { ...TRAIN_OPTIONS, ...MODEL_OPTIONS, ...Object.fromEntries(OPTIMIZER_FIELDS.map((f) => [f.flag, { type: 'string' as const }])) };

/** Every flag the parser knows; each must belong to some command in commands.ts (a test checks). */
export const OPTION_NAMES: readonly string[] = Object.keys(OPTIONS);

export type Flags = Partial<Record<keyof typeof TRAIN_OPTIONS, string | string[] | boolean>> & Record<string, string | string[] | boolean | undefined>;
type FlagName = keyof typeof TRAIN_OPTIONS | string;

/**
 * `--steps -1`: node's parseArgs takes "-1" for an option and says "argument is ambiguous".
 * A negative number after an option that takes a value is that option's value (`--steps=-1`), so
 * the option's own check answers ("--steps: expected a positive integer, got '-1'").
 */
function joinNegativeValues(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!, next = argv[i + 1];
    const name = a.startsWith('--') ? a.slice(2) : '';
    const opt = (OPTIONS as Record<string, { type: string }>)[name];
    if (opt?.type === 'string' && next !== undefined && /^-(\d|\.\d|inf)/i.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}

export function parse(argv: string[]): { positionals: string[]; flags: Flags } {
  try {
    const { values, positionals } = parseArgs({ args: joinNegativeValues(argv), options: OPTIONS, allowPositionals: true, strict: true });
    return { positionals, flags: values as Flags };
  } catch (e) {
    throw new UsageError((e as Error).message.split('\n')[0]);
  }
}

export function num(flags: Flags, name: FlagName, kind: 'int' | 'posint' | 'float' | 'fraction' | 'valFraction'): number | undefined {
  const raw = flags[name];
  if (raw === undefined) return undefined;
  const v = Number(raw);
  const ok =
    kind === 'int' ? Number.isInteger(v) && v >= 0 : kind === 'posint' ? Number.isInteger(v) && v > 0 : kind === 'fraction' ? v >= 0 && v < 1 : kind === 'valFraction' ? v >= 0 && v <= LIMITS.maxValFraction : Number.isFinite(v);
  if (String(raw).trim() === '' || !ok) {
    const want = { int: 'a non-negative integer', posint: 'a positive integer', float: 'a number', fraction: 'a number in [0, 1)', valFraction: `a number in [0, ${LIMITS.maxValFraction}]` }[kind];
    throw new UsageError(`--${name}: expected ${want}, got '${String(raw)}'`);
  }
  return v;
}

/** --batch-size: a positive integer up to LIMITS.batchSize, the limit said (1e9 used to get only "must be a positive integer"). */
function batchSize(flags: Flags): number | undefined {
  const raw = flags['batch-size'];
  const v = num(flags, 'batch-size', 'posint');
  if (v !== undefined && v > LIMITS.batchSize) throw new UsageError(`--batch-size: expected a positive integer up to ${LIMITS.batchSize}, got '${String(raw)}'`);
  return v;
}

/** The model settings given as flags, parsed by their registry descriptions. */
function modelSettings(flags: Flags): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of allFields()) {
    const raw = flags[f.flag];
    if (raw === undefined) continue;
    const r = parseField(f, String(raw));
    if ('error' in r) throw new UsageError(`--${f.flag}: ${r.error}`);
    out[f.key] = r.value;
  }
  return out;
}

function oneOf<T extends string>(flags: Flags, name: FlagName, allowed: readonly T[]): T | undefined {
  const raw = flags[name];
  if (raw === undefined) return undefined;
  if (!allowed.includes(raw as T)) throw new UsageError(`--${name}: expected one of ${allowed.join(', ')}, got '${String(raw)}'`);
  return raw as T;
}

export function stepsOrEpochs(flags: Flags): { steps?: number; epochs?: number } {
  return { steps: num(flags, 'steps', 'posint'), epochs: num(flags, 'epochs', 'posint') };
}

/** --lr and the optimizers' own flags, each checked against its field's bounds. */
function optimizerSettings(flags: Flags): OptimizerSettings {
  const out: Record<string, number> = {};
  for (const f of allOptimizerFields()) {
    const raw = flags[f.flag];
    if (raw === undefined) continue;
    const r = parseField(f, String(raw));
    if ('error' in r) throw new UsageError(`--${f.flag}: ${r.error}`);
    out[f.key] = r.value as number;
  }
  return out;
}

export function trainOverrides(flags: Flags): ConfigOverrides {
  const o: ConfigOverrides = {
    family: oneOf(flags, 'model', FAMILY_NAMES),
    optimizer: oneOf(flags, 'optimizer', OPTIMIZER_KINDS),
    schedule: oneOf(flags, 'schedule', SCHEDULE_KINDS),
    ...optimizerSettings(flags),
    batchSize: batchSize(flags),
    seed: num(flags, 'seed', 'int'),
    valFraction: num(flags, 'val-fraction', 'valFraction'),
    clipNorm: num(flags, 'clip-norm', 'float'),
    warmupSteps: num(flags, 'warmup-steps', 'int'),
    scheduleSteps: num(flags, 'schedule-steps', 'posint'),
    logEvery: num(flags, 'log-every', 'posint'),
    evalEvery: num(flags, 'eval-every', 'posint'),
    dropout: num(flags, 'dropout', 'fraction'),
    ...earlyStopping(flags),
    ...modelSettings(flags),
    freeze: flags.freeze as string[] | undefined,
    ...stepsOrEpochs(flags),
  };
  for (const k of Object.keys(o) as (keyof ConfigOverrides)[]) if (o[k] === undefined) delete o[k];
  return o;
}

/**
 * Everything given on `resume`, parsed and bounds-checked as for `train`: the engine's table
 * (engine/resume-rules.ts) then applies or refuses each setting, so none is dropped silently.
 */
export function resumeOverrides(flags: Flags): ResumeOverrides {
  const o: ResumeOverrides = { ...trainOverrides(flags), ...parseOptions(flags) };
  // `--freeze ''` on resume: no frozen parameters any more (an empty pattern matches nothing)
  if (Array.isArray(o.freeze)) o.freeze = o.freeze.filter((p) => p !== '');
  if (flags.reschedule === true) o.reschedule = true;
  return o;
}

/** --patience N and --stop-if-loss-above X --by-step N (early stopping; the engine decides, engine/trainer.ts). */
function earlyStopping(flags: Flags): Pick<ConfigOverrides, 'patience' | 'stopIfLossAbove' | 'stopByStep'> {
  const above = num(flags, 'stop-if-loss-above', 'float');
  const byStep = num(flags, 'by-step', 'posint');
  if ((above === undefined) !== (byStep === undefined)) throw new UsageError('--stop-if-loss-above and --by-step go together: stop at step N if the training loss EMA is still above X');
  return { patience: num(flags, 'patience', 'posint'), stopIfLossAbove: above, stopByStep: byStep };
}

export function parseOptions(flags: Flags): Pick<ParseOptions, 'label' | 'task' | 'imageSize' | 'channels'> {
  const size = num(flags, 'image-size', 'posint');
  const channels = num(flags, 'channels', 'posint');
  if (channels !== undefined && channels !== 1 && channels !== 3) throw new UsageError(`--channels: expected 1 or 3, got ${channels}`);
  const out: Pick<ParseOptions, 'label' | 'task' | 'imageSize' | 'channels'> = {};
  if (flags.label !== undefined) out.label = String(flags.label);
  const task = oneOf(flags, 'task', ['classification', 'regression'] as const);
  if (task) out.task = task;
  if (size) out.imageSize = { height: size, width: size };
  if (channels) out.channels = channels as 1 | 3;
  return out;
}

/** Where a run writes: --out FILE, --save-dir DIR, or both (at least one); --periodic-every and --keep need --save-dir. */
export function outputs(flags: Flags, defaultSaveDir?: string): { out?: string; saveDir?: string; periodicEvery: number; keep: number } {
  const str = (name: 'out' | 'save-dir') => {
    const v = flags[name];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || !v) throw new UsageError(`--${name}: expected a ${name === 'out' ? 'file' : 'folder'}`);
    return v;
  };
  const out = str('out');
  let saveDir = str('save-dir');
  if (out === undefined && saveDir === undefined) saveDir = defaultSaveDir;
  if (out === undefined && saveDir === undefined) throw new UsageError('missing --out FILE.ckpt or --save-dir DIR (either, or both)');
  const periodicEvery = num(flags, 'periodic-every', 'int') ?? 0;
  const keep = num(flags, 'keep', 'posint') ?? CHECKPOINT_DEFAULTS.keepPeriodic;
  if (saveDir === undefined) {
    for (const f of ['periodic-every', 'keep'] as const) if (flags[f] !== undefined) throw new UsageError(`--${f} writes step-N.ckpt files into --save-dir DIR; give --save-dir too`);
  }
  return { out, saveDir, periodicEvery, keep };
}

export function requireString(flags: Flags, name: 'data' | 'out'): string {
  const v = flags[name];
  if (typeof v !== 'string' || !v) throw new UsageError(`missing --${name} ${name === 'data' ? 'FILE' : 'FILE.ckpt'}`);
  return v;
}

/** `tabtrain --help`: the commands; each command's options are in `tabtrain help COMMAND` (commands.ts). */
export const USAGE = GLOBAL_HELP;
