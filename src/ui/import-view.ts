// A dropped or picked .ckpt: the worker validates it strictly and keeps it as a run of its
// own; here we show what it holds and offer to resume (on its dataset, dropped again if this
// browser does not have it) or to use its weights for a fresh run.
import type { DatasetPreview } from '../worker/protocol';
import type { ImportResult } from './api';
import { renderInspection } from './checkpoints';
import type { Ctx } from './ctx';
import { button, h, replace, whileDisabled } from './dom';
import { runById } from './page-state';
import { FreshPlan } from './fresh-plan';
import { nameEl, nameText } from './names';

export class ImportView {
  readonly el: HTMLElement;
  private body: HTMLElement;
  private next: HTMLElement;
  private current: { name: string; r: ImportResult } | null = null;
  private datasetHere = false;

  constructor(private ctx: Ctx) {
    this.body = h('div', {});
    this.next = h('div', { 'aria-live': 'polite' });
    this.el = h('section', { class: 'import-view panel', 'data-testid': 'import-view', hidden: true, 'aria-labelledby': 'import-h' }, this.body, this.next);
  }

  /** Waiting for the checkpoint's dataset to be dropped again. */
  get waitingForDataset(): boolean {
    return !!this.current && !this.datasetHere;
  }

  show(name: string, r: ImportResult): void {
    this.current = { name, r };
    this.datasetHere = r.datasetAvailable;
    const x = r.inspection;
    const resume = button('Resume', () => void this.resume(x.datasetHash, resume), { class: 'primary' });
    const fresh = button('Use weights for a fresh run', () => this.fresh());
    replace(
      this.body,
      h('div', { class: 'panel-head' }, h('h2', { id: 'import-h' }, 'Imported checkpoint: ', nameEl(name)), button('Close', () => this.close(), { class: 'quiet', 'aria-label': 'Close import' })),
      h('p', {}, `Valid checkpoint, stored in this browser as a ${x.kind === 'final' ? 'finished' : 'paused'} run. Nothing trains until you choose.`),
      renderInspection(x),
      r.datasetAvailable
        ? h('p', {}, 'Its dataset is stored in this browser: it can resume exactly where it stopped.')
        : h('p', { class: 'warn', 'data-testid': 'import-needs-dataset' }, `The dataset it was trained on (${nameText(x.datasetSummary, 160)}) is not stored in this browser. Drop the dataset again (or open it with the picker) to resume; or use the weights for a fresh run on any dataset.`),
      h('div', { class: 'actions' }, r.datasetAvailable ? resume : null, fresh),
    );
    replace(this.next);
    this.el.hidden = false;
    this.el.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
  }

  close(): void {
    this.current = null;
    this.el.hidden = true;
    replace(this.body);
    replace(this.next);
  }

  /** A dataset was opened while this view waits for one. */
  datasetArrived(p: DatasetPreview): void {
    const cur = this.current;
    if (!cur || this.datasetHere) return;
    const x = cur.r.inspection;
    if (p.hash === x.datasetHash) {
      this.datasetHere = true;
      const resume = button('Resume on this dataset', () => void this.resume(p.hash, resume), { class: 'primary' });
      replace(this.next, h('p', {}, `Found it: ${nameText(p.name)} is the dataset this checkpoint was trained on.`), h('div', { class: 'actions' }, resume));
    } else {
      const plan = new FreshPlan(this.ctx, this.source(), { preferHash: p.hash });
      replace(this.next, h('p', { class: 'warn' }, `${nameText(p.name)} is not the dataset this checkpoint was trained on (${nameText(x.datasetSummary, 160)}). Here is what starting from its weights on it would do.`), plan.el);
    }
  }

  private source() {
    const { name, r } = this.current!;
    const x = r.inspection;
    const data = runById(this.ctx.store.get(), r.runId)?.config?.data ?? {};
    return { checkpointId: r.checkpointId, family: x.family, datasetHash: x.datasetHash, choices: { label: data.label, task: data.task }, label: name };
  }

  private fresh(): void {
    if (!this.current) return;
    const plan = new FreshPlan(this.ctx, this.source());
    replace(this.next, plan.el);
  }

  private async resume(datasetHash: string, btn: HTMLButtonElement): Promise<void> {
    const cur = this.current;
    if (!cur) return;
    await whileDisabled(
      btn,
      async () => {
        const r = await this.ctx.api.resumeOnDataset(cur.r.checkpointId, datasetHash, this.ctx.onEvent);
        await this.ctx.runStarted(r.runId, r.warnings);
        this.ctx.say(`Resumed ${cur.name} at step ${cur.r.inspection.step}.`);
        this.close();
      },
      (e) => this.ctx.error(e),
    );
  }
}
