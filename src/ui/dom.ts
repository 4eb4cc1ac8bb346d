// Small DOM helpers. Everything that came from a file or the worker goes in as text
// (textContent), never as HTML: there is no innerHTML anywhere in the page code.

type Attrs = Record<string, string | number | boolean | undefined | null>;
type Child = Node | string | number | null | undefined | false;

/** Creates an element; `attrs` become attributes (true = present, false/null/undefined = absent). */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: (Child | Child[])[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, ...children);
  return el;
}

export function append(el: Node, ...children: (Child | Child[])[]): void {
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

/** Replaces all children. */
export function replace(el: Node, ...children: (Child | Child[])[]): void {
  while (el.firstChild) el.removeChild(el.firstChild);
  append(el, ...children);
}

export function button(label: string, onClick: (ev: MouseEvent) => void, attrs: Attrs = {}): HTMLButtonElement {
  const b = h('button', { type: 'button', ...attrs }, label);
  b.addEventListener('click', onClick);
  return b;
}

/**
 * The page's one busy-button helper: runs a button's action with the button disabled (and
 * labelled `busyLabel` meanwhile, when given), handing any error to `onError`. Every button whose
 * action takes a while goes through here, so none can be pressed twice into two runs.
 */
export async function whileDisabled(btn: HTMLButtonElement | null, f: () => Promise<unknown>, onError: (e: unknown) => void, busyLabel?: string): Promise<void> {
  const label = btn?.textContent ?? null;
  if (btn) {
    btn.disabled = true;
    if (busyLabel !== undefined) btn.textContent = busyLabel;
  }
  try {
    await f();
  } catch (e) {
    onError(e);
  } finally {
    if (btn) {
      btn.disabled = false;
      if (busyLabel !== undefined) btn.textContent = label;
    }
  }
}

export interface Debounced {
  /** Asks for a run of `f`; `wait` overrides the delay when this call starts a new burst. */
  (wait?: number): void;
  cancel(): void;
}

/**
 * The page's one debounce helper: a burst of calls becomes one call of `f`, `wait` ms after the
 * first of them. Later calls join the pending one instead of pushing it back: during training,
 * events arrive every fraction of a second without a pause, and a trailing debounce would then
 * never refresh at all. `wait` may be a function, asked when a burst starts (a rate limit).
 */
export function debounce(f: () => void, wait: number | (() => number)): Debounced {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const call = (override?: number) => {
    if (timer !== null) return;
    const ms = override ?? (typeof wait === 'number' ? wait : wait());
    timer = setTimeout(() => {
      timer = null;
      f();
    }, ms);
  };
  return Object.assign(call, {
    cancel() {
      if (timer !== null) clearTimeout(timer);
      timer = null;
    },
  });
}

let idCounter = 0;
/** A unique id for `<label for>` pairs. */
export function uid(prefix: string): string {
  idCounter += 1;
  return `${prefix}-${idCounter}`;
}

/** A labelled control: `<div class=field><label for>..</label>control</div>`. */
export function field(label: string, control: HTMLElement, hint?: string): HTMLDivElement {
  if (!control.id) control.id = uid('f');
  const lab = h('label', { for: control.id }, label);
  const wrap = h('div', { class: 'field' }, lab, control);
  if (hint) {
    const hintEl = h('small', { class: 'hint', id: `${control.id}-hint` }, hint);
    control.setAttribute('aria-describedby', hintEl.id);
    wrap.appendChild(hintEl);
  }
  return wrap;
}

export function numberInput(value: number | undefined, opts: { min?: number; max?: number; step?: number | 'any'; name?: string } = {}): HTMLInputElement {
  const el = h('input', { type: 'number', min: opts.min, max: opts.max, step: opts.step ?? 'any', name: opts.name });
  if (value !== undefined && Number.isFinite(value)) el.value = String(value);
  else el.placeholder = 'default';
  return el;
}

export function select<T extends string>(options: { value: T; label: string }[], value?: T, name?: string): HTMLSelectElement {
  const el = h('select', { name });
  for (const o of options) el.appendChild(h('option', { value: o.value }, o.label));
  if (value !== undefined) el.value = value;
  return el;
}

/** A number from an input, or undefined when it is empty or not a number. */
export function readNumber(el: HTMLInputElement): number | undefined {
  if (el.value.trim() === '') return undefined;
  const v = Number(el.value);
  return Number.isFinite(v) ? v : undefined;
}

/** A comma/space separated list of positive integers ("64, 64"), or undefined. */
export function readIntList(el: HTMLInputElement): number[] | undefined {
  const parts = el.value.split(/[\s,]+/).filter((p) => p !== '');
  if (parts.length === 0) return undefined;
  const nums = parts.map(Number);
  return nums.every((n) => Number.isInteger(n) && n > 0) ? nums : undefined;
}

export function table(head: (string | Node)[], rows: (string | number | Node)[][], attrs: Attrs = {}): HTMLTableElement {
  return h(
    'table',
    attrs,
    h('thead', {}, h('tr', {}, head.map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, rows.map((r) => h('tr', {}, r.map((c) => h('td', {}, c))))),
  );
}

export function fmtBytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return 'unknown';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 * 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(1)} MB`;
  return `${(n / (1024 * 1024 * 1024)).toFixed(2)} GB`;
}

export function fmtMB(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return 'unknown';
  return `${(n / (1024 * 1024)).toFixed(1)} MB`;
}

/** 4 significant digits, no trailing noise; '-' for missing. */
export function fmtNum(v: number | null | undefined, digits = 4): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '-';
  if (v !== 0 && (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e6)) return v.toExponential(2);
  return String(Number(v.toPrecision(digits)));
}

export function fmtPct(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '-';
  return `${(v * 100).toFixed(1)}%`;
}

export function fmtDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return 'unknown';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function fmtTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

/** Shows a character of a vocabulary visibly (newline, tab, space). */
export function showChar(c: string): string {
  if (c === '\n') return '\u23CE';
  if (c === '\t') return '\u21E5';
  if (c === ' ') return '\u2423';
  if (c === '\r') return '\\r';
  return c;
}
