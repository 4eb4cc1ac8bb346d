// Names that came from a file (a file, run, column, class or tensor name) as the page shows
// them: legible and honest. Two attacks this stops (issue 15): a 1 MB name rendered in full (an
// element 13 million pixels wide), and bidirectional controls that reorder what is shown
// ("x\u202etxt.ckpt" displayed as "xtpkc.txt"). Every place that renders such a name uses
// nameEl (an element) or nameText (inside a sentence); the page never shows a raw one.
import { h } from './dom';

/** Characters shown of a name before it is cut (the full text is in the title). */
export const NAME_MAX = 80;
/** The title (the full text on demand) holds at most this much; past it the length is said. */
const TITLE_MAX = 4000;

/**
 * Bidirectional controls (embeddings, overrides, isolates, marks) and C0/C1 control characters
 * (newlines, escapes, NUL). Shown as visible \uXXXX so they can neither reorder nor hide text.
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

const escapeChar = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** The name with every control made visible (\u202e stays readable as those six characters). */
export function neutralise(raw: string): string {
  return raw.replace(UNSAFE, escapeChar);
}

/** Cuts `s` to `max` characters plus an ellipsis, never between the halves of a surrogate pair. */
function cut(s: string, max: number): string {
  if (s.length <= max) return s;
  let end = max;
  const c = s.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end -= 1;
  return `${s.slice(0, end)}\u2026`;
}

export interface ShownName {
  /** what the view shows: neutralised, cut to `max`. */
  text: string;
  /** the neutralised full name (up to TITLE_MAX, then its length is said): for a title. */
  full: string;
  /** whether `text` is not the name as it is (cut, or a control made visible). */
  changed: boolean;
}

/** How a name is shown, and its full text on demand. Pure: no DOM. */
export function showName(raw: string, max = NAME_MAX): ShownName {
  const safe = neutralise(String(raw));
  const text = cut(safe, max);
  const full = safe.length > TITLE_MAX ? `${cut(safe, TITLE_MAX)} (${raw.length.toLocaleString('en-US')} characters in all)` : safe;
  return { text, full, changed: text !== raw };
}

/** A name inside a sentence (a status line, a heading's text): neutralised and cut. */
export function nameText(raw: string, max = NAME_MAX): string {
  return showName(raw, max).text;
}

/**
 * A name as an element: a <bdi> (isolated from the text around it, so even right-to-left
 * letters cannot reorder its neighbours), neutralised and cut, with the full name in its title
 * when the view shows anything else.
 */
export function nameEl(raw: string, max = NAME_MAX): HTMLElement {
  const s = showName(raw, max);
  return h('bdi', { class: 'name', title: s.changed ? s.full : undefined }, s.text);
}
