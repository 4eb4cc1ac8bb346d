// The checkpoint browser of one run: list, inspect, download, delete, resume from one, or start
// a fresh run from its weights. Also the inspection view shared with the import flow.
import type { CheckpointInspection, CheckpointSummary, RunSummary } from '../worker/protocol';
import { choicesOf, type Ctx } from './ctx';
import { button, fmtBytes, fmtNum, fmtPct, fmtTime, h, replace } from './dom';
import { FreshPlan } from './fresh-plan';

/** Saves bytes as a file through a temporary object URL and `<a download>`. */
export function download(name: string, bytes: Uint8Array): void {
  const blob = new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' });
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: name, hidden: true });
  document.body.appendChild(a);
  a.click();
  a.remove();
  // revoke after the browser has started the download
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

const short = (hash: string) => (hash.length > 12 ? `${hash.slice(0, 12)}...` : hash);

export function renderInspection(x: CheckpointInspection): HTMLElement {
  const rows: [string, string][] = [
    ['Kind', x.kind],
    ['Step', String(x.step)],
    ['Epoch', String(x.epoch)],
    ['Model', x.family],
    ['Parameters', x.parameters.toLocaleString()],
    ['Dataset', `${x.datasetSummary} (sha256 ${short(x.datasetHash)})`],
    ['Run', x.runId],
    ['Lineage', x.lineage],
    ['Trained on', x.device ? `${x.backend} (${x.device})` : x.backend],
    ['Created', fmtTime(x.createdAt)],
    ['App version', x.appVersion],
  ];
  if (x.best) rows.push(['Best', `val loss ${fmtNum(x.best.valLoss)}${x.best.valAccuracy !== undefined ? `, accuracy ${fmtPct(x.best.valAccuracy)}` : ''} at step ${x.best.step}`]);
  const last = x.history[x.history.length - 1];
  if (last) rows.push(['Last measured', `step ${last.step}: train loss ${fmtNum(last.trainLoss)}, val loss ${fmtNum(last.valLoss)}`]);
  const spec = Object.entries(x.spec).map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(', ') : String(v)}`);
  return h(
    'div',
    { class: 'inspection', 'data-testid': 'ckpt-inspection' },
    h('dl', { class: 'facts' }, rows.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]).flat()),
    h('details', {}, h('summary', {}, 'Model spec'), h('ul', {}, spec.map((s) => h('li', {}, h('code', {}, s))))),
    h(
      'details',
      {},
      h('summary', {}, `Tensors (${x.tensors.length})`),
      h('div', { class: 'scroll-x' }, h('table', { class: 'compact' }, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Name'), h('th', { scope: 'col' }, 'Shape'))), h('tbody', {}, x.tensors.map((t) => h('tr', {}, h('td', {}, h('code', {}, t.name)), h('td', {}, `[${t.shape.join(', ')}]`)))))),
    ),
  );
}

export class CheckpointBrowser {
  readonly el: HTMLElement;
  private title: HTMLElement;
  private listBox: HTMLElement;
  private detail: HTMLElement;
  private run: RunSummary | null = null;
  private refreshTimer = 0;

  constructor(private ctx: Ctx) {
    this.title = h('h2', { id: 'checkpoints-h' }, 'Checkpoints');
    this.listBox = h('div', {});
    this.detail = h('div', { 'aria-live': 'polite' });
    this.el = h(
      'section',
      { class: 'panel ckpt-browser', id: 'checkpoints', 'data-testid': 'checkpoints', hidden: true, 'aria-labelledby': 'checkpoints-h' },
      h('div', { class: 'panel-head' }, this.title, button('Close', () => this.close(), { class: 'quiet', 'aria-label': 'Close checkpoints' })),
      this.listBox,
      this.detail,
    );
  }

  get runId(): string | null {
    return this.run?.id ?? null;
  }

  async show(run: RunSummary): Promise<void> {
    const switched = this.run?.id !== run.id;
    this.run = run;
    this.title.textContent = `Checkpoints of ${run.name}`;
    this.el.hidden = false;
    if (switched) replace(this.detail);
    await this.refresh();
    if (switched) this.el.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
  }

  close(): void {
    this.run = null;
    this.el.hidden = true;
    replace(this.detail);
  }

  /** A checkpoint was written or deleted: refresh soon (writes come in bursts). */
  changed(runId: string): void {
    if (this.run?.id !== runId || this.refreshTimer) return;
    this.refreshTimer = window.setTimeout(() => {
      this.refreshTimer = 0;
      void this.refresh();
    }, 500);
  }

  async refresh(): Promise<void> {
    const run = this.run;
    if (!run) return;
    let cks: CheckpointSummary[];
    try {
      cks = await this.ctx.api.listCheckpoints(run.id);
    } catch (e) {
      this.ctx.error(e);
      return;
    }
    if (this.run?.id !== run.id) return;
    cks.sort((a, b) => b.step - a.step || b.createdAt.localeCompare(a.createdAt));
    if (cks.length === 0) {
      replace(this.listBox, h('p', { class: 'muted' }, 'No checkpoint yet. The first one is written after the first checkpoint interval.'));
      return;
    }
    const head = ['Kind', 'Step', 'Epoch', 'Saved', 'Size', 'Val loss', 'Actions'];
    replace(
      this.listBox,
      h(
        'div',
        { class: 'scroll-x' },
        h(
          'table',
          { class: 'ckpt-table' },
          h('thead', {}, h('tr', {}, head.map((c) => h('th', { scope: 'col' }, c)))),
          h('tbody', {}, cks.map((c) => this.row(run, c))),
        ),
      ),
    );
  }

  private row(run: RunSummary, c: CheckpointSummary): HTMLElement {
    const act = (label: string, f: (b: HTMLButtonElement) => Promise<void>, cls = '') => {
      const b: HTMLButtonElement = button(
        label,
        () => {
          b.disabled = true;
          f(b).catch((e: unknown) => this.ctx.error(e)).finally(() => (b.disabled = false));
        },
        { class: cls },
      );
      return b;
    };
    const running = run.status === 'running';
    const actions = h(
      'div',
      { class: 'row-actions' },
      act('Inspect', async () => {
        const x = await this.ctx.api.inspectCheckpoint(c.id);
        replace(this.detail, h('section', { class: 'panel-inset', 'aria-label': 'Checkpoint inspection' }, h('h4', {}, `${c.kind} checkpoint at step ${c.step}`), renderInspection(x)));
      }),
      act('Download', async () => {
        const f = await this.ctx.api.exportCheckpoint(c.id);
        download(f.name, f.bytes);
        this.ctx.say(`Downloading ${f.name}`);
      }),
      act('Resume from this checkpoint', async () => {
        if (running) throw new Error('This run is training; pause it before resuming from another checkpoint.');
        const r = await this.ctx.api.resumeOnDataset(c.id, run.datasetHash, this.ctx.onEvent);
        await this.ctx.runStarted(r.runId, r.warnings);
        this.ctx.say(`Resumed ${run.name} from the ${c.kind} checkpoint at step ${c.step}.`);
      }),
      act('Start fresh from these weights', async () => {
        const plan = new FreshPlan(this.ctx, { checkpointId: c.id, family: run.family, datasetHash: run.datasetHash, choices: choicesOf(run), label: `the ${c.kind} checkpoint at step ${c.step}` });
        replace(this.detail, plan.el);
        plan.el.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
      }),
      act(
        'Delete checkpoint',
        async () => {
          await this.ctx.api.deleteCheckpoint(c.id);
          this.ctx.say(`Deleted the ${c.kind} checkpoint at step ${c.step}.`);
          await this.refresh();
          this.ctx.refreshStorage();
        },
        'danger',
      ),
    );
    return h(
      'tr',
      { 'data-testid': 'ckpt-row', 'data-kind': c.kind, 'data-ckpt-id': c.id, 'data-step': c.step },
      h('td', {}, h('span', { class: `badge badge-${c.kind}` }, c.kind)),
      h('td', {}, c.step),
      h('td', {}, c.epoch),
      h('td', {}, fmtTime(c.createdAt)),
      h('td', {}, fmtBytes(c.bytes)),
      h('td', {}, fmtNum(c.valLoss)),
      h('td', {}, actions),
    );
  }
}
