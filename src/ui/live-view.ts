// The selected run, live: step counter, progress with ETA, speed, the latest losses, charts,
// the latest generated text (language models), the confusion matrix (classifiers), warnings,
// and "continue training" settings for a stopped run. Text updates are batched per frame. It
// shows the page state's selected run and that run's live record (page-state.ts).
import type { RunEvent, RunSummary } from '../worker/protocol';
import type { ResumeOverrides } from './api';
import { RunCharts } from './charts';
import { button, field, fmtDuration, fmtNum, fmtPct, h, numberInput, readNumber, replace } from './dom';
import { emptyLive, runById, type PageStore, type RunLive } from './page-state';
import { bestText } from './run-list';
import { RESUME_RULES } from '../engine/resume-rules';
import { shallowEqual } from './store';
import { nameEl, nameText } from './names';

type Confusion = Extract<RunEvent, { type: 'confusion' }>;

/** The newest measured value (scans back only over the few points without one). */
function lastOf(a: (number | null)[]): number | undefined {
  for (let i = a.length - 1; i >= 0; i--) if (a[i] !== null) return a[i]!;
  return undefined;
}

export class LiveView {
  readonly el: HTMLElement;
  private view: HTMLElement;
  private placeholder: HTMLElement;
  private title: HTMLElement;
  private statusEl: HTMLElement;
  private stepEl: HTMLElement;
  private totalEl: HTMLElement;
  private progress: HTMLProgressElement;
  private stats: HTMLElement;
  private bestEl: HTMLElement;
  private warningsEl: HTMLElement;
  private sampleBox: HTMLElement;
  private confusionBox: HTMLElement;
  private continueBox: HTMLElement;
  private charts: RunCharts | null = null;
  private chartHost: HTMLElement;
  private run: RunSummary | null = null;
  private live: RunLive | null = null;
  private frame = 0;

  constructor(
    store: PageStore,
    private onContinue: (run: RunSummary, o: ResumeOverrides) => void,
  ) {
    this.title = h('h3', {}, 'No run selected');
    this.statusEl = h('p', { class: 'live-status', role: 'status', 'aria-live': 'polite' });
    this.stepEl = h('span', { 'data-testid': 'live-step' }, '0');
    this.totalEl = h('span', {});
    this.progress = h('progress', { 'data-testid': 'train-progress', 'aria-label': 'Training progress', max: 1, value: 0 });
    this.stats = h('p', { class: 'live-stats' });
    this.bestEl = h('p', { class: 'live-best muted' });
    this.warningsEl = h('ul', { class: 'warnings', 'aria-label': 'Warnings' });
    this.chartHost = h('div', {});
    this.sampleBox = h('div', { class: 'block', hidden: true });
    this.confusionBox = h('div', { class: 'block', hidden: true });
    this.continueBox = h('div', { class: 'block', hidden: true });
    this.placeholder = h('p', { class: 'muted' }, 'Start a run, or pick one in the run list, to see its curves here.');
    this.view = h(
      'div',
      { class: 'live', 'data-testid': 'live-view' },
      this.title,
      this.statusEl,
      h('div', { class: 'live-progress' }, h('p', { class: 'live-counter' }, 'Step ', this.stepEl, this.totalEl), this.progress),
      this.stats,
      this.bestEl,
      this.warningsEl,
      this.chartHost,
      this.sampleBox,
      this.confusionBox,
      this.continueBox,
    );
    this.view.hidden = true;
    this.el = h('div', {}, this.placeholder, this.view);
    // the selected run's summary and live record; a selected run that was deleted hides the view
    store.subscribe(
      (s) => [runById(s, s.selected), s.selected === null ? undefined : s.lives.get(s.selected)] as const,
      ([run, live]) => {
        if (!run) this.hide();
        else if (this.run?.id !== run.id) this.show(run, live ?? emptyLive());
        else this.update(run, live);
      },
      shallowEqual,
    );
  }

  /** Shows a run; `live` is the page's record of it (possibly still being filled). */
  private show(run: RunSummary, live: RunLive): void {
    const switched = this.run?.id !== run.id;
    this.run = run;
    this.live = live;
    this.view.hidden = false;
    this.placeholder.hidden = true;
    if (switched) {
      this.charts?.destroy();
      this.charts = new RunCharts(this.chartHost);
      this.renderContinue(run);
    }
    // classifiers and language models (next-character accuracy) report an accuracy; regression does not
    this.charts!.setClassification(run.config?.task !== 'regression');
    this.schedule();
  }

  /** The shown run's summary (status, step) or live record changed: redraw on the next frame. */
  private update(run: RunSummary, live: RunLive | undefined): void {
    const statusChanged = this.run!.status !== run.status;
    this.run = run;
    if (live) this.live = live;
    if (statusChanged) this.renderContinue(run);
    this.schedule();
  }

  private hide(): void {
    if (!this.run) return;
    this.run = null;
    this.live = null;
    this.charts?.destroy();
    this.charts = null;
    this.view.hidden = true;
    this.placeholder.hidden = false;
  }

  private schedule(): void {
    if (this.frame === 0) this.frame = requestAnimationFrame(() => this.draw());
  }

  private draw(): void {
    this.frame = 0;
    const run = this.run;
    const live = this.live;
    if (!run || !live) return;
    replace(this.title, nameEl(run.name));
    const last = live.last;
    const step = last?.step ?? run.step;
    const total = last?.totalSteps ?? run.totalSteps;
    const hasTotal = Number.isFinite(total) && total > 0;
    this.statusEl.textContent = `${run.status[0]!.toUpperCase()}${run.status.slice(1)}${run.lastError ? `: ${nameText(run.lastError, 2000)}` : ''}`;
    this.stepEl.textContent = String(step);
    this.totalEl.textContent = hasTotal ? ` of ${total}` : '';
    this.progress.max = hasTotal ? total : 1;
    this.progress.value = hasTotal ? Math.min(step, total) : 0;
    this.progress.setAttribute('aria-valuetext', hasTotal ? `step ${step} of ${total}` : `step ${step}`);
    const parts: string[] = [`epoch ${last?.epoch ?? run.epoch}`];
    if (last && run.status === 'running') {
      parts.push(`${fmtNum(last.stepsPerSecond, 3)} steps/s`);
      parts.push(`ETA ${fmtDuration(last.etaSeconds)}`);
    }
    if (last) {
      parts.push(`lr ${fmtNum(last.lr)}`);
      const lastTrain = lastOf(live.trace.train);
      const lastEma = lastOf(live.trace.ema);
      const lastVal = lastOf(live.trace.val);
      const lastAcc = lastOf(live.trace.acc);
      if (lastTrain !== undefined) parts.push(`train loss ${fmtNum(lastTrain)}${lastEma === undefined ? '' : ` (smoothed ${fmtNum(lastEma)})`}`);
      if (lastVal !== undefined) parts.push(`val loss ${fmtNum(lastVal)}`);
      if (lastAcc !== undefined) parts.push(`val accuracy ${fmtPct(lastAcc)}`);
    }
    this.stats.textContent = parts.join(' · ');
    this.bestEl.textContent = bestText(run);
    replace(this.warningsEl, live.warnings.map((w) => h('li', {}, nameText(w, 2000))));
    this.charts?.setTrace(live.trace);

    this.sampleBox.hidden = !live.sample;
    if (live.sample) replace(this.sampleBox, h('h4', {}, `Generated text at step ${live.sample.step}`), h('pre', { class: 'sample-text', 'data-testid': 'live-sample' }, live.sample.text));

    this.confusionBox.hidden = !live.confusion;
    if (live.confusion) this.drawConfusion(live.confusion);
  }

  /**
   * The engine's bounded summary (engine/insight.ts): every class up to a limit, else the most
   * frequent true classes and an 'other' row and column, which the caption says.
   */
  private drawConfusion(c: Confusion): void {
    let max = 1; // a loop: Math.max(...matrix.flat()) overflowed the call stack from ~350 classes
    for (const row of c.matrix) for (const n of row) if (n > max) max = n;
    const labels: Node[] = c.classes.map((k) => nameEl(k, 24));
    if (c.mode === 'top') labels.push(h('em', {}, 'other'));
    const tbl = h(
      'table',
      { class: 'confusion', 'data-testid': 'confusion-matrix', 'data-mode': c.mode, 'aria-labelledby': 'confusion-h' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'true \\ predicted'), labels.map((k) => h('th', { scope: 'col' }, k.cloneNode(true))))),
      h(
        'tbody',
        {},
        c.matrix.map((row, i) =>
          h(
            'tr',
            {},
            h('th', { scope: 'row' }, labels[i] ?? String(i)),
            row.map((n, j) => {
              const td = h('td', { class: i === j ? 'diag' : n > 0 ? 'off' : '' }, n);
              // shade by count; CSSOM style is fine under a strict CSP (no inline style attribute)
              td.style.setProperty('--w', (n / max).toFixed(3));
              return td;
            }),
          ),
        ),
      ),
    );
    const scope =
      c.mode === 'top'
        ? `Showing the ${c.classes.length} most frequent true classes of ${c.numClasses.toLocaleString('en-US')} in the ${c.samples} evaluated samples; every other class is counted under 'other'.`
        : null;
    replace(
      this.confusionBox,
      h('h4', { id: 'confusion-h' }, `Confusion matrix, validation split, step ${c.step}`),
      h('p', { class: 'hint' }, 'Rows: true class. Columns: predicted class.'),
      scope ? h('p', { class: 'hint', 'data-testid': 'confusion-scope' }, scope) : null,
      h('div', { class: 'scroll-x' }, tbl),
    );
  }

  /**
   * "Continue training" for a run that is not running: a longer target, and an input for every
   * setting the engine's resume table (engine/resume-rules.ts) lets change; the worker's resume
   * applies or refuses exactly as the CLI does. Empty inputs keep the stored value.
   */
  private renderContinue(run: RunSummary): void {
    const canContinue = run.status !== 'running';
    this.continueBox.hidden = !canContinue;
    if (!canContinue) return;
    const cfg = run.config;
    const t = cfg?.target ?? {};
    const steps = numberInput(t.steps, { min: 1, step: 1, name: 'resumeSteps' });
    const epochs = numberInput(t.epochs, { min: 1, step: 1, name: 'resumeEpochs' });
    // One numeric input per changeable setting, in the table's order; the optimizer's row
    // stands for each setting the run's optimizer has (lr first, under its old input name).
    const inputs: { key: string; el: HTMLInputElement; label: string; now: unknown }[] = [];
    const add = (key: string, label: string, now: unknown, opts: { min?: number; step?: number } = { min: 0 }) => {
      const el = numberInput(undefined, { ...opts, name: key === 'lr' ? 'resumeLr' : key === 'batchSize' ? 'resumeBatch' : `resume-${key}` });
      el.placeholder = now === undefined ? '' : String(now);
      inputs.push({ key, el, label, now });
    };
    const opt = (cfg?.optimizer ?? {}) as unknown as Record<string, unknown>;
    for (const r of RESUME_RULES.filter((x) => x.rule === 'apply')) {
      if (r.key === 'optimizer.*') {
        add('lr', 'New learning rate', opt.lr);
        for (const k of Object.keys(opt)) if (k !== 'kind' && k !== 'lr') add(k, `New ${k.replace(/[A-Z]/g, (c) => ` ${c.toLowerCase()}`)}`, opt[k]);
      } else if (r.key === 'batchSize') add('batchSize', 'New batch size', cfg?.batchSize, { min: 1, step: 1 });
      else if (r.key === 'dropout') add('dropout', 'New dropout', cfg?.model?.dropout);
      else if (r.key === 'clipNorm' || r.key === 'logEvery' || r.key === 'evalEvery') {
        add(r.key, `New ${r.label}`, (cfg as unknown as Record<string, unknown> | undefined)?.[r.key], r.key === 'clipNorm' ? { min: 0 } : { min: 1, step: 1 });
      } else if (r.key === 'patience') add('patience', 'New early-stopping patience (evaluations)', cfg?.patience, { min: 1, step: 1 });
      else if (r.key === 'stopIfLoss') {
        add('stopIfLossAbove', 'Stop if the smoothed loss is above', cfg?.stopIfLoss?.above);
        add('stopByStep', '...by step', cfg?.stopIfLoss?.byStep, { min: 1, step: 1 });
      }
    }
    const freezeNow = cfg?.freeze ?? [];
    const freeze = h('input', { type: 'text', name: 'resumeFreeze', value: freezeNow.join(', ') });
    const resched = h('input', { type: 'checkbox', id: `resched-${run.id}` });
    const reschedRow = h('div', { class: 'check' }, resched, h('label', { for: resched.id }, 'Stretch the LR schedule over the new length'));
    reschedRow.hidden = cfg?.schedule?.kind !== 'cosine' && cfg?.schedule?.kind !== 'linear';
    const go = button(
      'Resume with these settings',
      () => {
        const o: ResumeOverrides = {};
        const s = readNumber(steps);
        const e = readNumber(epochs);
        // the target is replaced as a whole, so send both fields when either changed
        if (s !== t.steps || e !== t.epochs) {
          o.steps = s;
          o.epochs = e;
        }
        for (const i of inputs) {
          const v = readNumber(i.el);
          if (v !== undefined) o[i.key] = v;
        }
        const patterns = (freeze as HTMLInputElement).value.split(',').map((p) => p.trim()).filter(Boolean);
        if (patterns.join(',') !== freezeNow.join(',')) o.freeze = patterns;
        if (resched.checked) o.reschedule = true;
        this.onContinue(run, o);
      },
      { class: 'primary' },
    );
    replace(
      this.continueBox,
      h('details', {}, h(
        'summary',
        {},
        'Continue training with changes',
      ),
      h('p', { class: 'hint' }, 'Extend the run by raising its step or epoch target. Changing the optimizer settings, batch size, clipping, dropout, intervals or frozen parameters is allowed but deliberate: each change is listed as a warning, and the run is no longer the one you started (a new batch size keeps the position in the epoch in samples). The architecture, optimizer kind, seed and validation split cannot change: start fresh from a checkpoint for that.'),
      h('div', { class: 'grid-2' }, field('Total steps', steps), field('Total epochs', epochs), ...inputs.map((i) => field(i.label, i.el, 'Empty: keep'))),
      field('Frozen parameters (name patterns, comma separated)', freeze, 'e.g. layers.0.*; empty: none'),
      reschedRow,
      go),
    );
  }
}
