// Hostile inputs to the data layer (issue 15, docs/reliability.md "Input budgets"): every budget
// is checked before the work it bounds and refused with a one-line DatasetError naming the file,
// the quantity, the limit and how to get under it; numbers that would overflow are refused or
// computed stably. The corpus is generated here (test/support/hostile.ts): kilobytes each.
import { describe, expect, test } from 'vitest';
import { csvSample, DatasetError, parseDataset, type DataFile, type ParseOptions, type TabularDataset } from '../../src/engine/data';
import { INPUT_LIMITS } from '../../src/engine/defaults';
import { checkInputFiles } from '../../src/engine/data/errors';
import { reviveError } from '../../src/errors';
import { csv, hugeJpegHeader, hugePng, zerosDeflated, zerosZlib, zipWith } from '../support/hostile';

async function refused(files: DataFile[], options: ParseOptions = {}): Promise<DatasetError> {
  let error: unknown;
  try {
    await parseDataset(files, options);
  } catch (e) {
    error = e;
  }
  expect(error, 'parseDataset accepted a hostile input').toBeInstanceOf(DatasetError);
  const e = error as DatasetError;
  expect(e.message).not.toMatch(/[\r\n]|undefined|NaN|\[object|TypeError|RangeError/);
  return e;
}

const png = (w: number, h: number) => hugePng(w, h);
const tiny = hugePng(4, 4, { rows: 4 });

describe('sizes known before reading (stat in the CLI, File.size in the page)', () => {
  const throws = (f: () => void): DatasetError => {
    try {
      f();
    } catch (e) {
      expect(e).toBeInstanceOf(DatasetError);
      return e as DatasetError;
    }
    throw new Error('accepted');
  };

  test('a 10 GB file is refused from its size', () => {
    const e = throws(() => checkInputFiles([{ path: 'huge.csv', size: 10 * 2 ** 30 }], 'huge.csv'));
    expect(e.code).toBe('too-large');
    expect(e.message).toBe('huge.csv is 10240 MiB, over the 256 MiB limit; use a smaller sample or raise maxBytes');
  });

  test('a folder over the byte or file budget', () => {
    const files = Array.from({ length: 3 }, (_, i) => ({ path: `p/a/${i}.png`, size: 100 }));
    expect(throws(() => checkInputFiles(files, 'p', { maxBytes: 250 })).message).toMatch(/the 3 files in p are 300 bytes, over the 250 bytes limit/);
    expect(throws(() => checkInputFiles(files, 'p', { limits: { files: 2 } })).message).toMatch(/p: 3 files, over the limit of 2/);
    expect(() => checkInputFiles(files, 'p')).not.toThrow();
  });
});

describe('zip archives: inflated bytes bounded while inflating', () => {
  test('an entry declaring 1,000 bytes that inflates to 16 MiB stops at its declared size', async () => {
    const bomb = zipWith([{ name: 'a/x.csv', data: zerosDeflated(16), declared: 1000 }]);
    expect(bomb.length).toBeLessThan(200_000);
    const e = await refused([{ path: 'bomb.zip', bytes: bomb }]);
    expect(e.code).toBe('over_budget');
    expect(e.message).toContain('bomb.zip');
    expect(e.message).toContain('a/x.csv');
    expect(e.message).toContain('1,000 bytes its header declares');
  });

  test('an honest entry still unpacks (stored and deflated)', async () => {
    const text = new TextEncoder().encode('abcabcabd'.repeat(50));
    const { deflateSync } = await import('fflate');
    const z = zipWith([{ name: 't.txt', data: deflateSync(text), declared: text.length }]);
    const ds = await parseDataset([{ path: 'ok.zip', bytes: z }]);
    expect(ds.kind).toBe('text');
    const s = zipWith([{ name: 't.txt', data: text, method: 0 }]);
    expect((await parseDataset([{ path: 'ok.zip', bytes: s }])).kind).toBe('text');
  });

  test('declared sizes over the budget are refused before inflating', async () => {
    const z = zipWith([{ name: 'a/x.png', data: zerosDeflated(1), declared: 5000 }]);
    const e = await refused([{ path: 'big.zip', bytes: z }], { maxBytes: 4000 });
    expect(e.code).toBe('too-large');
  });

  test('more entries than the file budget', async () => {
    const z = zipWith(Array.from({ length: 6 }, (_, i) => ({ name: `c${i % 2}/${i}.png`, data: tiny, method: 0 as const })));
    const e = await refused([{ path: 'many.zip', bytes: z }], { limits: { files: 5 } });
    expect(e.code).toBe('over_budget');
    expect(e.message).toMatch(/many\.zip: 6 entries, over the limit of 5/);
  });
});

describe('images: pixels checked from the header, before decoding', () => {
  test('a zip of one valid-header 20000x20000 PNG is refused naming the image, its size and the limit', async () => {
    const z = zipWith([{ name: 'pets/cat/big.png', data: png(20000, 20000), method: 0 }, { name: 'pets/dog/a.png', data: tiny, method: 0 }]);
    expect(z.length).toBeLessThan(4000);
    const e = await refused([{ path: 'pets.zip', bytes: z }]);
    expect(e.code).toBe('over_budget');
    expect(e.message).toContain('pets/cat/big.png');
    expect(e.message).toContain('(20000 x 20000)');
    expect(e.message).toContain(INPUT_LIMITS.imagePixels.toLocaleString('en-US'));
    expect(e.details).toMatchObject({ quantity: 'pixels', value: 400_000_000, limit: INPUT_LIMITS.imagePixels });
    // the same refusal on the page: across the worker boundary, kind, code and details kept
    const back = reviveError(JSON.parse(JSON.stringify(e.toJSON())));
    expect(back).toBeInstanceOf(DatasetError);
    expect(back.code).toBe('over_budget');
    expect(back.details).toMatchObject({ file: 'pets/cat/big.png', quantity: 'pixels', value: 400_000_000 });
  });

  test('a 50000x50000 1-bit PNG in a folder', async () => {
    const files = [
      { path: 'd/a/huge.png', bytes: hugePng(50000, 50000, { depth: 1, colour: 0 }) },
      { path: 'd/b/small.png', bytes: tiny },
    ];
    const e = await refused(files);
    expect(e.code).toBe('over_budget');
    expect(e.message).toContain('d/a/huge.png');
  });

  test('a JPEG whose SOF announces 60000x60000 (refused by header, even where JPEG cannot be decoded)', async () => {
    const e = await refused([
      { path: 'j/a/x.jpg', bytes: hugeJpegHeader(60000, 60000) },
      { path: 'j/b/y.png', bytes: tiny },
    ]);
    expect(e.code).toBe('over_budget');
    expect(e.message).toContain('(60000 x 60000)');
  });

  test('a 4x4 PNG whose data inflates to 16 MiB is refused before the decoder holds it', async () => {
    const files = [
      { path: 'z/a/small-header.png', bytes: hugePng(4, 4, { idat: zerosZlib(16) }) },
      { path: 'z/b/ok.png', bytes: tiny },
    ];
    expect(files[0]!.bytes.length).toBeLessThan(40_000);
    const e = await refused(files);
    expect(e.code).toBe('over_budget');
    expect(e.message).toContain('z/a/small-header.png: its image data inflates past what its 4 x 4 header needs');
  });

  test('more class folders than the class limit', async () => {
    const files = Array.from({ length: 4 }, (_, i) => ({ path: `k/c${i}/${i}.png`, bytes: tiny }));
    const e = await refused(files, { limits: { classes: 3 } });
    expect(e.message).toMatch(/4 classes \(class folders\), over the limit of 3/);
  });

  test('the total over all images', async () => {
    const files = Array.from({ length: 4 }, (_, i) => ({ path: `t/c${i % 2}/${i}.png`, bytes: tiny }));
    const e = await refused(files, { limits: { totalPixels: 40 } });
    expect(e.code).toBe('over_budget');
    expect(e.message).toMatch(/the 4 images: 48 pixels .*over the limit of 40 for all images/);
  });
});

describe('CSV budgets', () => {
  test('more columns than the limit, refused as the header is read', async () => {
    const n = INPUT_LIMITS.csvColumns + 1;
    const header = Array.from({ length: n }, (_, i) => `c${i}`).join(',');
    const row = Array.from({ length: n }, (_, i) => String(i % 7)).join(',');
    const e = await refused([{ path: 'wide.csv', bytes: csv([header, row, row]) }]);
    expect(e.code).toBe('over_budget');
    expect(e.message).toContain(`wide.csv: ${n.toLocaleString('en-US')} columns, over the limit of ${INPUT_LIMITS.csvColumns.toLocaleString('en-US')}`);
  });

  test('rows, cells and encoded values', async () => {
    const lines = ['a,b,y', ...Array.from({ length: 30 }, (_, i) => `${i % 5},${(i * 7) % 3},${i % 2}`)];
    expect((await refused([{ path: 'r.csv', bytes: csv(lines) }], { limits: { csvRows: 20 } })).message).toMatch(/r\.csv: 21 rows, over the limit of 20/);
    expect((await refused([{ path: 'r.csv', bytes: csv(lines) }], { limits: { csvCells: 50 } })).message).toMatch(/r\.csv: .* cells .*over the limit of 50/);
    expect((await refused([{ path: 'r.csv', bytes: csv(lines) }], { limits: { tabularValues: 40 } })).message).toMatch(/r\.csv: 60 feature values .*over the limit of 40/);
  });

  test('a label with more classes than the limit', async () => {
    const lines = ['x,y', ...Array.from({ length: INPUT_LIMITS.classes + 1 }, (_, i) => `${i % 9},k${i}`)];
    const e = await refused([{ path: 'classes.csv', bytes: csv(lines) }]);
    expect(e.code).toBe('over_budget');
    expect(e.message).toContain(`classes.csv: ${(INPUT_LIMITS.classes + 1).toLocaleString('en-US')} classes in the label y, over the limit of`);
  });
});

describe('the preview of a wide CSV', () => {
  test('a 20,000-column CSV lists every column (the first 64 KB held only part of the header)', async () => {
    const n = 20000;
    const header = Array.from({ length: n }, (_, i) => `feature_${i}`).concat('label').join(',');
    const rows = Array.from({ length: 4 }, (_, r) => Array.from({ length: n }, (_, i) => String((i + r) % 3)).concat(String(r % 2)).join(','));
    const bytes = csv([header, ...rows, ...rows]);
    expect(bytes.length).toBeGreaterThan(64 * 1024);
    const ds = (await parseDataset([{ path: 'wide.csv', bytes }])) as TabularDataset;
    expect(ds.columns).toHaveLength(n + 1);
    expect(ds.columns![n]).toBe('label');
    expect(csvSample(bytes, n + 1)).toEqual([]); // no row fits the window whole: none shown cut
  });

  test('sample rows are complete rows only', () => {
    const bytes = csv(['a,b,c', '1,2,3', '4,5,6', '7,8,9']);
    expect(csvSample(bytes, 3)).toEqual([['1', '2', '3'], ['4', '5', '6'], ['7', '8', '9']]);
    // a window that cuts the third row: it is left out
    expect(csvSample(bytes, 3, 5, 'a,b,c\n1,2,3\n4,5,6\n7,8'.length)).toEqual([['1', '2', '3'], ['4', '5', '6']]);
  });
});

describe('numbers that cannot overflow silently', () => {
  const col = (xs: Float32Array, j: number, k: number) => Array.from({ length: xs.length / k }, (_, r) => xs[r * k + j]!);
  const meanStd = (v: number[]) => {
    const m = v.reduce((a, b) => a + b, 0) / v.length;
    return [m, Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / v.length)];
  };

  test('a column of +-1e308 is standardised to finite values (not NaN)', async () => {
    const big = ['1e308', '-1e308', '1.7e308', '1.5e308', '-1.7e308', '0'];
    const lines = ['x,z,y', ...Array.from({ length: 30 }, (_, i) => `${big[i % 6]},${i % 4},${i % 2}`)];
    const ds = (await parseDataset([{ path: 'huge.csv', bytes: csv(lines) }])) as TabularDataset;
    expect(ds.x.every(Number.isFinite)).toBe(true);
    const [m, s] = meanStd(col(ds.x, 0, ds.numFeatures));
    expect(Math.abs(m!)).toBeLessThan(1e-5);
    expect(s!).toBeCloseTo(1, 4);
  });

  test('a regression label up to 3.6e201 keeps a finite std and targets that are not all 0', async () => {
    const lines = ['x,price', ...Array.from({ length: 40 }, (_, i) => `${i},${i === 7 ? '3.6e201' : i * 1e200}`)];
    const ds = (await parseDataset([{ path: 'prices.csv', bytes: csv(lines) }], { task: 'regression' })) as TabularDataset;
    expect(Number.isFinite(ds.labelStats!.std)).toBe(true);
    expect(ds.y.every(Number.isFinite)).toBe(true);
    const [m, s] = meanStd(Array.from(ds.y));
    expect(Math.abs(m!)).toBeLessThan(1e-5);
    expect(s!).toBeCloseTo(1, 4);
  });

  test('a value past the largest double is refused with its column and line', async () => {
    const lines = ['x,w,y', ...Array.from({ length: 30 }, (_, i) => `${i === 11 ? '1e400' : i},${i % 3},${i % 2}`)];
    const e = await refused([{ path: 'inf.csv', bytes: csv(lines) }]);
    expect(e.code).toBe('non_finite');
    expect(e.message).toContain('inf.csv');
    expect(e.message).toContain('line 13');
    expect(e.message).toContain('column x');
    expect(e.message).toContain('1e400');
  });

  test('a regression label past the largest double', async () => {
    const lines = ['x,y', ...Array.from({ length: 30 }, (_, i) => `${i},${i === 3 ? '-2e308' : i * 1.5}`)];
    const e = await refused([{ path: 'inf.csv', bytes: csv(lines) }], { task: 'regression' });
    expect(e.code).toBe('non_finite');
    expect(e.message).toContain('line 5');
  });
});

describe('text', () => {
  test('one repeated character is refused with a clear message (not "oneHot: depth must be >=2")', async () => {
    const e = await refused([{ path: 'aaa.txt', bytes: new TextEncoder().encode('a'.repeat(500)) }]);
    expect(e.code).toBe('one_character');
    expect(e.message).toMatch(/aaa\.txt.*only one distinct character/);
  });

  test('more characters than the limit', async () => {
    const e = await refused([{ path: 'long.txt', bytes: new TextEncoder().encode('ab'.repeat(40)) }], { limits: { textCharacters: 50 } });
    expect(e.code).toBe('over_budget');
    expect(e.message).toMatch(/long\.txt: 80 characters, over the limit of 50/);
  });
});
