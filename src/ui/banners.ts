// Page-wide messages: the dismissible error banner (role=alert), the polite status line, and
// the backend banner. Messages are one plain line; a stack trace never reaches the page.
import { button, h, replace } from './dom';
import { nameText } from './names';

/** One line a person can read, from anything thrown (worker errors arrive rebuilt as Error). */
export function messageOf(e: unknown): string {
  let msg = '';
  if (e instanceof Error) msg = e.message;
  else if (typeof e === 'string') msg = e;
  else if (e && typeof e === 'object' && 'message' in e && typeof (e as { message: unknown }).message === 'string') msg = (e as { message: string }).message;
  // Only the first line: anything after it would be a stack or a dump.
  msg = (msg.split('\n')[0] ?? '').trim();
  return msg || 'Something went wrong.';
}

export class ErrorBanner {
  readonly el: HTMLElement;
  private text: HTMLElement;

  constructor() {
    this.text = h('p', { class: 'banner-text' });
    this.el = h(
      'div',
      { class: 'banner banner-error', role: 'alert', 'data-testid': 'error-banner', hidden: true },
      this.text,
      button('Dismiss', () => this.clear(), { class: 'quiet', 'aria-label': 'Dismiss error' }),
    );
  }

  show(e: unknown): void {
    this.text.textContent = nameText(messageOf(e), 2000); // messages quote file, column and class names
    this.el.hidden = false;
  }

  clear(): void {
    this.el.hidden = true;
    this.text.textContent = '';
  }
}

/** The polite live region at the bottom of the header: "Dataset loaded", "Run paused", ... */
export class StatusLine {
  readonly el: HTMLElement;
  constructor() {
    this.el = h('p', { class: 'status-line', role: 'status', 'aria-live': 'polite', 'data-testid': 'status-line' });
  }
  say(msg: string): void {
    this.el.textContent = nameText(msg, 2000); // messages quote file and run names
  }
}

/** A plain informational banner that can be filled and hidden (the WebGPU one). */
export class InfoBanner {
  readonly el: HTMLElement;
  constructor(testid: string) {
    this.el = h('div', { class: 'banner banner-info', 'data-testid': testid, hidden: true, role: 'note' });
  }
  show(...parts: (string | Node)[]): void {
    replace(this.el, parts.map((p) => (typeof p === 'string' ? nameText(p, 2000) : p))); // the eviction notice lists run and file names
    this.el.hidden = false;
  }
  hide(): void {
    this.el.hidden = true;
    replace(this.el);
  }
}
