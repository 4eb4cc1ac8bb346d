// What changed in a dataset since a checkpoint, in words: compares the data with the
// checkpoint's schema (schema.ts). The CLI's resume refusal and the page's resume/fresh
// recommendation quote it, and recommend what seed 000's guide does: resume only on the same
// data; on changed data, start fresh from the checkpoint's weights.
import type { Dataset } from './data/types';
import { featureNames, type DataSchema } from './schema';
import { schemaOf } from './schema';
import type { DatasetInfo } from './state';

export interface DataChange {
  /** same content (fingerprint): nothing changed. */
  same: boolean;
  /** another kind of data (a CSV where a text was). */
  kind?: { before: string; after: string };
  /** rows, images or characters. */
  rows?: { before: number; after: number };
  classes?: { added: string[]; removed: string[] };
  characters?: { added: number; removed: number; sample: string[] };
  columns?: { added: string[]; removed: string[]; retyped: { name: string; from: string; to: string }[] };
  label?: { before: string; after: string };
  /** the parent has no schema (state version 1): only the summaries can be compared. */
  unknown?: { before: string; after: string };
}

const UNIT: Record<DataSchema['kind'], string> = { tabular: 'row', image: 'image', text: 'character' };

function diff(before: string[], after: string[]): { added: string[]; removed: string[] } {
  const a = new Set(after);
  const b = new Set(before);
  return { added: after.filter((x) => !b.has(x)), removed: before.filter((x) => !a.has(x)) };
}

/** The structured difference between a checkpoint's data and `ds`. */
export function describeChange(parent: DatasetInfo, ds: Dataset): DataChange {
  if (parent.fingerprint.sha256 === ds.fingerprint.sha256) return { same: true };
  const was = parent.schema;
  const now = schemaOf(ds);
  if (!was || !now) return { same: false, unknown: { before: parent.fingerprint.summary, after: ds.fingerprint.summary } };
  if (was.kind !== now.kind) return { same: false, kind: { before: was.kind, after: now.kind } };
  const c: DataChange = { same: false };
  if (was.rows !== now.rows) c.rows = { before: was.rows, after: now.rows };
  if (was.kind === 'text' && now.kind === 'text') {
    const d = diff(was.vocabulary.map((cp) => String.fromCodePoint(cp)), now.vocabulary.map((cp) => String.fromCodePoint(cp)));
    if (d.added.length || d.removed.length) c.characters = { added: d.added.length, removed: d.removed.length, sample: d.added.slice(0, 8) };
    return c;
  }
  if (was.kind !== 'text' && now.kind !== 'text') {
    const d = diff(was.classes, now.classes);
    if (d.added.length || d.removed.length) c.classes = d;
  }
  if (was.kind === 'tabular' && now.kind === 'tabular') {
    if (was.label !== now.label) c.label = { before: was.label, after: now.label };
    const d = diff(was.columns.map((x) => x.name), now.columns.map((x) => x.name));
    const type = new Map(was.columns.map((x) => [x.name, x.type]));
    const retyped = now.columns.filter((x) => type.has(x.name) && type.get(x.name) !== x.type).map((x) => ({ name: x.name, from: type.get(x.name)!, to: x.type }));
    if (d.added.length || d.removed.length || retyped.length) c.columns = { ...d, retyped };
    else if (featureNames(was).join('\n') !== featureNames(now).join('\n')) c.columns = { added: [], removed: [], retyped: [] }; // categories changed: said below
  }
  return c;
}

const q = (xs: string[], max = 6) => xs.slice(0, max).map((x) => JSON.stringify(x)).join(', ') + (xs.length > max ? `, ... (${xs.length})` : '');
const n = (k: number, word: string) => `${k} ${word}${k === 1 ? '' : 's'}`;

/** The change in one line of words, e.g. `12 rows added (150 -> 162); class "retired" added`. */
export function changeWords(c: DataChange, kind?: DataSchema['kind']): string {
  if (c.same) return 'same data';
  if (c.unknown) return `checkpoint: ${c.unknown.before}; now: ${c.unknown.after} (the checkpoint does not record its data schema, so the difference cannot be itemised)`;
  if (c.kind) return `another kind of data (${c.kind.before} -> ${c.kind.after})`;
  const parts: string[] = [];
  const unit = UNIT[kind ?? 'tabular'];
  if (c.rows) {
    const d = c.rows.after - c.rows.before;
    const span = `(${c.rows.before} -> ${c.rows.after})`;
    parts.push(kind === 'text' ? `the text is ${n(Math.abs(d), 'character')} ${d > 0 ? 'longer' : 'shorter'} ${span}` : `${n(Math.abs(d), unit)} ${d > 0 ? 'added' : 'removed'} ${span}`);
  }
  if (c.label) parts.push(`label column ${JSON.stringify(c.label.before)} -> ${JSON.stringify(c.label.after)}`);
  if (c.classes?.added.length) parts.push(`${c.classes.added.length === 1 ? 'class' : 'classes'} ${q(c.classes.added)} added`);
  if (c.classes?.removed.length) parts.push(`${c.classes.removed.length === 1 ? 'class' : 'classes'} ${q(c.classes.removed)} removed`);
  if (c.characters?.added) parts.push(`${n(c.characters.added, 'character')} added to the vocabulary (${c.characters.added > c.characters.sample.length ? 'e.g. ' : ''}${q(c.characters.sample, 8)})`);
  if (c.characters?.removed) parts.push(`${n(c.characters.removed, 'character')} of the vocabulary no longer in the text`);
  if (c.columns) {
    if (c.columns.added.length) parts.push(`${c.columns.added.length === 1 ? 'column' : 'columns'} ${q(c.columns.added)} added`);
    if (c.columns.removed.length) parts.push(`${c.columns.removed.length === 1 ? 'column' : 'columns'} ${q(c.columns.removed)} removed`);
    for (const r of c.columns.retyped) parts.push(`column ${JSON.stringify(r.name)} retyped ${r.from} -> ${r.to}`);
    if (!c.columns.added.length && !c.columns.removed.length && !c.columns.retyped.length) parts.push('categories of some columns changed');
  }
  if (!parts.length) parts.push(`the same ${unit}s, columns and classes in number, with other values (edited ${unit}s)`);
  return parts.join('; ');
}

/**
 * The resume refusal (and the page's recommendation) for changed data: what changed, why resume
 * is wrong, and what to do, as seed 000's guide says (resume = same dataset only; a changed
 * dataset = fresh training from the checkpoint's weights).
 */
export function changedDataMessage(parent: DatasetInfo, ds: Dataset): string {
  const c = describeChange(parent, ds);
  const grew = (c.classes?.added.length ?? 0) > 0 || (c.characters?.added ?? 0) > 0;
  return (
    `The dataset changed since this checkpoint was saved: ${changeWords(c, parent.schema?.kind)}. ` +
    'Resuming would continue the old optimizer moments, learning-rate schedule and data order on different data. ' +
    "Start fresh from the checkpoint's weights instead: the model keeps what it learned (classes, characters and columns it knew are carried over by name), " +
    `with a new optimizer, schedule and data order for the new data${grew ? '; to train only the new rows, freeze the known ones (--freeze-known)' : ''}.`
  );
}
