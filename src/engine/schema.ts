// The data schema a checkpoint records (state.dataset.schema, state version 2): what the model's
// inputs and outputs stand for, so a checkpoint alone can encode a new input and name its
// output, a fresh run can carry rows over by meaning (fresh-map.ts), and a changed dataset can be
// described in words (describeChange). docs/ckpt-format.md "The data schema".
import type { ColumnSchema, Dataset, DroppedColumn, TaskKind } from './data/types';
import type { StateMeta } from './state';
import { missingSchemaNote } from './version';

export interface TabularSchema {
  kind: 'tabular';
  /** kept columns in feature order, each with its encoder. */
  columns: ColumnSchema[];
  /** columns left out, and why. */
  dropped: DroppedColumn[];
  label: string;
  task: TaskKind;
  /** classification: class names, index = head unit. Empty for regression. */
  classes: string[];
  /** regression: the raw label's mean and std (a prediction p means p * std + mean). */
  labelStats?: { mean: number; std: number };
  /** data rows read (with a label). */
  rows: number;
}

export interface ImageSchema {
  kind: 'image';
  height: number;
  width: number;
  channels: 1 | 3;
  /** how pixels become inputs (images.ts): values in [0, 1], alpha over black, area resize. */
  colour: 'rgb' | 'grayscale-bt601';
  classes: string[];
  rows: number;
}

export interface TextSchema {
  kind: 'text';
  /** code points in id order: vocabulary[id] is the character of embedding row id. */
  vocabulary: number[];
  /** Windows line ends (\r\n) are read as \n before the vocabulary is built. */
  newlines: 'crlf-as-lf';
  /** characters in the text. */
  rows: number;
}

export type DataSchema = TabularSchema | ImageSchema | TextSchema;

/** The schema of a parsed dataset; undefined for a hand-built tabular dataset without encoders. */
export function schemaOf(ds: Dataset): DataSchema | undefined {
  if (ds.kind === 'text') return { kind: 'text', vocabulary: ds.vocab.map((c) => c.codePointAt(0)!), newlines: 'crlf-as-lf', rows: ds.ids.length };
  if (ds.kind === 'image') {
    const channels = ds.channels === 1 ? 1 : 3;
    return { kind: 'image', height: ds.height, width: ds.width, channels, colour: channels === 1 ? 'grayscale-bt601' : 'rgb', classes: ds.classes.slice(), rows: ds.numImages };
  }
  if (!ds.columns) return undefined;
  const s: TabularSchema = { kind: 'tabular', columns: ds.columns, dropped: ds.dropped, label: ds.labelName, task: ds.task, classes: ds.classes.slice(), rows: ds.numRows };
  if (ds.labelStats) s.labelStats = ds.labelStats;
  return s;
}

/** The feature names a tabular schema produces, in input order (`col` or `col=value`). */
export function featureNames(s: TabularSchema): string[] {
  return s.columns.flatMap((c) => (c.type === 'numeric' ? [c.name] : c.categories.map((v) => `${c.name}=${v}`)));
}

/** The characters of a text schema, in id order. */
export function vocabChars(s: TextSchema): string[] {
  return s.vocabulary.map((cp) => String.fromCodePoint(cp));
}

/** What a model axis can be indexed by (FamilyDef.axes), and the names along it in a schema. */
export type AxisKey = 'class' | 'vocab' | 'feature';

export function keysOf(s: DataSchema | undefined, by: AxisKey): string[] | undefined {
  if (!s) return undefined;
  if (by === 'vocab') return s.kind === 'text' ? vocabChars(s) : undefined;
  if (by === 'feature') return s.kind === 'tabular' ? featureNames(s) : undefined;
  if (s.kind === 'text') return undefined;
  return s.classes.length ? s.classes : undefined;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStrs = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === 'string');
const fin = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
const nat = (v: unknown) => Number.isInteger(v) && (v as number) >= 0;

/** A schema's problem (from a possibly hostile file), or null. */
export function schemaError(s: unknown): string | null {
  if (!isObj(s)) return 'not an object';
  if (!nat(s.rows)) return 'rows must be a non-negative integer';
  if (s.kind === 'text') {
    const v = s.vocabulary;
    if (!Array.isArray(v) || !v.every((cp) => Number.isInteger(cp) && cp >= 0 && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff))) return 'vocabulary must be a list of code points';
    if (new Set(v).size !== v.length) return 'vocabulary repeats a code point';
    if (s.newlines !== 'crlf-as-lf') return `unknown newlines ${JSON.stringify(s.newlines)}`;
    return null;
  }
  if (s.kind === 'image') {
    if (!nat(s.height) || !nat(s.width) || (s.channels !== 1 && s.channels !== 3)) return 'image size must be {height, width, channels 1 or 3}';
    if (s.colour !== 'rgb' && s.colour !== 'grayscale-bt601') return `unknown colour ${JSON.stringify(s.colour)}`;
    return isStrs(s.classes) ? null : 'classes must be a list of strings';
  }
  if (s.kind !== 'tabular') return `unknown kind ${JSON.stringify(s.kind)}`;
  if (typeof s.label !== 'string' || (s.task !== 'classification' && s.task !== 'regression')) return 'label and task (classification or regression) are required';
  if (!isStrs(s.classes)) return 'classes must be a list of strings';
  if (!Array.isArray(s.columns)) return 'columns must be a list';
  for (const c of s.columns as unknown[]) {
    if (!isObj(c) || typeof c.name !== 'string') return 'a column has no name';
    if (c.type === 'numeric' ? !(fin(c.mean) && fin(c.std) && (c.std as number) > 0) : !(c.type === 'categorical' && isStrs(c.categories))) {
      return `column ${JSON.stringify(c.name)}: expected numeric {mean, std > 0} or categorical {categories}`;
    }
  }
  if (!Array.isArray(s.dropped) || !s.dropped.every((d) => isObj(d) && typeof d.column === 'string' && typeof d.reason === 'string')) return 'dropped must be a list of {column, reason}';
  if (s.labelStats !== undefined && !(isObj(s.labelStats) && fin(s.labelStats.mean) && fin(s.labelStats.std))) return 'labelStats must be {mean, std}';
  return null;
}

/** The schema in one line for people (`tabtrain inspect`, the page's checkpoint inspection). */
export function describeSchema(s: Pick<StateMeta, 'stateVersion' | 'dataset'>): string {
  const schema = s.dataset.schema;
  if (!schema) return `none. ${missingSchemaNote(s.stateVersion, false)}`;
  const n = (v: number) => +v.toPrecision(4);
  if (schema.kind === 'text') return `text, vocabulary of ${schema.vocabulary.length}: ${JSON.stringify(vocabChars(schema).join(''))}`;
  if (schema.kind === 'image') return `images ${schema.height}x${schema.width}, ${schema.colour}, classes ${schema.classes.join(', ')}`;
  const cols = schema.columns.map((c) => (c.type === 'numeric' ? `${c.name} (numeric, mean ${n(c.mean)}, std ${n(c.std)})` : `${c.name} (categorical: ${c.categories.join('|')})`));
  const task = schema.task === 'classification' ? `classes ${schema.classes.join(', ')}` : `regression, label mean ${n(schema.labelStats!.mean)}, std ${n(schema.labelStats!.std)}`;
  return `label ${schema.label}: ${task}; columns ${cols.join(', ')}${schema.dropped.length ? `; left out ${schema.dropped.map((d) => `${d.column} (${d.reason})`).join(', ')}` : ''}`;
}
