// On load, runs cut off by a reload or a crash are listed prominently with a one-click Resume.
// Drawn from the page state's runs (page-state.ts).
import type { RunSummary } from '../worker/protocol';
import { button, h } from './dom';
import type { PageStore } from './page-state';
import { nameEl, nameText } from './names';

export class InterruptedBanners {
  readonly el: HTMLElement;
  private shown = new Map<string, HTMLElement>();
  private dismissed = new Set<string>();

  constructor(
    store: PageStore,
    private onResume: (run: RunSummary, btn: HTMLButtonElement) => void,
  ) {
    this.el = h('div', { class: 'interrupted' });
    store.subscribe((s) => s.runs, (runs) => this.sync(runs));
  }

  /** Shows one banner per interrupted run (newest first, at most 3), hides the rest. */
  private sync(runs: readonly RunSummary[]): void {
    const want = runs.filter((r) => r.status === 'interrupted' && !this.dismissed.has(r.id)).slice(0, 3);
    const ids = new Set(want.map((r) => r.id));
    for (const [id, el] of this.shown) {
      if (!ids.has(id)) {
        el.remove();
        this.shown.delete(id);
      }
    }
    for (const r of want) {
      if (this.shown.has(r.id)) continue;
      const resume: HTMLButtonElement = button('Resume', () => this.onResume(r, resume), { class: 'primary' });
      const el = h(
        'div',
        { class: 'banner banner-warn', role: 'status', 'data-testid': 'interrupted-banner', 'data-run-id': r.id },
        h('p', { class: 'banner-text' }, 'Run ', nameEl(r.name), ` was interrupted at step ${r.step}. It resumes exactly where its last checkpoint left off.`),
        resume,
        button('Not now', () => this.dismiss(r.id), { class: 'quiet', 'aria-label': `Hide the notice about ${nameText(r.name)}` }),
      );
      this.shown.set(r.id, el);
      this.el.appendChild(el);
    }
  }

  dismiss(id: string): void {
    this.dismissed.add(id);
    this.shown.get(id)?.remove();
    this.shown.delete(id);
  }
}
