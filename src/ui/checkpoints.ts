// The checkpoint browser of one run: list, inspect, download, delete, resume from one, or start
// a fresh run from its weights. Also the inspection view shared with the import flow.
import { RunBusyError } from '../errors';
import type { CheckpointInspection, CheckpointSummary, RunSummary } from '../worker/protocol';
import { choicesOf, isRolling, withCheckpoint, type Ctx } from './ctx';
import { button, debounce, fmtBytes, fmtNum, fmtPct, fmtTime, h, replace, whileDisabled } from './dom';
import { runById } from './page-state';
import { FreshPlan } from './fresh-plan';
import { nameEl, nameText } from './names';
import { TryModel } from './try-model';

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

/** The run's branch as text, to notice a new one (RunRecord.branch). */
const branchOf = (runs: readonly RunSummary[], id: string) => JSON.stringify(runs.find((r) => r.id === id)?.branch ?? null);

const short = (hash: string) => (hash.length > 12 ? `${hash.slice(0, 12)}...` : hash);

export function renderInspection(x: CheckpointInspection): HTMLElement {
  const rows: [string, string][] = [
    ['Kind', x.kind],
    ['Step', String(x.step)],
    ['Epoch', String(x.epoch)],
    ['Model', x.family],
    ['Parameters', x.parameters.toLocaleString()],
    ['Dataset', `${x.datasetSummary} (sha256 ${short(x.datasetHash)})`],
    ['Data schema', x.schema],
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
    // every value may come from a hostile file: names shown neutralised and cut (names.ts)
    h('dl', { class: 'facts' }, rows.map(([k, v]) => [h('dt', {}, k), h('dd', {}, nameEl(v, 400))]).flat()),
    h('details', {}, h('summary', {}, 'Model spec'), h('ul', {}, spec.map((s) => h('li', {}, h('code', {}, nameEl(s, 200)))))),
    h(
      'details',
      {},
      h('summary', {}, `Tensors (${x.tensors.length})`),
      h('div', { class: 'scroll-x' }, h('table', { class: 'compact' }, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Name'), h('th', { scope: 'col' }, 'Shape'))), h('tbody', {}, x.tensors.map((t) => h('tr', {}, h('td', {}, h('code', {}, nameEl(t.name))), h('td', {}, `[${t.shape.join(', ')}]`)))))),
    ),
  );
}

interface CkRow {
  el: HTMLElement;
  facts: HTMLElement;
  /** the checkpoint this row stands for now (rolling kinds get a new id on every write). */
  current: CheckpointSummary;
}

export class CheckpointBrowser {
  readonly el: HTMLElement;
  private title: HTMLElement;
  private listBox: HTMLElement;
  private detail: HTMLElement;
  private run: RunSummary | null = null;
  /** checkpoint writes come in bursts (latest, best, periodic at one step): list them once. */
  private refreshSoon = debounce(() => void this.refresh(), 500);
  private list = h('ul', { class: 'ckpt-list' });
  /** "Branch from step N" above the list when the run was resumed from an older checkpoint. */
  private branchLine = h('p', { class: 'muted ckpt-branch', 'data-testid': 'ckpt-branch', hidden: true });
  private rows = new Map<string, CkRow>();

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
    const { store } = ctx;
    store.subscribe(
      (s) => s.checkpointWrites,
      (now, before) => {
        if (this.run && now.get(this.run.id) !== before.get(this.run.id)) this.refreshSoon();
      },
    );
    // the run was deleted: its checkpoints went with it
    store.subscribe(
      (s) => s.runs,
      (runs, before) => {
        if (this.run && !runs.some((r) => r.id === this.run!.id)) this.close();
        // a resume from an older checkpoint started a branch: show where, and which row Resume takes
        else if (this.run && branchOf(runs, this.run.id) !== branchOf(before, this.run.id)) this.refreshSoon();
      },
    );
  }

  async show(run: RunSummary): Promise<void> {
    const switched = this.run?.id !== run.id;
    this.run = run;
    this.title.textContent = `Checkpoints of ${nameText(run.name)}`;
    this.el.hidden = false;
    if (switched) {
      replace(this.detail);
      this.rows.clear();
      replace(this.list);
    }
    await this.refresh();
    if (switched) this.el.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
  }

  close(): void {
    this.run = null;
    this.el.hidden = true;
    replace(this.detail);
    this.rows.clear();
    replace(this.list);
  }

  async refresh(): Promise<void> {
    const run = this.run;
    if (!run) return;
    let cks: CheckpointSummary[];
    let head: CheckpointSummary | undefined;
    try {
      [cks, head] = await Promise.all([this.ctx.api.listCheckpoints(run.id), this.ctx.api.resumePoint(run.id)]);
    } catch (e) {
      this.ctx.error(e);
      return;
    }
    if (this.run?.id !== run.id) return;
    cks.sort((a, b) => b.step - a.step || b.createdAt.localeCompare(a.createdAt));
    if (cks.length === 0) {
      this.rows.clear();
      replace(this.listBox, h('p', { class: 'muted' }, 'No checkpoint yet. The first one is written after the first checkpoint interval.'));
      return;
    }
    const branch = (runById(this.ctx.store.get(), run.id) ?? run).branch;
    this.branchLine.hidden = !branch;
    this.branchLine.textContent = branch
      ? `Branch from step ${branch.step}: resumed from the ${branch.kind} checkpoint at step ${branch.step}; Resume continues from the newest save after it${head ? ` (now step ${head.step})` : ''}, not from higher steps of the earlier branch.`
      : '';
    // Rows are kept by slot (latest, best and final are rolling: a new file replaces the old
    // one), so a checkpoint written during training moves no button under the pointer.
    if (!this.list.isConnected) replace(this.listBox, this.branchLine, this.list);
    this.list.setAttribute('aria-label', `Checkpoints of ${nameText(run.name)}`);
    const seen = new Set<string>();
    for (const c of cks) {
      const key = c.kind === 'periodic' ? c.id : c.kind;
      seen.add(key);
      let row = this.rows.get(key);
      if (!row) {
        row = this.row(run, c);
        this.rows.set(key, row);
      }
      row.current = c;
      this.patch(row, branch?.checkpointId === c.id, head?.id === c.id);
      this.list.appendChild(row.el);
    }
    for (const [key, row] of this.rows) {
      if (!seen.has(key)) {
        row.el.remove();
        this.rows.delete(key);
      }
    }
  }

  private patch(row: CkRow, branchPoint: boolean, head: boolean): void {
    const c = row.current;
    const facts = [`step ${c.step}`, `epoch ${c.epoch}`, fmtTime(c.createdAt), fmtBytes(c.bytes)];
    if (c.valLoss !== undefined) facts.push(`val loss ${fmtNum(c.valLoss)}`);
    if (branchPoint) facts.push('branch point');
    if (head) facts.push('Resume continues here');
    row.el.toggleAttribute('data-branch-point', branchPoint);
    row.el.toggleAttribute('data-resume-point', head);
    row.facts.textContent = facts.join(' · ');
    row.el.dataset.kind = c.kind;
    row.el.dataset.ckptId = c.id;
    row.el.dataset.step = String(c.step);
  }

  private row(run: RunSummary, first: CheckpointSummary): CkRow {
    const withId = <T>(c: CheckpointSummary, fn: (id: string) => Promise<T>) => withCheckpoint(this.ctx.api, c.id, { runId: run.id, kind: c.kind }, fn);
    const act = (label: string, f: (c: CheckpointSummary) => Promise<void>, cls = '') => {
      const b: HTMLButtonElement = button(label, () => void whileDisabled(b, () => f(rec.current), (e) => this.ctx.error(e)), { class: cls });
      return b;
    };
    const actions = h(
      'div',
      { class: 'row-actions' },
      act('Inspect', async (c) => {
        const x = await withId(c, (id) => this.ctx.api.inspectCheckpoint(id));
        replace(this.detail, h('section', { class: 'panel-inset', 'aria-label': 'Checkpoint inspection' }, h('h4', {}, `${x.kind} checkpoint at step ${x.step}`), renderInspection(x)));
      }),
      act('Download', async (c) => {
        // a rolling checkpoint is resolved in the worker, in the read itself: a run that saves
        // every few steps replaces it faster than the page could ask for it by id
        const f = await this.ctx.api.exportCheckpoint(c.id, isRolling(c.kind) ? { runId: run.id, kind: c.kind } : undefined);
        download(f.name, f.bytes);
        this.ctx.say(`Downloading ${f.name}`);
      }),
      act('Resume from this checkpoint', async (c) => {
        if (runById(this.ctx.store.get(), run.id)?.status === 'running') throw new RunBusyError('This run is training; pause it before resuming from another checkpoint.', 'run_active');
        const r = await withId(c, (id) => this.ctx.api.resumeOnDataset(id, run.datasetHash, this.ctx.onEvent));
        await this.ctx.runStarted(r.runId, r.warnings);
        this.ctx.say(`Resumed ${run.name} from the ${c.kind} checkpoint at step ${c.step}.`);
      }),
      act('Start fresh from these weights', async (c) => {
        const rolling = isRolling(c.kind);
        const plan = new FreshPlan(this.ctx, {
          checkpointId: c.id,
          slot: { runId: run.id, kind: c.kind },
          family: run.family,
          datasetHash: run.datasetHash,
          choices: choicesOf(run),
          label: rolling ? `the ${c.kind} checkpoint` : `the ${c.kind} checkpoint at step ${c.step}`,
        });
        replace(this.detail, plan.el);
        plan.el.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
      }),
      act('Try the model', async (c) => {
        const rolling = isRolling(c.kind);
        const panel = new TryModel(this.ctx, c.id, rolling ? `the ${c.kind} checkpoint` : `the ${c.kind} checkpoint at step ${c.step}`, rolling ? { runId: run.id, kind: c.kind } : undefined);
        replace(this.detail, panel.el);
        panel.el.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
      }),
      act(
        'Delete checkpoint',
        async (c) => {
          await withId(c, (id) => this.ctx.api.deleteCheckpoint(id));
          this.ctx.say(`Deleted the ${c.kind} checkpoint at step ${c.step}.`);
          await this.refresh();
          this.ctx.refreshStorage();
        },
        'danger',
      ),
    );
    const facts = h('span', { class: 'ckpt-facts' });
    const rec: CkRow = {
      current: first,
      facts,
      el: h('li', { class: 'ckpt-row', 'data-testid': 'ckpt-row' }, h('div', { class: 'ckpt-head' }, h('span', { class: `badge badge-${first.kind}` }, first.kind), facts), actions),
    };
    return rec;
  }
}
