// "Start fresh from these weights": pick a stored dataset, see what the worker recommends
// (resume or fresh, and why), which tensors load and which are re-initialised, then start a
// fresh run or, where allowed, resume on that dataset.
import type { DataChoices, FreshPlanView } from '../worker/protocol';
import type { DatasetListing, Family } from './api';
import { withCheckpoint, type CheckpointSlot, type Ctx } from './ctx';
import { button, field, h, replace, select, whileDisabled } from './dom';
import { nameEl, nameText } from './names';

export interface FreshSource {
  checkpointId: string;
  /** set for a stored run's rolling checkpoint (latest, best): the id is looked up at each call. */
  slot?: CheckpointSlot;
  /** the checkpoint's model family (the fresh run keeps the architecture). */
  family: string;
  /** the dataset the checkpoint was trained on, and how it was read. */
  datasetHash: string;
  choices: DataChoices;
  label: string;
}

function list(title: string, items: (string | Node)[], empty: string): HTMLElement {
  return h('div', { class: 'block' }, h('h5', {}, `${title} (${items.length})`), items.length ? h('ul', { class: 'tensor-list' }, items.map((i) => h('li', {}, i))) : h('p', { class: 'muted' }, empty));
}

export function renderPlan(plan: FreshPlanView): HTMLElement {
  const rec = plan.recommend === 'resume' ? 'Recommended: resume (same data, same architecture).' : 'Recommended: start fresh from the weights.';
  return h(
    'div',
    { class: 'plan', 'data-recommend': plan.recommend, 'data-resume-blocked': plan.resumeBlocked ? 'true' : 'false' },
    h('p', { class: 'plan-rec' }, h('strong', {}, rec)),
    plan.change ? h('p', { class: 'plan-change', 'data-testid': 'data-change' }, `What changed: ${plan.change}.`) : null,
    plan.message ? h('p', {}, plan.message) : null,
    plan.resumeBlocked ? h('p', { class: 'warn', role: 'note' }, `Resume is not possible: ${plan.resumeBlocked}`) : null,
    list(
      'Loaded from the checkpoint',
      plan.tensors.filter((t) => t.status === 'loaded').map((t) => h('span', {}, h('code', {}, nameEl(t.name)), t.reason === 'same name and shape' ? '' : ': ', t.reason === 'same name and shape' ? '' : nameEl(t.reason))),
      'No tensor fits whole.',
    ),
    plan.partial.length
      ? list('Partly loaded (by class, character or input column)', plan.partial.map((r) => h('span', {}, h('code', {}, nameEl(r.name)), ': ', nameEl(r.reason))), '')
      : null,
    list(
      'Re-initialised',
      plan.reinitialised.map((r) => h('span', {}, h('code', {}, nameEl(r.name)), `: ${nameText(r.reason, 500)}`)),
      'None.',
    ),
    plan.ignored.length ? list('In the checkpoint but not used', plan.ignored.map((n) => h('code', {}, nameEl(n))), '') : null,
  );
}

export class FreshPlan {
  readonly el: HTMLElement;
  private body: HTMLElement;
  private datasets: DatasetListing[] = [];

  constructor(
    private ctx: Ctx,
    private src: FreshSource,
    private opts: { preferHash?: string } = {},
  ) {
    this.body = h('div', {}, h('p', { class: 'muted' }, 'Loading stored datasets...'));
    this.el = h(
      'section',
      { class: 'fresh-plan panel-inset', 'data-testid': 'fresh-plan', 'aria-label': 'Start fresh from these weights' },
      h('h4', {}, `Start fresh from ${nameText(src.label)}`),
      this.body,
    );
    void this.load();
  }

  private withId<T>(fn: (id: string) => Promise<T>): Promise<T> {
    return withCheckpoint(this.ctx.api, this.src.checkpointId, this.src.slot, fn);
  }

  private choicesFor(hash: string): DataChoices {
    const p = this.ctx.store.get().preview;
    if (p && p.hash === hash) return p.choices;
    if (hash === this.src.datasetHash) return this.src.choices;
    return {};
  }

  private async load(): Promise<void> {
    try {
      this.datasets = await this.ctx.api.listDatasets();
    } catch (e) {
      this.ctx.error(e);
      return;
    }
    if (this.datasets.length === 0) {
      replace(this.body, h('p', {}, 'No dataset is stored in this browser. Open a dataset first (drop it on the page or pick a sample), then come back here.'));
      return;
    }
    const preferred = [this.opts.preferHash, this.ctx.store.get().preview?.hash, this.src.datasetHash].find((x) => x && this.datasets.some((d) => d.hash === x)) ?? this.datasets[0]!.hash;
    const sel = select(
      this.datasets.map((d) => ({ value: d.hash, label: `${nameText(d.name)} (${nameText(d.summary, 120)})${d.hash === this.src.datasetHash ? ' [trained on]' : ''}` })),
      preferred,
      'freshDataset',
    );
    const planBox = h('div', { 'aria-live': 'polite' });
    replace(this.body, field('Dataset for the new run', sel), planBox);
    const show = () => void this.plan(sel.value, planBox);
    sel.addEventListener('change', show);
    show();
  }

  private async plan(hash: string, box: HTMLElement): Promise<void> {
    replace(box, h('p', { class: 'muted' }, 'Comparing the checkpoint with the dataset...'));
    const choices = this.choicesFor(hash);
    let plan: FreshPlanView;
    try {
      plan = await this.withId((id) => this.ctx.api.planFromCheckpoint(id, hash, choices));
    } catch (e) {
      replace(box);
      this.ctx.error(e);
      return;
    }
    const known = plan.tensors.some((t) => t.rows && t.rows.loaded > 0);
    const freeze = h('input', { type: 'checkbox', name: 'freezeKnown', 'data-testid': 'freeze-known' }) as HTMLInputElement;
    const freezeBox = known ? h('label', { class: 'check' }, freeze, ' Freeze the known rows (classes, characters, columns carried over by name): only the new rows train') : null;
    const fresh = button('Start fresh run', () => void this.startFresh(hash, choices, fresh, freeze.checked), { class: plan.recommend === 'fresh' ? 'primary' : '' });
    const buttons: HTMLButtonElement[] = [fresh];
    if (!plan.resumeBlocked) {
      const resume = button('Resume on this dataset', () => void this.resume(hash, resume), { class: plan.recommend === 'resume' ? 'primary' : '' });
      buttons.unshift(resume);
    }
    replace(box, renderPlan(plan), freezeBox ?? '', h('div', { class: 'actions' }, buttons));
  }

  private async startFresh(hash: string, choices: DataChoices, btn: HTMLButtonElement, freezeKnown = false): Promise<void> {
    await whileDisabled(btn, async () => {
      const api = this.ctx.api;
      let values = this.ctx.formTraining(hash);
      if (!values) {
        const d = await api.defaults(hash, choices, this.src.family as Family);
        const o = { ...d.overrides };
        // the architecture comes from the checkpoint: none of the family's settings from the defaults
        for (const f of d.modelFields) delete o[f.key];
        values = { overrides: o, checkpoints: d.checkpoints };
      }
      const overrides = { ...values.overrides, family: this.src.family as Family };
      const r = await this.withId((id) => api.startFresh(id, { datasetHash: hash, choices, overrides, checkpoints: values.checkpoints, name: values.name, freezeKnown }, this.ctx.onEvent));
      const n = r.plan.loaded.length + r.plan.partial.length;
      const m = r.plan.reinitialised.length;
      await this.ctx.runStarted(r.runId, m > 0 ? [`Fresh run: ${n} tensors loaded from the checkpoint, ${m} re-initialised (${r.plan.reinitialised.map((x) => x.name).join(', ')}).`] : []);
      this.ctx.say(`Fresh run started: ${n} tensors loaded, ${m} re-initialised.`);
    }, (e) => this.ctx.error(e));
  }

  private async resume(hash: string, btn: HTMLButtonElement): Promise<void> {
    await whileDisabled(btn, async () => {
      const r = await this.withId((id) => this.ctx.api.resumeOnDataset(id, hash, this.ctx.onEvent));
      await this.ctx.runStarted(r.runId, r.warnings);
      this.ctx.say('Resumed from the checkpoint.');
    }, (e) => this.ctx.error(e));
  }
}

