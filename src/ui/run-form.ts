// The hyperparameter form. Defaults come from the worker (`defaults()`, suited to the dataset);
// an empty field means "the default". Frozen parameters are exact names from the model.
import type { ConfigOverrides } from '../engine/config';
import type { ScheduleConfig } from '../engine/schedule';
import { LIMITS, RUN_DEFAULTS } from '../engine/defaults';
import type { FieldValue } from '../engine/fields';
import type { CheckpointSettings, DatasetPreview } from '../worker/protocol';
import type { Defaults, Family } from './api';
import { field, h, numberInput, readNumber, replace, select, uid, whileDisabled } from './dom';
import { fieldInputs, readFields, setFieldValues } from './fields-form';

type ScheduleKind = ScheduleConfig['kind'];

export interface RunFormValues {
  overrides: ConfigOverrides;
  checkpoints: CheckpointSettings;
  name?: string;
}

export class RunForm {
  readonly el: HTMLFormElement;
  private body: HTMLElement;
  private startBtn: HTMLButtonElement;
  private preview: DatasetPreview | null = null;
  private read: (() => RunFormValues | string) | null = null;
  /** the keys of the model settings shown now (the family's fields). */
  private modelKeys: string[] = [];

  constructor(
    /** asks the worker for defaults (family undefined = the dataset's default family). */
    private loadDefaults: (p: DatasetPreview, family?: Family) => Promise<Defaults>,
    /** starts the run; the button stays disabled (and says so) until this settles. */
    private onStart: (v: RunFormValues) => Promise<void>,
    private onError: (e: unknown) => void,
  ) {
    this.body = h('div', { class: 'form-body' }, h('p', { class: 'muted' }, 'Open a dataset or pick a sample first.'));
    this.startBtn = h('button', { type: 'submit', class: 'primary big', disabled: true }, 'Start training');
    this.el = h('form', { class: 'run-form', 'data-testid': 'run-form', novalidate: true }, this.body, h('div', { class: 'actions' }, this.startBtn));
    this.el.addEventListener('submit', (e) => {
      e.preventDefault();
      if (!this.read) return;
      const v = this.read();
      if (typeof v === 'string') this.onError(new Error(v));
      else void whileDisabled(this.startBtn, () => this.onStart(v), this.onError, 'Starting...');
    });
  }

  get datasetHash(): string | null {
    return this.preview?.hash ?? null;
  }

  /** Fills the form with defaults for a (new or re-parsed) dataset. */
  async load(p: DatasetPreview, family?: Family): Promise<void> {
    this.preview = p;
    this.startBtn.disabled = true;
    try {
      const d = await this.loadDefaults(p, family);
      if (this.preview !== p) return; // another dataset came in meanwhile
      this.render(d);
      this.startBtn.disabled = false;
    } catch (e) {
      this.onError(e);
    }
  }

  /** Training settings only (no model sizes): for a fresh run whose architecture comes from a checkpoint. */
  trainingOverrides(): RunFormValues | null {
    if (!this.read) return null;
    const v = this.read();
    if (typeof v === 'string') return null;
    const o = { ...v.overrides };
    // the architecture comes from the checkpoint: no family, no model settings, no freeze list
    for (const k of ['family', 'freeze', ...this.modelKeys]) delete o[k];
    return { ...v, overrides: o };
  }

  private render(d: Defaults): void {
    const o = d.overrides;
    const p = this.preview!;
    const families = d.families;
    const isFamily = (v: string): v is Family => families.some((f) => f.family === v);
    const family = select(
      families.map((f) => ({ value: f.family, label: f.label })),
      (o.family as string | undefined) ?? families[0].family,
      'family',
    );
    family.addEventListener('change', () => {
      if (isFamily(family.value)) void this.load(p, family.value);
    });

    // model settings: whatever the family declares (engine/models/*.ts fields)
    const model = fieldInputs(d.modelFields, o as Record<string, FieldValue | undefined>);
    this.modelKeys = d.modelFields.map((f) => f.key);
    const dropout = numberInput(o.dropout, { min: 0, max: 0.9, step: 0.05, name: 'dropout' });
    const sizes: HTMLElement[] = [...[...model.values()].map((fi) => fi.wrap), field('Dropout', dropout)];

    // The optimizer select and each optimizer's own inputs come from the registry (through the
    // worker's defaults): one input per setting key, shown when the chosen optimizer has it.
    const choices = d.optimizers;
    const optimizer = select(
      choices.map((c) => ({ value: c.kind, label: c.label })),
      o.optimizer ?? choices[0].kind,
      'optimizer',
    );
    const chosen = () => choices.find((c) => c.kind === optimizer.value) ?? choices[0];
    const allOptFields = [...new Map(choices.flatMap((c) => c.fields).map((f) => [f.key, f])).values()];
    const optInputs = fieldInputs(allOptFields, { ...chosen().values, lr: o.lr ?? chosen().values.lr });
    const optKeys = () => new Set(chosen().fields.map((f) => f.key));
    const syncOpt = () => {
      for (const [key, fi] of optInputs) fi.wrap.hidden = !optKeys().has(key);
    };
    // A new optimizer brings its own defaults (SGD's lr is 50x Lion's): keeping the old
    // optimizer's numbers would start a run nobody chose.
    optimizer.addEventListener('change', () => {
      setFieldValues(optInputs, chosen().values);
      syncOpt();
    });
    syncOpt();
    const batchSize = numberInput(o.batchSize, { min: 1, step: 1, name: 'batchSize' });
    const unit = select<'epochs' | 'steps'>(
      [
        { value: 'epochs', label: 'epochs' },
        { value: 'steps', label: 'steps' },
      ],
      o.steps !== undefined && o.epochs === undefined ? 'steps' : 'epochs',
      'lengthUnit',
    );
    const length = numberInput(unit.value === 'steps' ? o.steps : (o.epochs ?? RUN_DEFAULTS.epochs), { min: 1, step: 1, name: 'length' });
    const seed = numberInput(o.seed ?? RUN_DEFAULTS.seed, { min: 0, max: LIMITS.maxSeed, step: 1, name: 'seed' });
    const schedule = select<ScheduleKind>(
      [
        { value: 'constant', label: 'Constant' },
        { value: 'cosine', label: 'Cosine with warmup' },
        { value: 'linear', label: 'Linear decay with warmup' },
        { value: 'step', label: 'Step decay (halve every N steps)' },
      ],
      o.schedule ?? 'constant',
      'schedule',
    );
    const warmup = numberInput(o.warmupSteps ?? 0, { min: 0, step: 1, name: 'warmupSteps' });
    const scheduleSteps = numberInput(o.scheduleSteps, { min: 1, step: 1, name: 'scheduleSteps' });
    const warmupField = field('Warmup steps', warmup);
    const scheduleStepsField = field('Schedule length (steps)', scheduleSteps, 'Cosine, linear: steps until the LR floor (default: the run length). Step decay: steps between halvings.');
    const syncSched = () => {
      warmupField.hidden = schedule.value !== 'cosine' && schedule.value !== 'linear';
      scheduleStepsField.hidden = schedule.value === 'constant';
    };
    schedule.addEventListener('change', syncSched);
    syncSched();
    const clipNorm = numberInput(o.clipNorm, { min: 0, step: 'any', name: 'clipNorm' });
    const logEvery = numberInput(o.logEvery, { min: 1, step: 1, name: 'logEvery' });
    // Empty by default: the engine picks min(50, about a tenth of the run) for the length chosen
    // at Start (defaults.ts defaultEvalEvery), so a changed length never keeps a stale interval.
    const evalEvery = numberInput(undefined, { min: 1, step: 1, name: 'evalEvery' });
    evalEvery.placeholder = `auto (${o.evalEvery ?? RUN_DEFAULTS.evalEvery} for this length)`;
    // Early stopping: empty = off (RunConfig patience / stopIfLoss; the engine decides).
    const patience = numberInput(o.patience, { min: 1, step: 1, name: 'patience' });
    const stopAbove = numberInput(o.stopIfLossAbove, { step: 'any', name: 'stopIfLossAbove' });
    const stopBy = numberInput(o.stopByStep, { min: 1, step: 1, name: 'stopByStep' });
    for (const el of [patience, stopAbove, stopBy]) el.placeholder = 'off';

    const c = d.checkpoints;
    const everySteps = numberInput(c.everySteps, { min: 1, step: 1, name: 'ckptEverySteps' });
    const everySeconds = numberInput(c.everySeconds, { min: 1, step: 1, name: 'ckptEverySeconds' });
    const periodicEvery = numberInput(c.periodicEvery, { min: 0, step: 1, name: 'periodicEvery' });
    const keepPeriodic = numberInput(c.keepPeriodic, { min: 0, step: 1, name: 'keepPeriodic' });

    const runName = h('input', { type: 'text', name: 'runName', autocomplete: 'off', placeholder: `${p.name}` });

    const frozen = new Set(o.freeze ?? []);
    const boxes = d.parameterNames.map((n) => {
      const id = uid('freeze');
      const cb = h('input', { type: 'checkbox', id, value: n, checked: frozen.has(n) });
      return { n, cb, row: h('div', { class: 'check' }, cb, h('label', { for: id }, h('code', {}, n))) };
    });
    const freezeCount = h('span', { class: 'muted' }, `(${frozen.size} of ${boxes.length} frozen)`);
    for (const b of boxes) b.cb.addEventListener('change', () => (freezeCount.textContent = `(${boxes.filter((x) => x.cb.checked).length} of ${boxes.length} frozen)`));

    replace(
      this.body,
      h('fieldset', {}, h('legend', {}, 'Model'), h('div', { class: 'grid-2' }, field('Model family', family), sizes)),
      h(
        'fieldset',
        {},
        h('legend', {}, 'Training'),
        h(
          'div',
          { class: 'grid-2' },
          field('Train for', length),
          field('Unit', unit),
          field('Optimizer', optimizer),
          [...optInputs.values()].map((fi) => fi.wrap),
          field('Batch size', batchSize),
          field('Seed', seed, 'Same seed, same data: the same run.'),
          field('LR schedule', schedule),
          warmupField,
          scheduleStepsField,
          field('Gradient clip (global norm, 0 = off)', clipNorm),
          field('Log loss every N steps', logEvery),
          field('Evaluate every N steps', evalEvery, 'Empty: about a tenth of the run, at most 50. The run always ends with an evaluation.'),
          field('Stop after N evaluations without a better validation loss', patience, 'Early stopping (patience). Empty: off.'),
          field('Stop if the smoothed loss is still above', stopAbove, 'With the step below: something is wrong; check the data and the learning rate. Empty: off.'),
          field('...at step', stopBy),
        ),
      ),
      h(
        'fieldset',
        {},
        h('legend', {}, 'Checkpoints'),
        h(
          'div',
          { class: 'grid-2' },
          field('Save latest every N steps', everySteps),
          field('...and at least every N seconds', everySeconds, 'A reload loses at most about this much training.'),
          field('Periodic checkpoint every N steps (0 = never)', periodicEvery),
          field('Keep the last K periodic checkpoints', keepPeriodic),
        ),
      ),
      boxes.length > 0
        ? h('fieldset', { class: 'freeze' }, h('legend', {}, 'Frozen parameters ', freezeCount), h('p', { class: 'hint' }, 'Checked parameters do not train (e.g. train only the head). Applied again on every resume.'), h('div', { class: 'freeze-list' }, boxes.map((b) => b.row)))
        : null,
      field('Run name (optional)', runName),
    );

    this.read = () => {
      const ov: ConfigOverrides = {};
      if (isFamily(family.value)) ov.family = family.value;
      const num = (el: HTMLInputElement, what: string, check: (v: number) => boolean): number | undefined | string => {
        const v = readNumber(el);
        if (el.value.trim() !== '' && v === undefined) return `${what} must be a number`;
        if (v !== undefined && !check(v)) return `${what} is out of range: ${el.value}`;
        return v;
      };
      const posInt = (v: number) => Number.isInteger(v) && v > 0;
      const natInt = (v: number) => Number.isInteger(v) && v >= 0;
      const fields: [keyof ConfigOverrides, HTMLInputElement, string, (v: number) => boolean][] = [
        ['batchSize', batchSize, 'Batch size', posInt],
        ['seed', seed, 'Seed', (v) => natInt(v) && v <= LIMITS.maxSeed],
        ['clipNorm', clipNorm, 'Gradient clip', (v) => v >= 0],
        ['logEvery', logEvery, 'Log every', posInt],
        ['evalEvery', evalEvery, 'Evaluate every', posInt],
        ['dropout', dropout, 'Dropout', (v) => v >= 0 && v < 1],
        ['patience', patience, 'Patience', posInt],
        ['stopIfLossAbove', stopAbove, 'Stop-if-loss threshold', (v) => Number.isFinite(v)],
        ['stopByStep', stopBy, 'Stop-if-loss step', posInt],
      ];
      if (schedule.value === 'cosine' || schedule.value === 'linear') fields.push(['warmupSteps', warmup, 'Warmup steps', natInt]);
      if (schedule.value !== 'constant') fields.push(['scheduleSteps', scheduleSteps, 'Schedule length', posInt]);
      const rec = ov as Record<string, unknown>;
      for (const [key, el, what, check] of fields) {
        const v = num(el, what, check);
        if (typeof v === 'string') return v;
        if (v !== undefined) rec[key] = v;
      }
      if ((rec.stopIfLossAbove === undefined) !== (rec.stopByStep === undefined)) return 'Stop if the smoothed loss is still above X at step N: set both, or neither.';
      const opt = readFields([...optInputs.values()].filter((fi) => optKeys().has(fi.desc.key)));
      if (typeof opt === 'string') return opt;
      Object.assign(ov, opt);
      ov.optimizer = chosen().kind;
      ov.schedule = schedule.value as ScheduleKind;
      const len = num(length, 'Training length', posInt);
      if (typeof len === 'string') return len;
      if (len === undefined) return 'Set how long to train (epochs or steps).';
      if (unit.value === 'steps') ov.steps = len;
      else ov.epochs = len;
      const sizesRead = readFields(model.values());
      if (typeof sizesRead === 'string') return sizesRead;
      Object.assign(ov, sizesRead);
      ov.freeze = boxes.filter((b) => b.cb.checked).map((b) => b.n);
      const ck: Record<string, number> = {};
      for (const [key, el, what, check] of [
        ['everySteps', everySteps, 'Checkpoint every N steps', posInt],
        ['everySeconds', everySeconds, 'Checkpoint every N seconds', (v: number) => v > 0],
        ['periodicEvery', periodicEvery, 'Periodic checkpoint interval', natInt],
        ['keepPeriodic', keepPeriodic, 'Periodic checkpoints to keep', natInt],
      ] as const) {
        const v = num(el, what, check);
        if (typeof v === 'string') return v;
        ck[key] = v ?? c[key];
      }
      const name = runName.value.trim();
      return { overrides: ov, checkpoints: ck as unknown as CheckpointSettings, name: name || undefined };
    };
  }
}

