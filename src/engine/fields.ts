// Descriptions of the settings a registry entry (a model family, an optimizer) exposes. The CLI
// flags, the run form's inputs and the checks on a value are generated from these, so adding a
// family or an optimizer never means editing the CLI or the page.

/** A value a person can set: a number, or a list of positive integers ("64, 64"). */
export type FieldValue = number | number[];

export interface FieldDesc {
  /** the key in ConfigOverrides (flat: `hidden`, `contextLength`, `momentum`). */
  key: string;
  /** the CLI flag without dashes (`context-length`). */
  flag: string;
  /** the form's label. */
  label: string;
  /** one line for `--help` and the form's hint. */
  help?: string;
  /** int: an integer; float: any finite number; ints: a comma-separated list of integers. */
  kind: 'int' | 'float' | 'ints';
  /** inclusive bounds (each list item for `ints`). */
  min: number;
  max: number;
  /** the upper bound itself is not allowed (a fraction in [0, 1)). */
  maxExclusive?: boolean;
  /** the lower bound itself is not allowed (a learning rate > 0). */
  minExclusive?: boolean;
  /** `ints` only: at most this many items. */
  maxItems?: number;
}

function range(f: FieldDesc): string {
  return `${f.minExclusive ? '(' : '['}${f.min}, ${f.max}${f.maxExclusive ? ')' : ']'}`;
}

function inRange(f: FieldDesc, v: number): boolean {
  if (!Number.isFinite(v)) return false;
  if (f.kind !== 'float' && !Number.isInteger(v)) return false;
  if (f.minExclusive ? v <= f.min : v < f.min) return false;
  if (f.maxExclusive ? v >= f.max : v > f.max) return false;
  return true;
}

/** What a valid value looks like, for messages: "an integer in [1, 1048576]". */
export function describeField(f: FieldDesc): string {
  const what = f.kind === 'int' ? 'an integer' : f.kind === 'float' ? 'a number' : f.maxItems === 1 ? 'one integer' : 'comma-separated integers';
  const most = f.kind === 'ints' && f.maxItems !== undefined && f.maxItems > 1 ? ` (at most ${f.maxItems})` : '';
  return `${what} in ${range(f)}${most}`;
}

/** Null when `v` is a valid value of `f`, else a message naming the setting. */
export function checkField(f: FieldDesc, v: unknown): string | null {
  const ok = f.kind === 'ints' ? Array.isArray(v) && v.length > 0 && v.length <= (f.maxItems ?? Infinity) && v.every((x) => typeof x === 'number' && inRange(f, x)) : typeof v === 'number' && inRange(f, v);
  if (ok) return null;
  // a hostile value (a million-item list from a file) is shown cut, not in full
  const got = JSON.stringify(v) ?? String(v);
  return `${f.label}: expected ${describeField(f)}, got ${got.length > 80 ? `${got.slice(0, 80)}... (${Array.isArray(v) ? `${v.length} items` : `${got.length} characters`})` : got}`;
}

/** Parses text typed by a person (a flag, a form input). Returns the value or a message. */
export function parseField(f: FieldDesc, raw: string): { value: FieldValue } | { error: string } {
  const text = raw.trim();
  const value: FieldValue =
    f.kind === 'ints' ? text.split(',').map((s) => (s.trim() === '' ? NaN : Number(s.trim()))) : text === '' ? NaN : Number(text);
  const err = checkField(f, value);
  return err ? { error: `expected ${describeField(f)}, got '${raw}'` } : { value };
}

/** Formats a value for a form input or `--help`. */
export function formatField(v: FieldValue | undefined): string {
  if (v === undefined) return '';
  return Array.isArray(v) ? v.join(', ') : String(v);
}
