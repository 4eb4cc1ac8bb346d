// The list of runs: status, dataset, model, progress, best metric, and the buttons that act on
// each run. Rows are kept by run id and patched in place, so a progress event never rebuilds
// the list (and never steals keyboard focus from a button). It draws the page state's runs and
// selection (page-state.ts); the buttons call back into App.
import type { RunStatus, RunSummary } from '../worker/protocol';
import { button, fmtNum, fmtPct, h, replace } from './dom';
import { runById, type PageStore } from './page-state';
import { nameEl, nameText } from './names';

export interface RunActions {
  select(run: RunSummary): void;
  pause(run: RunSummary): void;
  resume(run: RunSummary): void;
  stop(run: RunSummary): void;
  remove(run: RunSummary): void;
  checkpoints(run: RunSummary): void;
}

const STATUS_LABEL: Record<RunStatus, string> = {
  running: 'Running',
  paused: 'Paused',
  interrupted: 'Interrupted',
  finished: 'Finished',
  failed: 'Failed',
  diverged: 'Diverged',
};

interface Row {
  el: HTMLElement;
  status: HTMLElement;
  progress: HTMLElement;
  best: HTMLElement;
  info: HTMLElement;
  error: HTMLElement;
  actions: HTMLElement;
  name: HTMLButtonElement;
  /** status plus whether another tab trains it: the button set depends on both. */
  shownStatus: string | null;
}

export function progressText(r: Pick<RunSummary, 'step' | 'epoch' | 'totalSteps'>): string {
  const total = Number.isFinite(r.totalSteps) && r.totalSteps > 0 ? ` / ${r.totalSteps}` : '';
  return `step ${r.step}${total}, epoch ${r.epoch}`;
}

export function bestText(r: Pick<RunSummary, 'best'>): string {
  const b = r.best;
  if (!b) return 'no evaluation yet';
  const parts = [`best val loss ${fmtNum(b.valLoss)}`];
  if (b.valAccuracy !== undefined) parts.push(`accuracy ${fmtPct(b.valAccuracy)}`);
  return `${parts.join(', ')} at step ${b.step}`;
}

export class RunList {
  readonly el: HTMLElement;
  private list: HTMLElement;
  private empty: HTMLElement;
  private rows = new Map<string, Row>();
  /** the summary each row shows: a row is patched only when its run's summary object changed. */
  private shown = new Map<string, RunSummary>();
  private order: string[] = [];
  private selected: string | null = null;
  private frame = 0;

  constructor(
    private store: PageStore,
    private actions: RunActions,
  ) {
    this.list = h('ul', { class: 'run-list', 'aria-label': 'Runs' });
    this.empty = h('p', { class: 'muted' }, 'No runs yet. Start one from the form.');
    this.el = h('div', {}, this.empty, this.list);
    store.subscribe((s) => s.runs, (runs) => this.render(runs));
    store.subscribe((s) => s.selected, (id) => this.setSelected(id));
    this.render(store.get().runs);
  }

  /** Keeps one row per run, in the state's order, showing that run's summary. */
  private render(runs: readonly RunSummary[]): void {
    const ids = new Set(runs.map((r) => r.id));
    for (const [id, row] of this.rows) {
      if (!ids.has(id)) {
        row.el.remove();
        this.rows.delete(id);
        this.shown.delete(id);
      }
    }
    for (const r of runs) {
      if (this.rows.has(r.id)) continue;
      this.patch(this.create(r), r); // a new row is complete when it appears
      this.shown.set(r.id, r);
    }
    // Re-append only when the order changed: moving a row would take keyboard focus off its buttons.
    const order = runs.map((r) => r.id);
    if (order.join() !== this.order.join()) for (const id of order) this.list.appendChild(this.rows.get(id)!.el);
    this.order = order;
    this.empty.hidden = runs.length > 0;
    // A new status changes the buttons: at once. Progress arrives many times a second: the
    // other changes are drawn at most once per frame.
    for (const r of runs) {
      const was = this.shown.get(r.id)!;
      if (was !== r && (was.status !== r.status || !!was.busyElsewhere !== !!r.busyElsewhere)) {
        this.patch(this.rows.get(r.id)!, r);
        this.shown.set(r.id, r);
      }
    }
    if (this.frame === 0 && runs.some((r) => this.shown.get(r.id) !== r)) {
      this.frame = requestAnimationFrame(() => {
        this.frame = 0;
        for (const r of this.store.get().runs) {
          const row = this.rows.get(r.id);
          if (row && this.shown.get(r.id) !== r) {
            this.patch(row, r);
            this.shown.set(r.id, r);
          }
        }
      });
    }
  }

  private setSelected(id: string | null): void {
    this.selected = id;
    for (const [rid, row] of this.rows) {
      row.el.classList.toggle('selected', rid === id);
      row.name.setAttribute('aria-pressed', String(rid === id));
    }
  }

  private create(r: RunSummary): Row {
    const name = h('button', { type: 'button', class: 'run-name linklike', 'aria-pressed': 'false', title: 'Show this run in the live view' });
    name.addEventListener('click', () => {
      const run = runById(this.store.get(), r.id);
      if (run) this.actions.select(run);
    });
    const row: Row = {
      el: h('li', { class: 'run-row', 'data-testid': 'run-row', 'data-run-id': r.id }),
      status: h('span', { class: 'badge' }),
      progress: h('span', { class: 'run-progress' }),
      best: h('span', { class: 'run-best' }),
      info: h('span', { class: 'run-info' }),
      error: h('p', { class: 'run-error', hidden: true }),
      actions: h('div', { class: 'run-actions' }),
      name,
      shownStatus: null,
    };
    row.el.append(
      h('div', { class: 'run-head' }, row.name, row.status),
      h('div', { class: 'run-meta' }, row.info, row.progress, row.best),
      row.error,
      row.actions,
    );
    this.rows.set(r.id, row);
    return row;
  }

  private patch(row: Row, r: RunSummary): void {
    const elsewhere = !!r.busyElsewhere;
    row.el.dataset.status = r.status;
    if (elsewhere) row.el.dataset.busyElsewhere = 'true';
    else delete row.el.dataset.busyElsewhere;
    replace(row.name, nameEl(r.name));
    row.status.textContent = elsewhere ? 'In another tab' : (STATUS_LABEL[r.status] ?? r.status);
    row.status.className = `badge badge-${elsewhere ? 'elsewhere' : r.status}`;
    replace(row.info, `${r.family} · `, nameEl(r.datasetSummary, 160));
    row.progress.textContent = progressText(r);
    row.best.textContent = bestText(r);
    const note = elsewhere ? 'Another tab of this browser is training this run; it can be taken over here once that tab pauses it or closes.' : (r.lastError ?? '');
    row.error.hidden = !note;
    row.error.textContent = nameText(note, 2000); // an error may quote a file's name
    row.error.classList.toggle('run-note', elsewhere);
    row.el.classList.toggle('selected', r.id === this.selected);
    row.name.setAttribute('aria-pressed', String(r.id === this.selected));
    const key = `${r.status}${elsewhere ? '/elsewhere' : ''}`;
    if (row.shownStatus !== key) {
      row.shownStatus = key;
      this.buttons(row, r.id, r.status, elsewhere);
    }
  }

  private buttons(row: Row, id: string, status: RunStatus, elsewhere: boolean): void {
    const act = (f: (run: RunSummary) => void) => () => {
      const run = runById(this.store.get(), id);
      if (run) f(run);
    };
    const b: HTMLButtonElement[] = [];
    if (elsewhere) {
      replace(row.actions, button('Checkpoints', act(this.actions.checkpoints)));
      return;
    }
    if (status === 'running') b.push(button('Pause', act(this.actions.pause)));
    if (status === 'paused' || status === 'interrupted' || status === 'failed') b.push(button('Resume', act(this.actions.resume), { class: 'primary' }));
    if (status === 'running' || status === 'paused') b.push(button('Stop', act(this.actions.stop)));
    b.push(button('Checkpoints', act(this.actions.checkpoints)));
    b.push(button('Delete run', act(this.actions.remove), { class: 'danger' }));
    // keep focus on the same button name if it survives the change (Pause -> Resume does not)
    const focused = row.actions.contains(document.activeElement) ? (document.activeElement as HTMLElement).textContent : null;
    replace(row.actions, b);
    const again = b.find((x) => x.textContent === focused) ?? (focused ? b[0] : undefined);
    again?.focus();
  }
}
