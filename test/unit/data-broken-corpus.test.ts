// The broken-dataset corpus (test/fixtures/broken/, see its README.md): every file is refused by
// parseDataset with a DatasetError whose message is one plain line that names the file, line, row
// or byte at fault. Inputs over the size budget are made here with a small maxBytes.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { zipSync } from 'fflate';
import { describe, expect, test } from 'vitest';
import { DatasetError, parseDataset, type DataFile, type DatasetErrorCode, type ParseOptions, type TabularDataset } from '../../src/engine/data';

const ROOT = join(process.cwd(), 'test/fixtures/broken');
/** Files in the folder that are not part of the corpus. */
const NOT_CORPUS = new Set(['README.md', 'make-broken.ts']);

const walk = (dir: string): string[] => readdirSync(dir).sort().flatMap((f) => (statSync(join(dir, f)).isDirectory() ? walk(join(dir, f)) : [join(dir, f)]));

/** A corpus entry as a drop: one file, or a folder's files with paths from the corpus root. */
function load(entry: string): DataFile[] {
  const full = join(ROOT, entry);
  const paths = statSync(full).isDirectory() ? walk(full) : [full];
  return paths.map((p) => ({ path: relative(ROOT, p), bytes: new Uint8Array(readFileSync(p)) }));
}

async function rejects(files: DataFile[], options: ParseOptions = {}): Promise<DatasetError> {
  let error: unknown;
  try {
    await parseDataset(files, options);
  } catch (e) {
    error = e;
  }
  expect(error, 'parseDataset accepted a broken input').toBeInstanceOf(DatasetError);
  return error as DatasetError;
}

/** What the page shows as it is: one line, no stack, no leaked JS values. */
function expectPlainLine(message: string): void {
  expect(message.length).toBeGreaterThan(10);
  expect(message.length).toBeLessThan(300);
  expect(message).toBe(message.trim());
  expect(message).not.toMatch(/[\r\n\u2028\u2029]/);
  expect(message).not.toMatch(/undefined|\bnull\b|\bNaN\b|\[object|\bat \S+ \(|:\d+:\d+\)|^\w*Error:|TypeError|RangeError/);
}

interface Case {
  /** file or folder under test/fixtures/broken */
  entry: string;
  options?: ParseOptions;
  code: DatasetErrorCode;
  /** what the message must name (file, line, byte, column, class). */
  names: string[];
  where?: string;
}

const CASES: Case[] = [
  { entry: 'empty.csv', code: 'empty', names: ['empty.csv'], where: 'file empty.csv' },
  { entry: 'empty.txt', code: 'empty', names: ['empty.txt'], where: 'file empty.txt' },
  { entry: 'header-only.csv', code: 'header-only', names: ['header-only.csv', 'no data rows'], where: 'line 2' },
  { entry: 'ragged-rows.csv', code: 'ragged-row', names: ['ragged-rows.csv', 'line 4', 'expected 4 fields, found 3'], where: 'line 4' },
  { entry: 'text-in-numeric.csv', code: 'label-not-numeric', names: ['text-in-numeric.csv', 'line 13', 'price', '"unknown"'], where: 'line 13' },
  { entry: 'single-class-label.csv', code: 'single-class', names: ['single-class-label.csv', 'answer', '"yes"'] },
  { entry: 'unterminated-quote.csv', code: 'bad-csv', names: ['unterminated-quote.csv', 'line 3'], where: 'line 3' },
  { entry: 'binary-junk.csv', code: 'not-text', names: ['binary-junk.csv', 'byte 17'], where: 'byte 17' },
  { entry: 'binary-junk.txt', code: 'not-text', names: ['binary-junk.txt', 'byte 300'], where: 'byte 300' },
  { entry: 'invalid-utf8.txt', code: 'invalid-utf8', names: ['invalid-utf8.txt', 'byte 1925', 'UTF-8'], where: 'byte 1925' },
  { entry: 'not-an-image', code: 'image-decode', names: ['not-an-image/square/2.png', 'is not an image', 'looks like text'], where: 'file not-an-image/square/2.png' },
  { entry: 'truncated-png', code: 'image-decode', names: ['truncated-png/circle/2.png', 'truncated or corrupt PNG'], where: 'file truncated-png/circle/2.png' },
  { entry: 'broken.zip', code: 'bad-zip', names: ['broken.zip', 'not a readable zip'], where: 'file broken.zip' },
  { entry: 'one-class.zip', code: 'too-few-classes', names: ['one-class.zip', '"circle"'] },
];

describe('broken datasets corpus', () => {
  test('every file of the corpus has a case below', () => {
    const covered = CASES.map((c) => c.entry);
    const entries = readdirSync(ROOT).filter((f) => !NOT_CORPUS.has(f));
    expect(entries.sort()).toEqual([...new Set(covered)].sort());
  });

  test.each(CASES)('$entry: $code', async (c) => {
    const e = await rejects(load(c.entry), c.options);
    expect(e.code).toBe(c.code);
    expectPlainLine(e.message);
    for (const n of c.names) expect(e.message).toContain(n);
    if (c.where) expect(e.where).toBe(c.where);
    // The message survives the worker boundary as text (what comlink/structured clone keeps).
    expect(structuredClone({ message: e.message }).message).toBe(e.message);
  });

  test('ragged-rows.csv: the row with too many fields is named once the short one is fixed', async () => {
    const text = readFileSync(join(ROOT, 'ragged-rows.csv'), 'utf8').replace('\n7,8,z\n', '\n7,8,9,z\n');
    const e = await rejects([{ path: 'ragged-rows.csv', bytes: new TextEncoder().encode(text) }]);
    expect([e.code, e.message]).toEqual(['ragged-row', 'ragged-rows.csv, line 6: expected 4 fields, found 5']);
  });

  test('text-in-numeric.csv: a regression label with text names the row; the numeric column with a word parses as categorical with a note', async () => {
    const files = load('text-in-numeric.csv');
    const e = await rejects(files, { task: 'regression' });
    expect(e.message).toBe('text-in-numeric.csv, line 13: label price must be a number for regression, found "unknown"');
    // With another label the file is fine: weight (1..5 and "heavy" in data row 7) is one-hot.
    const ds = (await parseDataset(files, { label: 'species' })) as TabularDataset;
    expect(ds.numRows).toBe(30);
    expect(ds.featureNames.filter((f) => f.startsWith('weight='))).toEqual(['weight=1', 'weight=2', 'weight=3', 'weight=4', 'weight=5', 'weight=heavy']);
    expect(ds.notes).toContain('weight: has text (first "heavy" on line 8), so it is treated as categorical');
  });

  describe('over the memory budget (small maxBytes instead of a huge file)', () => {
    const csv = new TextEncoder().encode(['a,b,label', ...Array.from({ length: 400 }, (_, i) => `${i},${i % 7},${i % 2 ? 'x' : 'y'}`)].join('\n'));
    test.each([
      { what: 'a CSV', files: [{ path: 'big.csv', bytes: csv }], maxBytes: 2048, message: /^big\.csv is 3(\.\d)? KiB, over the 2 KiB limit/ },
      { what: 'a text file', files: [{ path: 'big.txt', bytes: csv }], maxBytes: 1024, message: /^big\.txt is 3(\.\d)? KiB, over the 1 KiB limit/ },
      // a zip is refused on the sizes it declares, before anything is inflated
      { what: 'a zip', files: [{ path: 'big.zip', bytes: zipSync({ 'a/1.png': new Uint8Array(50_000), 'b/1.png': new Uint8Array(50_000) }, { level: 9 }) }], maxBytes: 60_000, message: /^big\.zip \(uncompressed\) is 9\d\.\d KiB, over the 58\.6 KiB limit/ },
      { what: 'a folder of images', files: load('not-an-image'), maxBytes: 100, message: /^the 4 dropped files are \d+ bytes, over the 100 bytes limit/ },
    ])('$what', async ({ files, maxBytes, message }) => {
      const e = await rejects(files, { maxBytes });
      expect(e.code).toBe('too-large');
      expectPlainLine(e.message);
      expect(e.message).toMatch(message);
    });
  });
});
