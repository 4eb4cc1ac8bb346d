// CSV -> TabularDataset: reads the table (papaparse, every value as a string: dynamicTyping would
// turn "007" into 7 and "NA" into a string in the same column), picks the label, drops rows
// without one, and hands each column to columns.ts, which types it, encodes it or says why it
// is left out (never silently).
import Papa from 'papaparse';
import { DatasetError, DEFAULT_MAX_BYTES, checkSize, limitsOf, overBudget } from './errors';
import { sha256Hex, tabularFingerprint } from './fingerprint';
import { decodeUtf8Strict } from './text';
import type { DroppedColumn, ParseOptions, TabularDataset } from './types';
import { analyse, codesKey, encodeColumn, encodeLabel, isMissing, plural, round, sameCodes, type Analysis, type Encoder } from './columns';

type Limits = ReturnType<typeof limitsOf>;

interface Table {
  header: string[];
  /** column-major: columns[c][row], values trimmed. */
  columns: string[][];
  numRows: number;
  /** line number (1-based) where data row i starts; counts multi-line quoted fields correctly. */
  line: (row: number) => number;
}

/** Splits the text into columns, checking that every row has as many fields as the header. */
function readTable(text: string, name: string, limits: Limits, onProgress?: ParseOptions['onProgress']): Table {
  let header: string[] | undefined;
  const columns: string[][] = [];
  const cursors: number[] = []; // text offset where each row (header included) ends
  let failure: DatasetError | undefined;
  // Line of the row that begins at `from` (after blank lines papaparse skipped). Only called
  // for messages, so a scan from the top is fine.
  const lineAt = (from: number): number => {
    let s = from;
    while (s < text.length && /\s/.test(text[s]!)) s++;
    let line = 1;
    for (let i = text.indexOf('\n'); i >= 0 && i < s; i = text.indexOf('\n', i + 1)) line++;
    return line;
  };
  const rowStart = (i: number): number => (i === 0 ? 0 : cursors[i - 1]!);
  const fail = (e: DatasetError, parser: Papa.Parser): void => { failure = e; parser.abort(); };
  Papa.parse<string[]>(text, {
    header: false,
    dynamicTyping: false,
    skipEmptyLines: true,
    step: (r, parser) => {
      const row = r.data;
      const quoteError = r.errors.find((e) => e.type === 'Quotes');
      if (quoteError) {
        const line = lineAt(rowStart(cursors.length));
        return fail(new DatasetError('bad-csv', `line ${line}: ${quoteError.message.toLowerCase()} in ${name}`, `line ${line}`), parser);
      }
      if (header === undefined) {
        // Budgets as the table is read, before it is held: columns at the header, rows and cells per row.
        if (row.length > limits.csvColumns) {
          return fail(overBudget({ file: name, quantity: 'columns', value: row.length, limit: limits.csvColumns, fix: 'keep fewer columns (select the ones to train on)', where: 'line 1' }), parser);
        }
        header = row;
        for (let c = 0; c < row.length; c++) columns.push([]);
      } else if (row.length !== header.length) {
        if (row.length === 1 && row[0]!.trim() === '') return; // a line of spaces: blank, not ragged
        const line = lineAt(rowStart(cursors.length));
        return fail(new DatasetError('ragged-row', `line ${line}: expected ${header.length} fields, found ${row.length}`, `line ${line}`), parser);
      } else {
        const rows = columns[0]!.length + 1;
        if (rows > limits.csvRows) return fail(overBudget({ file: name, quantity: 'rows', value: rows, limit: limits.csvRows, fix: 'use a sample of the rows' }), parser);
        if (rows * header.length > limits.csvCells) {
          return fail(overBudget({ file: name, quantity: 'cells', value: rows * header.length, extra: `(${rows} rows x ${header.length} columns, counted so far)`, limit: limits.csvCells, fix: 'use fewer rows or columns' }), parser);
        }
        for (let c = 0; c < row.length; c++) columns[c]!.push(row[c]!.trim());
      }
      cursors.push(r.meta.cursor);
      if (onProgress && cursors.length % 20000 === 0) onProgress((0.8 * r.meta.cursor) / text.length, 'reading CSV');
    },
  });
  if (failure) throw failure;
  if (header === undefined) throw new DatasetError('empty', `${name} is empty`, `file ${name}`);
  const numRows = cursors.length - 1;
  if (numRows === 0) throw new DatasetError('header-only', `${name} has a header row but no data rows`, 'line 2');
  return { header, columns, numRows, line: (row) => lineAt(rowStart(row + 1)) };
}

/** Blank header cells become "column N"; repeated names get "_2", "_3" (noted). */
function cleanHeader(raw: string[], notes: string[]): string[] {
  const seen = new Set<string>();
  return raw.map((h, i) => {
    // pandas writes its index with a blank header: call it "index" so it is treated as an id
    let n = h.trim() || (i === 0 ? 'index' : `column ${i + 1}`);
    if (seen.has(n)) {
      let k = 2;
      while (seen.has(`${n}_${k}`)) k++;
      notes.push(`column ${i + 1} repeats the name "${n}"; renamed ${n}_${k}`);
      n = `${n}_${k}`;
    }
    seen.add(n);
    return n;
  });
}

function pickLabel(header: string[], wanted: string | undefined, name: string): number {
  if (wanted === undefined) return header.length - 1;
  let i = header.indexOf(wanted);
  if (i < 0) {
    const ci = header.filter((h) => h.toLowerCase() === wanted.toLowerCase());
    if (ci.length === 1) i = header.indexOf(ci[0]!);
  }
  if (i < 0) {
    throw new DatasetError('unknown-label', `${name} has no column named "${wanted}"; columns are: ${header.join(', ')}`);
  }
  return i;
}

export async function parseCsv(bytes: Uint8Array, name: string, options: ParseOptions = {}): Promise<TabularDataset> {
  checkSize(bytes.length, options.maxBytes ?? DEFAULT_MAX_BYTES, name);
  if (bytes.length === 0) throw new DatasetError('empty', `${name} is empty`, `file ${name}`);
  const text = decodeUtf8Strict(bytes, name, 'a text CSV file');
  if (text.trim() === '') throw new DatasetError('empty', `${name} is empty`, `file ${name}`);
  const notes: string[] = [];
  const limits = limitsOf(options);
  const table = readTable(text, name, limits, options.onProgress);
  const header = cleanHeader(table.header, notes);
  const li = pickLabel(header, options.label, name);
  const labelName = header[li]!;

  // Rows without a label cannot be trained on; keep the rest and remember their lines.
  const keep: number[] = [];
  const rawLabel = table.columns[li]!;
  for (let i = 0; i < table.numRows; i++) if (!isMissing(rawLabel[i]!)) keep.push(i);
  let columns = table.columns;
  if (keep.length < table.numRows) {
    const first = rawLabel.findIndex(isMissing);
    notes.push(`${plural(table.numRows - keep.length, 'row')} without a ${labelName} value dropped (first on line ${table.line(first)})`);
    if (keep.length === 0) throw new DatasetError('empty', `${name}: every row is missing the label ${labelName}`);
    columns = columns.map((col) => keep.map((i) => col[i]!));
  }
  const line = (i: number): number => table.line(keep[i]!);

  const labelColumn = analyse(columns[li]!);
  const label = encodeLabel(columns[li]!, labelName, options.task, line);
  if (label.classes.length > limits.classes) {
    throw overBudget({
      file: name, quantity: `classes in the label ${labelName}`, value: label.classes.length, limit: limits.classes,
      fix: 'choose another label, group rare classes together, or predict a number with task regression',
    });
  }
  const dropped: DroppedColumn[] = [];
  const encoders: Encoder[] = [];
  // Leaks and duplicates: a feature that is a one-to-one relabelling of the label (titanic's
  // `alive` = yes/no for survived = 1/0) teaches nothing and fakes 100% accuracy; one that
  // relabels an earlier kept column (`class` First/Second/Third = `pclass` 1/2/3) adds nothing.
  const kept = new Map<number, { col: string; a: Analysis }[]>(); // by codesKey: no pairwise search
  header.forEach((col, c) => {
    if (c === li) return;
    const a = analyse(columns[c]!);
    if (sameCodes(a, labelColumn)) {
      dropped.push({ column: col, reason: `copies the label ${labelName} (each value goes with exactly one label value)` });
      return;
    }
    const e = encodeColumn(col, columns[c]!, a, line, notes);
    if (typeof e === 'string') return dropped.push({ column: col, reason: e });
    const key = codesKey(a);
    const same = key === null ? undefined : kept.get(key);
    const twin = same?.find((k) => sameCodes(k.a, a));
    if (twin) return dropped.push({ column: col, reason: `same information as column ${twin.col} (one-to-one)` });
    if (key !== null) kept.set(key, [...(same ?? []), { col, a }]);
    encoders.push(e);
  });
  const featureNames = encoders.flatMap((e) => e.names);
  if (featureNames.length === 0) {
    const why = dropped.map((d) => `${d.column}: ${d.reason}`).join('; ');
    throw new DatasetError('no-features', `${name} has no usable feature columns${why ? ` (${why})` : ''}`);
  }

  const numRows = keep.length, numFeatures = featureNames.length;
  // One-hot columns multiply: checked before the feature matrix is allocated.
  if (numRows * numFeatures > limits.tabularValues) {
    throw overBudget({
      file: name, quantity: 'feature values', value: numRows * numFeatures, extra: `(${numRows} rows x ${numFeatures} features after one-hot encoding)`,
      limit: limits.tabularValues, fix: 'use fewer rows, or leave out columns with many distinct values',
    });
  }
  const x = new Float32Array(numRows * numFeatures);
  for (let r = 0; r < numRows; r++) {
    let at = r * numFeatures;
    for (const e of encoders) { e.write(r, x, at); at += e.names.length; }
  }
  options.onProgress?.(1, 'reading CSV');
  notes.unshift(
    label.task === 'classification'
      ? `label ${labelName}: classification, ${label.classes.length} classes`
      : `label ${labelName}: regression (mean ${round(label.labelStats!.mean)}, std ${round(label.labelStats!.std)})`,
  );
  const sha = await sha256Hex(bytes);
  const ds: TabularDataset = {
    kind: 'tabular', x, numRows, numFeatures, featureNames, labelName, columns: header, task: label.task,
    y: label.y, classes: label.classes, dropped, notes,
    fingerprint: tabularFingerprint(sha, { rows: numRows, features: numFeatures, label: labelName, task: label.task, classes: label.classes.length }),
  };
  if (label.labelStats) ds.labelStats = label.labelStats;
  return ds;
}

/**
 * Up to `rows` complete data rows from the start of a CSV, for a preview, reading at most `window`
 * bytes: rows cut by the window (or by a header longer than it) are left out, never shown
 * truncated. The columns come from the parsed dataset (TabularDataset.columns), not from here:
 * a 20,000-column header does not fit 64 KB.
 */
export function csvSample(bytes: Uint8Array, numColumns: number, rows = 5, window = 64 * 1024): string[][] {
  const whole = bytes.length <= window;
  const text = new TextDecoder().decode(bytes.subarray(0, window));
  const parsed = Papa.parse<string[]>(text, { preview: rows + 2, skipEmptyLines: true }).data;
  // With fewer rows than asked for in a cut window, the last one may be cut short.
  const complete = whole || parsed.length === rows + 2 ? parsed.slice(1) : parsed.slice(1, -1);
  return complete.filter((r) => r.length === numColumns).slice(0, rows);
}
