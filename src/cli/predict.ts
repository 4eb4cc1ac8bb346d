// `tabtrain predict FILE.ckpt --data FILE [--json]` and `--prompt TEXT --length N`: the model in
// a checkpoint on new inputs, with nothing but the checkpoint (engine/predict.ts does the work;
// this file reads the inputs and prints).
import { basename } from 'node:path';
import type { DataFile } from '../engine/data/types';
import type { Prediction, Predictor } from '../engine/predict';
import { TabtrainError, UsageError } from '../errors';
import type { Flags } from './args';
import { readDataFiles } from './files';
import { printable, printableJson, printableLines } from './terminal';

type Engine = typeof import('./engine-bundle');
// What is printed comes from files (class names, column names, paths): escaped (terminal.ts).
const out = (line: string) => process.stdout.write(printableLines(line) + '\n'); // generated text keeps its line breaks
const err = (line: string) => process.stderr.write(printable(line) + '\n');

function intFlag(flags: Flags, name: string, min: number): number | undefined {
  const v = flags[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name}: expected an integer >= ${min}, got '${String(v)}'`);
  return n;
}

const fmt = (p: Prediction) =>
  p.probabilities ? `${p.prediction} (${(p.probabilities[p.prediction as string]! * 100).toFixed(1)}%)` : String(+(p.prediction as number).toPrecision(6));

/** Image files out of a file, a folder or a zip. */
function imageFiles(engine: Engine, files: DataFile[]): DataFile[] {
  const all = files.length === 1 && /\.zip$/i.test(files[0]!.path) ? engine.unzipFiles(files[0]!.bytes, basename(files[0]!.path), engine.DEFAULT_MAX_BYTES) : files;
  const imgs = all.filter((f) => engine.isImagePath(f.path) && !engine.isJunkPath(f.path));
  if (!imgs.length) throw new TabtrainError('no_inputs', 'no images found in --data (expected image files, a folder or a zip of them)');
  return imgs;
}

export async function predict(engine: Engine, contents: import('../ckpt/types').CkptContents, flags: Flags): Promise<number> {
  const json = flags.json === true;
  const prompt = flags.prompt as string | undefined;
  const data = flags.data as string | undefined;
  if ((prompt === undefined) === (data === undefined)) throw new UsageError('predict takes --data FILE (CSV rows or images) or --prompt TEXT (a language model), one of them');
  const p: Predictor = new engine.Predictor(contents);
  try {
    if (prompt !== undefined) {
      const length = intFlag(flags, 'length', 1) ?? 200;
      const seed = intFlag(flags, 'seed', 1) ?? 1;
      const t = flags.temperature === undefined ? 1 : Number(flags.temperature);
      if (!(t >= 0 && Number.isFinite(t))) throw new UsageError(`--temperature: expected a number >= 0, got '${String(flags.temperature)}'`);
      const text = await p.generate(prompt, length, t, seed);
      if (json) out(printableJson({ prompt, prediction: text }, 0));
      else out(prompt + text);
      return 0;
    }
    for (const f of ['length', 'temperature']) if (flags[f] !== undefined) throw new UsageError(`--${f} goes with --prompt (a language model)`);
    const files = readDataFiles(data!);
    const schema = p.schema;
    if (schema.kind === 'tabular') {
      if (files.length !== 1) throw new TabtrainError('wrong_input', `this model takes CSV rows: give one .csv file, not ${files.length} files`);
      const t = engine.readCsvColumns(files[0]!.bytes, basename(data!));
      const r = await p.table(t.header, t.columns, t.numRows);
      if (!flags.quiet) for (const n of r.notes) err(`note: ${n}`);
      r.predictions.forEach((x, i) => out(json ? printableJson({ row: i + 1, ...x }, 0) : `row ${i + 1}: ${fmt(x)}`));
      const s = r.score;
      if (s) {
        const line = s.accuracy !== undefined
          ? `accuracy ${s.accuracy.toFixed(4)} (${s.correct} of ${s.rows} rows with a ${schema.label} value)`
          : `rmse ${+s.rmse!.toPrecision(6)}, mae ${+s.mae!.toPrecision(6)} (${s.rows} rows with a ${schema.label} value)`;
        // --json keeps stdout to one object per input: the score goes to stderr
        (json ? err : out)(line);
      }
      return 0;
    }
    if (schema.kind === 'image') {
      const imgs = imageFiles(engine, files);
      const r = await p.images(await engine.decodeImagesChecked(imgs));
      r.forEach((x, i) => out(json ? printableJson({ file: imgs[i]!.path, ...x }, 0) : `${imgs[i]!.path}: ${fmt(x)}`));
      return 0;
    }
    throw new UsageError('this checkpoint holds a language model: give --prompt TEXT (and --length N), not --data');
  } finally {
    p.dispose();
  }
}
