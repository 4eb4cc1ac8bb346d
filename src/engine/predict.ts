// Using a trained model with nothing but its checkpoint: the weights plus the data schema
// (schema.ts) encode new inputs exactly as training did and name the outputs. The CLI's
// `predict` and the page's "Try the model" both call this (no logic in the front ends).
import * as tf from '@tensorflow/tfjs';
import type { CkptContents } from '../ckpt/types';
import { imageInput } from './data/images';
import { isMissing } from './data/columns';
import type { ColumnSchema } from './data/types';
import { bufferDefs, createModel, paramDefs, positionsOf, type Model, type ModelSpec } from './models';
import { Rng } from './rng';
import { featureNames, vocabChars, type DataSchema, type TabularSchema } from './schema';
import { validateState, type StateMeta } from './state';
import { readCsvColumns } from './data/csv';
import { splitIndices } from './cursor';
import { missingSchemaNote } from './version';
import { TabtrainError } from '../errors';

/** One input's answer. `probabilities` by class name for classification. */
export interface Prediction {
  prediction: string | number;
  probabilities?: Record<string, number>;
}

export interface TableResult {
  predictions: Prediction[];
  /** the label column was present: accuracy (classification) or errors (regression) on its rows. */
  score?: { rows: number; accuracy?: number; correct?: number; rmse?: number; mae?: number };
  /** what was noticed while encoding (unknown categories, non-numbers in numeric columns, extra columns). */
  notes: string[];
}

/** The strict encoding of one column's raw values with a checkpoint's encoder; counts what it did not know. */
function encodeWith(c: ColumnSchema, values: string[], out: Float32Array, at: number, width: number): { unknown: number; sample: string[] } {
  let unknown = 0;
  const sample = new Set<string>();
  if (c.type === 'numeric') {
    values.forEach((v, r) => {
      const x = isMissing(v) ? NaN : Number(v);
      if (!isMissing(v) && !Number.isFinite(x)) {
        unknown++;
        if (sample.size < 3) sample.add(v);
      }
      // a missing value, like in training, sits at the mean: 0
      out[r * width + at] = Number.isFinite(x) ? (x - c.mean) / c.std : 0;
    });
    return { unknown, sample: [...sample] };
  }
  const idx = new Map(c.categories.map((k, i) => [k, i]));
  values.forEach((v, r) => {
    const k = isMissing(v) ? '(missing)' : v;
    const i = idx.get(k);
    // a category the model never saw: all of the column's features 0 (none of the known ones)
    if (i === undefined) {
      unknown++;
      if (sample.size < 3) sample.add(k);
    } else out[r * width + at + i] = 1;
  });
  return { unknown, sample: [...sample] };
}

export class Predictor {
  readonly state: StateMeta;
  readonly schema: DataSchema;
  readonly spec: ModelSpec;
  private readonly model: Model;
  private readonly tensors: Record<string, tf.Tensor> = {};

  /** Refuses a checkpoint without a data schema (state version 1), saying why. */
  constructor(contents: CkptContents) {
    this.state = validateState(contents.state);
    const schema = this.state.dataset.schema;
    if (!schema) throw new TabtrainError('no_schema', `cannot predict: ${missingSchemaNote(this.state.stateVersion, false)}`);
    this.schema = schema;
    this.spec = this.state.config.model;
    const byName = new Map(contents.tensors.map((t) => [t.name, t]));
    for (const d of [...paramDefs(this.spec), ...bufferDefs(this.spec)]) {
      const t = byName.get(`model.${d.name}`);
      if (!t || t.shape.join(',') !== d.shape.join(',')) throw new TabtrainError('invalid_state', `cannot predict: the checkpoint's model.${d.name} is missing or has another shape`);
      this.tensors[d.name] = tf.tensor(t.data as Float32Array, t.shape, 'float32');
    }
    this.model = createModel(this.spec);
  }

  /** Logits for a batch of inputs [n, ...] (evaluation mode), as rows of floats. Sync point. */
  private async logits(x: tf.Tensor): Promise<Float32Array[]> {
    const out = tf.tidy(() => this.model.forward(this.tensors, x, { training: false, dropoutSeed: 0 }));
    const data = (await out.data()) as Float32Array;
    const [n, k] = out.shape;
    out.dispose();
    return Array.from({ length: n }, (_, i) => data.subarray(i * k, (i + 1) * k));
  }

  private named(logits: Float32Array, classes: string[]): Prediction {
    const m = Math.max(...logits);
    const e = Array.from(logits, (v) => Math.exp(v - m));
    const s = e.reduce((a, b) => a + b, 0);
    let best = 0;
    for (let i = 1; i < logits.length; i++) if (logits[i]! > logits[best]!) best = i;
    return { prediction: classes[best]!, probabilities: Object.fromEntries(classes.map((c, i) => [c, e[i]! / s])) };
  }

  /** CSV rows, columns matched by name in any order; the label column is optional. */
  async table(header: string[], columns: string[][], numRows: number): Promise<TableResult> {
    const s = this.schema as TabularSchema;
    if (s.kind !== 'tabular') throw new TabtrainError('wrong_input', `this checkpoint's model takes ${s.kind === 'text' ? 'a prompt (--prompt)' : 'images'}, not CSV rows`);
    const at = new Map(header.map((h, i) => [h, i]));
    const missing = s.columns.filter((c) => !at.has(c.name)).map((c) => c.name);
    if (missing.length) throw new TabtrainError('missing_columns', `the data lacks the model's input ${missing.length === 1 ? 'column' : 'columns'} ${missing.map((m) => JSON.stringify(m)).join(', ')} (it has ${header.join(', ')})`, { missing });
    const notes: string[] = [];
    const used = new Set([...s.columns.map((c) => c.name), s.label]);
    const extra = header.filter((h) => !used.has(h));
    if (extra.length) notes.push(`not used by the model: ${extra.join(', ')}`);
    const width = featureNames(s).length;
    const x = new Float32Array(numRows * width);
    let off = 0;
    for (const c of s.columns) {
      const { unknown, sample } = encodeWith(c, columns[at.get(c.name)!]!, x, off, width);
      if (unknown) notes.push(`${c.name}: ${unknown} ${unknown === 1 ? 'row has a value' : 'rows have values'} the model does not know (${sample.map((v) => JSON.stringify(v)).join(', ')}${unknown > sample.length ? ', ...' : ''}), ${c.type === 'numeric' ? 'read as missing' : 'encoded as no known category'}`);
      off += c.type === 'numeric' ? 1 : c.categories.length;
    }
    const predictions: Prediction[] = [];
    const B = 512;
    for (let r = 0; r < numRows; r += B) {
      const n = Math.min(B, numRows - r);
      const xt = tf.tensor2d(x.subarray(r * width, (r + n) * width), [n, width]);
      const rows = await this.logits(xt);
      xt.dispose();
      for (const l of rows) predictions.push(s.task === 'classification' ? this.named(l, s.classes) : { prediction: l[0]! * s.labelStats!.std + s.labelStats!.mean });
    }
    const result: TableResult = { predictions, notes };
    const li = at.get(s.label);
    if (li !== undefined) result.score = score(s, columns[li]!, predictions);
    return result;
  }

  /** Decoded images (RGBA), preprocessed as in training. */
  async images(imgs: { width: number; height: number; data: Uint8Array | Uint8ClampedArray }[]): Promise<Prediction[]> {
    const s = this.schema;
    if (s.kind !== 'image') throw new TabtrainError('wrong_input', `this checkpoint's model takes ${s.kind === 'text' ? 'a prompt (--prompt)' : 'CSV rows'}, not images`);
    const per = s.height * s.width * s.channels;
    const x = new Float32Array(imgs.length * per);
    imgs.forEach((img, i) => x.set(imageInput(img, s.height, s.width, s.channels), i * per));
    const xt = tf.tensor4d(x, [imgs.length, s.height, s.width, s.channels]);
    const rows = await this.logits(xt);
    xt.dispose();
    return rows.map((l) => this.named(l, s.classes));
  }

  /**
   * A language model's continuation of `prompt`: `length` characters sampled at `temperature`
   * (0 = always the likeliest) from the run's RNG seeded with `seed`, so a seed repeats its text.
   */
  async generate(prompt: string, length: number, temperature = 1, seed = 1): Promise<string> {
    const s = this.schema;
    if (s.kind !== 'text') throw new TabtrainError('wrong_input', `this checkpoint's model is not a language model: give --data with ${s.kind === 'image' ? 'images' : 'CSV rows'}`);
    const vocab = vocabChars(s);
    const idOf = new Map(vocab.map((c, i) => [c, i]));
    const chars = [...prompt.replace(/\r\n/g, '\n')];
    const unknown = [...new Set(chars.filter((c) => !idOf.has(c)))];
    if (unknown.length) throw new TabtrainError('unknown_characters', `the prompt has ${unknown.length === 1 ? 'a character' : 'characters'} the model's vocabulary lacks: ${unknown.map((c) => JSON.stringify(c)).join(', ')}`, { unknown });
    if (chars.length === 0) throw new TabtrainError('no_inputs', 'the prompt is empty: give at least one character');
    const T = positionsOf(this.spec);
    const ids = chars.map((c) => idOf.get(c)!);
    const rng = Rng.fromSeed(seed);
    let out = '';
    for (let k = 0; k < length; k++) {
      // The last T ids; a shorter context is padded on the right: the model is causal, so the
      // prediction at the last real position never sees the padding.
      const ctx = ids.slice(-T);
      const pos = ctx.length - 1;
      const xt = tf.tensor2d(Int32Array.from({ length: T }, (_, i) => ctx[i] ?? 0), [1, T], 'int32');
      const rows = await this.logits(xt);
      xt.dispose();
      const next = sample(rows[pos]!, temperature, rng);
      ids.push(next);
      out += vocab[next]!;
    }
    return out;
  }

  dispose(): void {
    tf.dispose(Object.values(this.tensors));
    this.model.dispose();
  }
}

/** An id from logits at a temperature (0: the likeliest). */
function sample(logits: Float32Array, temperature: number, rng: Rng): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i]! > logits[best]!) best = i;
  if (temperature <= 0) return best;
  const m = logits[best]!;
  const p = Array.from(logits, (v) => Math.exp((v - m) / temperature));
  let u = rng.nextFloat() * p.reduce((a, b) => a + b, 0);
  for (let i = 0; i < p.length; i++) if ((u -= p[i]!) < 0) return i;
  return p.length - 1;
}

/** Accuracy (classification: a label the model does not know counts as wrong) or RMSE and MAE. */
function score(s: TabularSchema, labels: string[], predictions: Prediction[]): TableResult['score'] {
  const rows = labels.map((v, i) => ({ v, p: predictions[i]! })).filter((r) => !isMissing(r.v));
  if (s.task === 'classification') {
    // numeric class names compare as numbers ("1.0" is class "1"), as the CSV reader does
    const norm = (v: string) => (s.classes.includes(v) ? v : Number.isFinite(Number(v)) ? String(Number(v)) : v);
    const correct = rows.filter((r) => norm(r.v) === r.p.prediction).length;
    return { rows: rows.length, correct, accuracy: rows.length ? correct / rows.length : 0 };
  }
  let se = 0;
  let ae = 0;
  for (const r of rows) {
    const d = Number(r.v) - (r.p.prediction as number);
    se += d * d;
    ae += Math.abs(d);
  }
  return { rows: rows.length, rmse: Math.sqrt(se / Math.max(1, rows.length)), mae: ae / Math.max(1, rows.length) };
}

/** One input the page's "Try the model" panel sends to the worker. */
export type TryInput =
  | { kind: 'row'; values: Record<string, string> }
  | { kind: 'image'; image: { width: number; height: number; data: Uint8Array | Uint8ClampedArray } }
  | { kind: 'prompt'; text: string; length: number; temperature: number; seed: number };

export type TryOutput = Prediction | { text: string };

/** Runs one TryInput (the page's panel; the CLI calls the same methods on files). */
export async function tryOnce(p: Predictor, input: TryInput): Promise<TryOutput> {
  if (input.kind === 'prompt') return { text: await p.generate(input.text, input.length, input.temperature, input.seed) };
  if (input.kind === 'image') return (await p.images([input.image]))[0]!;
  const header = Object.keys(input.values);
  const r = await p.table(header, header.map((h) => [input.values[h]!]), 1);
  return r.predictions[0]!;
}

/**
 * The raw cells of the run's first validation row (the panel's form is prefilled with it): the
 * CSV's rows with a label, split as the engine splits them. Undefined when it cannot be found.
 */
export function validationRow(state: StateMeta, csv: Uint8Array, name: string): Record<string, string> | undefined {
  const s = state.dataset.schema;
  if (s?.kind !== 'tabular') return undefined;
  const t = readCsvColumns(csv, name);
  const li = t.header.indexOf(s.label);
  if (li < 0) return undefined;
  const rows = [...Array(t.numRows).keys()].filter((r) => !isMissing(t.columns[li]![r]!));
  const val = splitIndices(rows.length, state.config.valFraction, state.config.seed).val;
  const r = rows[val.length ? val[0]! : 0]!;
  return Object.fromEntries(s.columns.map((c) => [c.name, t.columns[t.header.indexOf(c.name)]?.[r] ?? '']));
}
