import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { looksLikeIdName, parseCsv, parseDataset, type TabularDataset } from '../../src/engine/data';
import { fails } from '../support/fails';

const sample = (name: string): Uint8Array => new Uint8Array(readFileSync(`public/samples/${name}`));
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const csv = (s: string, options = {}): Promise<TabularDataset> => parseCsv(enc(s), 'test.csv', options);


const column = (ds: TabularDataset, name: string): number[] => {
  const j = ds.featureNames.indexOf(name);
  expect(j).toBeGreaterThanOrEqual(0);
  return Array.from({ length: ds.numRows }, (_, r) => ds.x[r * ds.numFeatures + j]!);
};
const mean = (v: number[]): number => v.reduce((a, b) => a + b, 0) / v.length;
const std = (v: number[]): number => Math.sqrt(mean(v.map((x) => (x - mean(v)) ** 2)));

describe('sample datasets', () => {
  test('iris: 150 rows, 4 standardised features, 3 classes', async () => {
    const ds = (await parseDataset([{ path: 'iris.csv', bytes: sample('iris.csv') }])) as TabularDataset;
    expect(ds.kind).toBe('tabular');
    expect([ds.numRows, ds.numFeatures, ds.task, ds.labelName]).toEqual([150, 4, 'classification', 'species']);
    expect(ds.classes).toEqual(['setosa', 'versicolor', 'virginica']);
    expect(ds.y).toBeInstanceOf(Int32Array);
    expect([ds.y[0], ds.y[50], ds.y[149]]).toEqual([0, 1, 2]);
    expect(ds.dropped).toEqual([]);
    expect(ds.x.length).toBe(600);
    for (const f of ds.featureNames) {
      expect(mean(column(ds, f))).toBeCloseTo(0, 5);
      expect(std(column(ds, f))).toBeCloseTo(1, 4);
    }
    expect(ds.fingerprint.summary).toBe('csv 150 rows x 4 features, label species (3 classes)');
    expect(ds.fingerprint.shape).toMatchObject({ kind: 'tabular', rows: 150, features: 4, classes: 3, label: 'species' });
  });

  test('titanic: label chosen by name, leak and duplicates dropped, missing age filled', async () => {
    const ds = await parseCsv(sample('titanic.csv'), 'titanic.csv', { label: 'Survived' });
    expect(ds.labelName).toBe('survived'); // case-insensitive match when unambiguous
    expect([ds.numRows, ds.task, ds.classes]).toEqual([891, 'classification', ['0', '1']]);
    const dropped = Object.fromEntries(ds.dropped.map((d) => [d.column, d.reason]));
    expect(Object.keys(dropped).sort()).toEqual(['alive', 'class', 'embark_town']);
    expect(dropped.alive).toMatch(/copies the label survived/);
    expect(dropped.class).toMatch(/same information as column pclass/);
    expect(ds.numFeatures).toBe(26);
    expect(ds.featureNames).toContain('deck=(missing)');
    expect(ds.featureNames).toContain('sex=female');
    expect(ds.notes.join('\n')).toMatch(/age: 177 missing values filled with the mean 29\.699/);
    // a filled age sits at the mean: 0 after standardising (row 6 of the file has no age)
    expect(column(ds, 'age')[5]).toBe(0);
  });

  test('penguins: species label, missing measurements filled, missing sex its own category', async () => {
    const ds = await parseCsv(sample('penguins.csv'), 'penguins.csv', { label: 'species' });
    expect([ds.numRows, ds.numFeatures, ds.task]).toEqual([344, 10, 'classification']);
    expect(ds.classes).toEqual(['Adelie', 'Chinstrap', 'Gentoo']);
    expect(ds.featureNames).toEqual([
      'island=Biscoe', 'island=Dream', 'island=Torgersen', 'bill_length_mm', 'bill_depth_mm',
      'flipper_length_mm', 'body_mass_g', 'sex=FEMALE', 'sex=MALE', 'sex=(missing)',
    ]);
    expect(ds.dropped).toEqual([]);
    expect(ds.notes.filter((n) => /2 missing values filled with the mean/.test(n))).toHaveLength(4);
    // one-hot rows sum to one per categorical column
    const r = 3; // the all-missing row
    const row = Array.from(ds.x.subarray(r * 10, r * 10 + 10));
    expect(row.slice(7)).toEqual([0, 0, 1]);
    expect(row.slice(3, 7)).toEqual([0, 0, 0, 0]);
  });
});

/** A Kaggle-style titanic: PassengerId, Name, Ticket, Cabin are the classic useless columns. */
function kaggleTitanic(): string {
  const lines = ['PassengerId,Survived,Pclass,Name,Sex,Age,Ticket,Fare,Cabin,Embarked'];
  for (let i = 1; i <= 200; i++) {
    const age = i % 7 === 0 ? '' : String(20 + (i % 40));
    const cabin = i % 3 === 0 ? `C${Math.min(i, 170)}` : ''; // 66 cabins, 57 distinct: mostly unique
    const sex = (i * 37) % 11 > 5 ? 'male' : 'female';
    lines.push(`${i},${i % 2},${1 + (i % 3)},"Person ${i}, Mr. X",${sex},${age},T${i % 150},${(i * 1.37).toFixed(2)},${cabin},${'SCQ'[Math.floor(i / 7) % 3]}`);
  }
  return lines.join('\n') + '\n';
}

describe('column rules', () => {
  test('kaggle titanic: PassengerId, Name, Ticket, Cabin dropped with reasons', async () => {
    const ds = await csv(kaggleTitanic(), { label: 'Survived' });
    const dropped = Object.fromEntries(ds.dropped.map((d) => [d.column, d.reason]));
    expect(Object.keys(dropped).sort()).toEqual(['Cabin', 'Name', 'PassengerId', 'Ticket']);
    expect(dropped.PassengerId).toMatch(/identifier/);
    expect(dropped.Name).toMatch(/every value is different/);
    expect(dropped.Ticket).toMatch(/too many distinct values \(150/);
    expect(dropped.Cabin).toMatch(/mostly unique/);
    expect(ds.featureNames).toEqual(['Pclass', 'Sex=female', 'Sex=male', 'Age', 'Fare', 'Embarked=C', 'Embarked=Q', 'Embarked=S']);
    expect(ds.notes.join('\n')).toMatch(/Age: 28 missing values filled with the mean/);
  });

  test('an unnamed shuffled 1..n integer column is a row id; in-order days and distinct years are kept', async () => {
    const n = 24;
    const shuffled = Array.from({ length: n }, (_, i) => ((i * 7) % n) + 1); // 7 is coprime to 24
    const rows = shuffled.map((p, i) => `${p},${i + 1},${1990 + 2 * i},${i % 3},${i % 2 ? 'a' : 'b'}`);
    const ds = await csv(['n,day,year,f,label', ...rows].join('\n'));
    expect(ds.dropped).toEqual([{ column: 'n', reason: 'row id (the values are 1..24 in shuffled order, each once)' }]);
    expect(ds.featureNames).toEqual(['day', 'year', 'f']);
  });

  test('a blank first header (pandas index) is an id', async () => {
    const ds = await csv(',x,y\n0,5,a\n1,7,b\n2,6,a\n');
    expect(ds.dropped).toEqual([{ column: 'index', reason: 'identifier (the name looks like an id and every value is different)' }]);
  });

  test('constant and all-missing columns are dropped', async () => {
    const ds = await csv('a,b,c,y\n1,5,,x\n2,5,NA,y\n3,5,?,x\n');
    expect(ds.dropped).toEqual([
      { column: 'b', reason: 'constant (every value is "5")' },
      { column: 'c', reason: 'every value is missing' },
    ]);
  });

  test('text in an otherwise numeric column makes it categorical, with a note naming the line', async () => {
    const ds = await csv('size,y\n1,a\n2,b\nbig,a\n2,b\n1,a\n');
    expect(ds.featureNames).toEqual(['size=1', 'size=2', 'size=big']);
    expect(ds.notes.join('\n')).toMatch(/size: has text \(first "big" on line 4\)/);
  });

  test('missing tokens are case-insensitive; rows without a label are dropped with a note', async () => {
    const ds = await csv('a,b,y\n1,NaN,p\n2,null,\n3,u,NA\n4,v,q\nNULL,w,p\n5,v,q\n6,w,q\n');
    expect(ds.numRows).toBe(5);
    expect(ds.notes.join('\n')).toMatch(/2 rows without a y value dropped \(first on line 3\)/);
    expect(ds.featureNames).toEqual(['a', 'b=v', 'b=w', 'b=(missing)']);
    expect(ds.notes.join('\n')).toMatch(/a: 1 missing value filled/);
  });

  test('numeric classes sort numerically and merge 1 / 1.0', async () => {
    const ds = await csv('x,y\n1,10\n2,9\n3,1.0\n4,1\n5,2\n');
    expect(ds.task).toBe('classification');
    expect(ds.classes).toEqual(['1', '2', '9', '10']);
    expect(Array.from(ds.y)).toEqual([3, 2, 0, 0, 1]);
  });

  test('regression: inferred from non-integer labels, standardised y with labelStats', async () => {
    const ds = await csv('x,price\n1,1.5\n2,2.5\n3,3.5\n4,4.5\n');
    expect(ds.task).toBe('regression');
    expect(ds.y).toBeInstanceOf(Float32Array);
    expect(ds.labelStats!.mean).toBeCloseTo(3);
    expect(ds.labelStats!.std).toBeCloseTo(Math.sqrt(1.25));
    const back = Array.from(ds.y, (v) => v * ds.labelStats!.std + ds.labelStats!.mean);
    back.forEach((v, i) => expect(v).toBeCloseTo([1.5, 2.5, 3.5, 4.5][i]!, 5));
    expect(ds.classes).toEqual([]);
    expect(ds.fingerprint.summary).toBe('csv 4 rows x 1 features, label price (regression)');
  });

  test('regression inferred for > 20 integer values; options.task overrides', async () => {
    const rows = Array.from({ length: 30 }, (_, i) => `${i % 4},${i * 3}`);
    expect((await csv(['x,y', ...rows].join('\n'))).task).toBe('regression');
    const ds = await csv(['x,y', ...rows].join('\n'), { task: 'classification' });
    expect([ds.task, ds.classes.length]).toEqual(['classification', 30]);
  });

  test('id-like names', () => {
    for (const n of ['id', 'ID', 'PassengerId', 'user_id', 'userID', 'Unnamed: 0', 'index', 'row id']) expect(looksLikeIdName(n)).toBe(true);
    for (const n of ['paid', 'grid', 'valid', 'fluid', 'idea', 'identity', 'Humidity']) expect(looksLikeIdName(n)).toBe(false);
  });

  test('semicolon-separated, BOM, CRLF and quoted multi-line fields', async () => {
    const ds = await csv('\ufeffa;note;y\r\n1;"two\r\nlines";x\r\n2;plain;y\r\n3;other;x\r\n');
    expect([ds.numRows, ds.featureNames[0]]).toEqual([3, 'a']);
  });
});

describe('errors name the row, line or file', () => {
  test('empty file', async () => {
    const e = await fails(csv(''));
    expect([e.code, e.message]).toEqual(['empty', 'test.csv is empty']);
    expect((await fails(csv('\n\n  \n'))).code).toBe('empty');
  });

  test('header only', async () => {
    const e = await fails(csv('a,b,label\n'));
    expect(e.code).toBe('header-only');
    expect(e.message).toBe('test.csv has a header row but no data rows');
  });

  test('ragged row: "line 17: expected 12 fields, found 9", counting multi-line fields', async () => {
    const header = Array.from({ length: 12 }, (_, i) => `c${i}`).join(',');
    const row = (i: number, n = 12): string => Array.from({ length: n }, (_, j) => (j === 0 ? '"x\ny"' : String(i + j))).join(',');
    // line 1: header; lines 2-15: seven rows whose quoted first field spans two lines;
    // line 16: blank (skipped); line 17: the short row.
    const text = [header, ...Array.from({ length: 7 }, (_, i) => row(i)), '', row(7, 9)].join('\n');
    const e = await fails(csv(text));
    expect(e.code).toBe('ragged-row');
    expect(e.message).toBe('line 17: expected 12 fields, found 9');
    expect(e.where).toBe('line 17');
  });

  test('too many fields', async () => {
    const e = await fails(csv('a,b\n1,2\n\n3,4,5\n'));
    expect(e.message).toBe('line 4: expected 2 fields, found 3');
  });

  test('unterminated quote names its line', async () => {
    const e = await fails(csv('a,b\n1,2\n3,"oops\n4,5\n'));
    expect(e.code).toBe('bad-csv');
    expect(e.message).toMatch(/^line 3: /);
  });

  test('unknown label lists the columns', async () => {
    const e = await fails(parseCsv(sample('iris.csv'), 'iris.csv', { label: 'kind' }));
    expect(e.code).toBe('unknown-label');
    expect(e.message).toBe('iris.csv has no column named "kind"; columns are: sepal_length, sepal_width, petal_length, petal_width, species');
  });

  test('regression label that is not numeric names the first bad row', async () => {
    const e = await fails(csv('x,price\n1,10.5\n2,11\n3,n/a\n4,cheap\n5,12\n6,expensive\n', { task: 'regression' }));
    expect(e.code).toBe('label-not-numeric');
    expect(e.message).toBe('line 5: label price must be a number for regression, found "cheap"');
  });

  test('a mostly numeric label with many values and one word is reported, not made 31 classes', async () => {
    const rows = Array.from({ length: 40 }, (_, i) => `${i % 5},${i === 33 ? 'twelve' : i * 1.5}`);
    const e = await fails(csv(['x,target', ...rows].join('\n')));
    expect(e.code).toBe('label-not-numeric');
    expect(e.message).toMatch(/^line 35: label target looks numeric/);
  });

  test('classification label with a single class', async () => {
    const e = await fails(csv('x,y\n1,cat\n2,cat\n3,NA\n'));
    expect(e.code).toBe('single-class');
    expect(e.message).toBe('label y has only one class ("cat"); classification needs at least 2');
  });

  test('regression label with one value', async () => {
    expect((await fails(csv('x,y\n1,2\n2,2\n', { task: 'regression' }))).code).toBe('constant-label');
  });

  test('binary junk: NUL bytes', async () => {
    const bytes = new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0, 0, 0x10, 0x20]);
    const e = await fails(parseCsv(bytes, 'data.csv'));
    expect(e.code).toBe('not-text');
    expect(e.message).toBe('data.csv is not a text CSV file (binary data, NUL byte at byte 4)');
  });

  test('binary junk: invalid UTF-8 in the first KiB, with the byte offset', async () => {
    const bytes = new Uint8Array([...enc('a,b\n1,'), 0xff, 0xfe, 0x80, ...enc('\n')]);
    const e = await fails(parseCsv(bytes, 'data.csv'));
    expect(e.message).toBe('data.csv is not a text CSV file: invalid UTF-8 at byte 6; save it as UTF-8');
    expect(e.where).toBe('byte 6');
  });

  test('UTF-16 (Excel "Unicode text") is named as such', async () => {
    const e = await fails(parseCsv(new Uint8Array([0xff, 0xfe, 0x61, 0, 0x2c, 0]), 'u.csv'));
    expect(e.message).toMatch(/UTF-16/);
  });

  test('size budget', async () => {
    const e = await fails(parseCsv(sample('iris.csv'), 'iris.csv', { maxBytes: 1024 }));
    expect(e.code).toBe('too-large');
    expect(e.message).toBe('iris.csv is 3.8 KiB, over the 1 KiB limit; use a smaller sample or raise maxBytes');
  });

  test('no usable features', async () => {
    const e = await fails(csv('id,y\n1,a\n2,b\n3,a\n'));
    expect(e.code).toBe('no-features');
    expect(e.message).toMatch(/no usable feature columns \(id: identifier/);
  });
});
