// What each command takes, in one place: the per-command `--help` is generated from these lists,
// and an option a command does not use is refused naming both (it used to be accepted and
// silently ignored, e.g. `train --json`). Defaults come from the registries (model families,
// optimizers) and engine/defaults.ts, never copied here, so help cannot drift from behaviour.
// A new option must be listed under every command that uses it: test/unit/cli-help.test.ts
// fails for a flag the parser knows but no command lists.
import { CHECKPOINT_DEFAULTS, RUN_DEFAULTS, LIMITS } from '../engine/defaults';
import { formatField } from '../engine/fields';
import { familiesFor, FAMILY_NAMES, familyDef } from '../engine/models';
import { allOptimizerFields, makeOptimizerConfig, OPTIMIZER_KINDS, OPTIMIZERS } from '../engine/optim';
import type { DefaultsContext } from '../engine/optim';
import { RESUME_RULES } from '../engine/resume-rules';
import { SCHEDULE_KINDS } from '../engine/schedule';
import { UsageError } from '../errors';

export const COMMANDS = ['train', 'resume', 'fresh', 'inspect', 'list', 'predict'] as const;
export type Command = (typeof COMMANDS)[number];

export function isCommand(c: unknown): c is Command {
  return typeof c === 'string' && (COMMANDS as readonly string[]).includes(c);
}

/** One option's help line: its flag, its value's placeholder, what it does and its default. */
interface Opt {
  flag: string;
  value?: string;
  help: string;
  /** flags a descriptive line names (a model family's settings), taken by the command too. */
  flags?: string[];
}
type Section = { title: string; opts: Opt[] };

const DATA_KINDS: DefaultsContext['dataset'][] = ['tabular', 'image', 'text'];
const KIND_WORD: Record<DefaultsContext['dataset'], string> = { tabular: 'CSV', image: 'images', text: 'text' };

/** `adamw 0.01 (0.003 on text), sgd 0.05`: each optimizer having the setting, its default per kind of data. */
function optimizerDefaults(key: string): string {
  return OPTIMIZER_KINDS.filter((k) => OPTIMIZERS[k].fields.some((f) => f.key === key))
    .map((k) => {
      const at = (d: DefaultsContext['dataset']) => (OPTIMIZERS[k].defaults({}, { dataset: d }) as unknown as Record<string, number>)[key];
      const base = at('tabular');
      const other = DATA_KINDS.filter((d) => at(d) !== base).map((d) => `${at(d)} on ${KIND_WORD[d]}`);
      return `${k} ${base}${other.length ? ` (${other.join(', ')})` : ''}`;
    })
    .join(', ');
}

/** The engine's own choice when --optimizer is not given. */
const DEFAULT_OPTIMIZER = makeOptimizerConfig(undefined, {}, { dataset: 'tabular' }).kind;

const DATA: Opt = { flag: 'data', value: 'FILE', help: 'a .csv, a .txt, a .zip of images, or a folder with one sub-folder per class (required)' };
const QUIET: Opt = { flag: 'quiet', help: 'no progress lines on stderr' };
const BACKEND: Opt = { flag: 'backend', value: 'wasm|cpu', help: "the tfjs backend: wasm (default; on resume, the checkpoint's own when it is wasm or cpu, which keeps resume bit-identical) or cpu (plain JavaScript, slower). WebGPU runs in the browser app" };
const EVERY: Opt = { flag: 'checkpoint-every', value: 'K', help: 'also write --out and DIR/latest.ckpt every K steps (default 0: only at the end; Ctrl-C saves too)' };
/** The app's checkpoint kinds as files in a folder (savedir.ts). */
const SAVE_DIR: Opt[] = [
  {
    flag: 'save-dir',
    value: 'DIR',
    help: 'write latest.ckpt (--checkpoint-every, Ctrl-C), best.ckpt (a new best validation loss), step-N.ckpt (--periodic-every) and final.ckpt into DIR, atomically; created if missing (its parent must exist); with or instead of --out',
  },
  { flag: 'periodic-every', value: 'N', help: 'with --save-dir: also write DIR/step-N.ckpt every N steps (default 0: none)' },
  { flag: 'keep', value: 'K', help: `with --save-dir: keep the last K step-N.ckpt files, deleting older ones after each new one (default ${CHECKPOINT_DEFAULTS.keepPeriodic})` },
];
const STEPS: Opt = { flag: 'steps', value: 'N', help: 'train until step N, a total (default: none)' };
const EPOCHS: Opt = { flag: 'epochs', value: 'E', help: `train until E epochs are complete, a total (default ${RUN_DEFAULTS.epochs} when neither --steps nor --epochs is given); with both, whichever comes first` };

const EARLY_STOP: Opt[] = [
  { flag: 'patience', value: 'N', help: 'stop after N evaluations without a new best validation loss' },
  { flag: 'stop-if-loss-above', value: 'X', help: 'with --by-step N: stop at step N if the smoothed training loss is still above X' },
  { flag: 'by-step', value: 'N', help: 'the step --stop-if-loss-above is checked at' },
];

const VALUE: Record<string, string> = { 'batch-size': 'B', freeze: 'PATTERN', 'log-every': 'N', 'eval-every': 'N', patience: 'N' };

/** What resume may change: the engine's table (engine/resume-rules.ts), each with what it means. */
function resumeChanges(): Opt[] {
  const opt = allOptimizerFields().map((f) => ({ flag: f.flag, value: 'X', help: `a new ${f.label.toLowerCase()} (default: the run's)` }));
  const rows = RESUME_RULES.filter((r) => r.rule === 'apply' && r.flag && r.key !== 'steps' && r.key !== 'epochs').map((r) => ({
    flag: r.flag!,
    value: VALUE[r.flag!] ?? 'X',
    help: `a new ${r.label}: ${r.means}`,
  }));
  const byStep = { flag: 'by-step', value: 'N', help: 'with --stop-if-loss-above: the step it is checked at' };
  const fixed = RESUME_RULES.filter((r) => r.rule === 'refuse').map((r) => r.label.replace(/ \(.*\)$/, ''));
  return [
    ...opt,
    ...rows,
    byStep,
    { flag: '', help: `Not changeable (refused, each named): ${fixed.join(', ')}; start a new run from the weights with 'tabtrain fresh' for those.` },
  ];
}

function newRunSections(command: 'train' | 'fresh'): Section[] {
  const modelDefault =
    command === 'fresh'
      ? "the parent checkpoint's; its settings are kept unless given, and resized where the data demands"
      : (['tabular', 'image', 'text'] as const).map((k) => `${familiesFor(k)[0]} for ${KIND_WORD[k]}`).join(', ');
  return [
    {
      title: 'Data',
      opts: [
        DATA,
        { flag: 'label', value: 'COL', help: 'the CSV column to predict (default: the last column)' },
        { flag: 'task', value: 'classification|regression', help: "(default: guessed from the label column's values)" },
        { flag: 'val-fraction', value: 'X', help: `share of the data held out for validation, 0 to ${LIMITS.maxValFraction} (default ${RUN_DEFAULTS.valFraction})` },
        // The image parser's own defaults (engine/data/images.ts).
        { flag: 'image-size', value: 'N', help: 'images are resized to N x N pixels (default 28)' },
        { flag: 'channels', value: '1|3', help: 'grey or colour images (default 3)' },
      ],
    },
    {
      title: 'Output',
      opts: [
        { flag: 'out', value: 'FILE.ckpt', help: 'the checkpoint to write, atomically (this or --save-dir is required); checked before anything is read or trained' },
        {
          flag: 'overwrite',
          help: `replace an existing --out file, or the checkpoints in a --save-dir (default: refuse); never the --data file${command === 'fresh' ? ', nor the parent checkpoint' : ''}`,
        },
        EVERY,
        ...SAVE_DIR,
      ],
    },
    { title: 'Length', opts: [STEPS, EPOCHS] },
    {
      title: 'Model',
      opts: [
        { flag: 'model', value: FAMILY_NAMES.join('|'), help: `the model family (default: ${modelDefault})` },
        ...FAMILY_NAMES.map((name) => {
          const d = familyDef(name);
          return { flag: '', flags: d.fields.map((f) => f.flag), help: `${name.padEnd(7)} ${d.label}: ${d.fields.map((f) => `--${f.flag} ${formatField(d.defaults[f.key]).replace(/ /g, '')}`).join(' ')}` };
        }),
        { flag: 'dropout', value: 'X', help: 'dropout rate in [0, 1) (default 0)' },
        { flag: 'freeze', value: 'PATTERN', help: 'parameters whose names match do not train; repeatable (default: none)' },
        ...(command === 'fresh'
          ? [{ flag: 'freeze-known', help: "freeze the rows carried over by meaning (known classes' head units, known characters' embedding and output rows, known input columns' first-layer rows): only the new rows train; kept in the run, so every resume applies it again" }]
          : []),
      ],
    },
    {
      title: 'Optimizer',
      opts: [
        { flag: 'optimizer', value: OPTIMIZER_KINDS.join('|'), help: `(default ${DEFAULT_OPTIMIZER}); a setting the chosen optimizer does not have is refused` },
        ...allOptimizerFields().map((f) => ({ flag: f.flag, value: 'X', help: `${f.help ?? f.label}: ${optimizerDefaults(f.key)}` })),
        { flag: 'batch-size', value: 'B', help: `(default ${RUN_DEFAULTS.batchSize.other}, ${RUN_DEFAULTS.batchSize.text} on text)` },
        { flag: 'clip-norm', value: 'X', help: `clip the gradients to this global norm, 0 = off (default ${RUN_DEFAULTS.clipNorm})` },
        { flag: 'seed', value: 'S', help: `seeds the weights, the split and the data order (default ${RUN_DEFAULTS.seed})` },
      ],
    },
    {
      title: 'Schedule',
      opts: [
        { flag: 'schedule', value: SCHEDULE_KINDS.join('|'), help: 'the learning-rate schedule (default constant)' },
        { flag: 'warmup-steps', value: 'N', help: 'cosine, linear: linear warm-up steps (default 0)' },
        {
          flag: 'schedule-steps',
          value: 'N',
          help: `cosine, linear: its length (default: the run's target in steps, from --steps or --epochs; else ${RUN_DEFAULTS.schedule.cosineSteps}), decaying to ${RUN_DEFAULTS.schedule.minFactor} of the LR; step: steps between decays by ${RUN_DEFAULTS.schedule.gamma} (default ${RUN_DEFAULTS.schedule.stepSize})`,
        },
      ],
    },
    {
      title: 'Progress',
      opts: [
        { flag: 'log-every', value: 'N', help: `read the training loss every N steps (default ${RUN_DEFAULTS.logEvery})` },
        { flag: 'eval-every', value: 'N', help: `evaluate on the validation split every N steps (default ${RUN_DEFAULTS.evalEvery}, or about a tenth of a shorter run); a run also ends with an evaluation` },
        QUIET,
        BACKEND,
      ],
    },
    { title: 'Early stopping (off by default; kept in the run, so a resume applies it again)', opts: EARLY_STOP },
  ];
}

const RESUME_SECTIONS: Section[] = [
  { title: 'Data', opts: [{ ...DATA, help: `${DATA.help}; read the way the run first read it (label, image size)` }] },
  {
    title: 'Output',
    opts: [
      {
        flag: 'out',
        value: 'FILE.ckpt',
        help: 'the checkpoint to write, atomically (this or --save-dir is required, except after DIR); FILE.ckpt itself continues the run in place; never the --data file',
      },
      EVERY,
      ...SAVE_DIR,
      { flag: '', help: "resume DIR: continues from DIR's newest checkpoint (highest createdAt, then step) and keeps writing into DIR unless --out or --save-dir is given" },
    ],
  },
  {
    title: 'Length (default: the run\'s own target; one already reached trains nothing and writes nothing)',
    opts: [
      { ...STEPS, help: 'train until step N, a total' },
      { ...EPOCHS, help: 'train until E epochs are complete, a total: --epochs 15 on a run at epoch 10 trains epochs 11-15' },
      { flag: 'more-steps', value: 'N', help: "train N steps past the checkpoint's step (not with --steps)" },
      { flag: 'more-epochs', value: 'N', help: "train N epochs past the checkpoint's epoch (not with --epochs)" },
    ],
  },
  {
    title: 'Changes (each applied with a warning saying from what to what)',
    opts: [
      ...resumeChanges(),
      {
        flag: 'reschedule',
        help: "stretch a cosine or linear schedule over the new target, in steps or epochs (default: the schedule keeps its length and stays at its floor past the old end)",
      },
      {
        flag: 'force',
        help: "resume although the dataset's fingerprint changed (refused by default: the optimizer state and data order belong to the old data; 'fresh' is usually right)",
      },
    ],
  },
  { title: 'Progress', opts: [QUIET, BACKEND] },
];

const INSPECT_SECTIONS: Section[] = [{ title: 'Output', opts: [{ flag: 'json', help: 'machine-readable: the state and the tensor list as JSON on stdout' }] }];
const LIST_SECTIONS: Section[] = [{ title: 'Output', opts: [{ flag: 'json', help: 'machine-readable: {"folder", "checkpoints": [{file, kind, step, epoch, valLoss, createdAt, newest}]} on stdout' }] }];

const PREDICT_SECTIONS: Section[] = [
  {
    title: 'Input (one of)',
    opts: [
      { flag: 'data', value: 'FILE', help: "a CSV (columns matched by name, in any order; the label column is optional: when present, accuracy or error is printed too), an image, a folder or a .zip of images" },
      { flag: 'prompt', value: 'TEXT', help: 'a language model (charlm): the text to continue' },
      { flag: 'length', value: 'N', help: 'with --prompt: characters to generate (default 200)' },
      { flag: 'temperature', value: 'T', help: 'with --prompt: sampling temperature, 0 = always the likeliest character (default 1)' },
      { flag: 'seed', value: 'S', help: 'with --prompt: seeds the sampling, so a seed repeats its text (default 1)' },
    ],
  },
  { title: 'Output', opts: [{ flag: 'json', help: 'one JSON object per input on stdout: {row|file|prompt, prediction, probabilities by class name (classification)}; accuracy or error goes to stderr' }, { ...QUIET, help: 'no notes on stderr (values the model does not know, columns it does not use)' }, { ...BACKEND, help: "the tfjs backend: by default the checkpoint's own when it is wasm or cpu (the numbers of its evaluation), else wasm" }] },
];

interface CommandSpec {
  synopsis: string;
  what: string;
  sections: Section[];
}

export const SPECS: Record<Command, CommandSpec> = {
  train: { synopsis: 'tabtrain train --data FILE (--out FILE.ckpt | --save-dir DIR) [options]', what: 'Trains a new model from scratch.', sections: newRunSections('train') },
  resume: {
    synopsis: 'tabtrain resume FILE.ckpt|DIR --data FILE [--out FILE.ckpt] [--save-dir DIR] [options]',
    what: 'Continues a run exactly where the checkpoint left it (weights, optimizer state, schedule, data order).',
    sections: RESUME_SECTIONS,
  },
  fresh: {
    synopsis: 'tabtrain fresh FILE.ckpt|WEIGHTS.safetensors --data FILE (--out NEW.ckpt | --save-dir DIR) [options]',
    what:
      "A new run that starts from the checkpoint's weights (matching tensors loaded, the rest re-initialised) and records the parent. " +
      'A plain safetensors file (e.g. from PyTorch) works when its tensors are named model.<path> in tabtrain\'s layout: --model and the sizes come from the options, else from the shapes (said which); a kernel in PyTorch\'s [out, in] layout is refused.',
    sections: newRunSections('fresh'),
  },
  inspect: { synopsis: 'tabtrain inspect FILE.ckpt [--json]', what: 'Prints what a checkpoint holds, without training.', sections: INSPECT_SECTIONS },
  predict: {
    synopsis: 'tabtrain predict FILE.ckpt (--data FILE | --prompt TEXT [--length N]) [--json]',
    what: "Runs the checkpoint's model on new inputs: it needs the checkpoint only (its data schema encodes the inputs and names the outputs), not the training data.",
    sections: PREDICT_SECTIONS,
  },
  list: {
    synopsis: 'tabtrain list DIR [--json]',
    what: "Lists the checkpoints in a folder (a --save-dir): file, kind, step, epoch, validation loss and created time, the newest (the one 'resume DIR' continues from) marked.",
    sections: LIST_SECTIONS,
  },
};

/** The flags a command takes (`help` is every command's). */
export function optionsOf(command: Command): Set<string> {
  return new Set(['help', ...SPECS[command].sections.flatMap((s) => s.opts.flatMap((o) => [o.flag, ...(o.flags ?? [])])).filter((f) => f)]);
}

/**
 * Refuses, in one line, any option `command` does not use (instead of silently ignoring it).
 * On resume, a setting of a new run (`--hidden`, `--seed`) is not refused here: the engine's
 * resume table refuses it with the reason and all such settings named at once.
 */
export function checkCommandOptions(command: Command, flags: Record<string, unknown>): void {
  const allowed = optionsOf(command);
  for (const [flag, value] of Object.entries(flags)) {
    if (value === undefined || allowed.has(flag)) continue;
    if (command === 'resume' && flag !== 'overwrite' && flag !== 'freeze-known' && optionsOf('fresh').has(flag)) continue;
    throw new UsageError(`--${flag} is not an option of '${command}'`);
  }
}

export function commandHelp(command: Command): string {
  const s = SPECS[command];
  const lines = [`usage: ${s.synopsis}`, '', s.what];
  for (const sec of s.sections) {
    lines.push('', `${sec.title}:`);
    for (const o of sec.opts) {
      if (!o.flag) lines.push(`    ${o.help}`);
      else {
        const label = `--${o.flag}${o.value ? ` ${o.value}` : ''}`;
        // A long label (`--model mlp|cnn|...`) gets a line of its own, the text under the column.
        if (label.length > 26) lines.push(`  ${label}`, `  ${''.padEnd(26)} ${o.help}`);
        else lines.push(`  ${label.padEnd(26)} ${o.help}`);
      }
    }
  }
  lines.push('', 'See docs/cli.md.');
  return lines.join('\n');
}

export const GLOBAL_HELP = `usage:
  tabtrain train --data FILE --out FILE.ckpt [options]            train a new model
  tabtrain resume FILE.ckpt --data FILE --out FILE.ckpt [options] continue a run (FILE.ckpt in place is fine)
  tabtrain fresh FILE.ckpt --data FILE --out NEW.ckpt [options]   a new run from a checkpoint's weights
  tabtrain inspect FILE.ckpt [--json]                             what a checkpoint holds
  tabtrain list DIR [--json]                                      the checkpoints in a --save-dir folder
  tabtrain predict FILE.ckpt --data FILE [--json]                 the model on new CSV rows or images
  tabtrain predict FILE.ckpt --prompt TEXT --length N             a language model continues a text

  --save-dir DIR (train, resume, fresh) writes latest/best/step-N/final.ckpt; 'tabtrain resume DIR' continues from the newest.

Run 'tabtrain help COMMAND' (or 'tabtrain COMMAND --help') for a command's options and their defaults.
Exit status: 0 done (or nothing to do), 1 refused input, 2 usage error, 130 interrupted after saving.
See docs/cli.md.`;
