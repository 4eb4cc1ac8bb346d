import { readFileSync } from 'node:fs';
import { encode } from 'fast-png';
import { describe, expect, test } from 'vitest';
import {
  contentHash, DatasetError, detectKind, parseDataset, sha256Hex, sha256Js, type DataFile, type ImageDataset,
} from '../../src/engine/data';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const hex = (b: Uint8Array): string => Array.from(b, (v) => v.toString(16).padStart(2, '0')).join('');
const iris = (): Uint8Array => new Uint8Array(readFileSync('public/samples/iris.csv'));

describe('fingerprint', () => {
  test('SHA-256 known vectors, WebCrypto and the TS fallback agree at every padding boundary', async () => {
    expect(hex(sha256Js(enc('abc')))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(hex(sha256Js(new Uint8Array(0)))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    for (const n of [1, 55, 56, 57, 63, 64, 65, 119, 120, 200, 1000]) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 31 + n) & 255);
      expect(hex(sha256Js(bytes))).toBe(await sha256Hex(bytes));
    }
    // a view into a larger buffer hashes only its own bytes
    const big = enc('xxabcxx');
    expect(await sha256Hex(big.subarray(2, 5))).toBe(hex(sha256Js(enc('abc'))));
  });

  test('a CSV fingerprint is the sha256 of its bytes: stable and content-sensitive', async () => {
    const a = await parseDataset([{ path: 'iris.csv', bytes: iris() }]);
    const b = await parseDataset([{ path: 'renamed.csv', bytes: iris() }]);
    expect(a.fingerprint.sha256).toBe('9cc1c345c71bcc9b486b74cbf6063fa66f4bb5e0f603a4b3c3471ec2e5e8e355'); // sha256sum iris.csv
    expect(b.fingerprint).toEqual(a.fingerprint);
    const changed = iris();
    changed[changed.length - 3] ^= 1; // one bit in the last label
    const c = await parseDataset([{ path: 'iris.csv', bytes: changed }]);
    expect(c.fingerprint.sha256).not.toBe(a.fingerprint.sha256);
  });

  test('several files: independent of listing order, sensitive to content and paths', async () => {
    const files = [{ path: 'b/2', bytes: enc('two') }, { path: 'a/1', bytes: enc('one') }];
    const h = await contentHash(files);
    const lines = `a/1\0${await sha256Hex(enc('one'))}\nb/2\0${await sha256Hex(enc('two'))}\n`;
    expect(h).toBe(await sha256Hex(enc(lines)));
    expect(await contentHash([...files].reverse())).toBe(h);
    expect(await contentHash([files[0]!, { path: 'a/1', bytes: enc('One') }])).not.toBe(h);
    expect(await contentHash([files[0]!, { path: 'c/1', bytes: enc('one') }])).not.toBe(h);
  });

  test('image folders: the top folder name and ignored files do not matter, a pixel does', async () => {
    const png = (v: number): Uint8Array => encode({ width: 2, height: 2, data: new Uint8Array(4).fill(v), channels: 1, depth: 8 });
    const folder = (root: string, v = 9): DataFile[] => [
      { path: `${root}/x/1.png`, bytes: png(1) }, { path: `${root}/y/1.png`, bytes: png(v) },
    ];
    const fp = async (files: DataFile[]): Promise<string> => ((await parseDataset(files)) as ImageDataset).fingerprint.sha256;
    const base = await fp(folder('pets'));
    expect(await fp(folder('pets-copy'))).toBe(base);
    expect(await fp([...folder('pets'), { path: 'pets/.DS_Store', bytes: enc('junk') }])).toBe(base);
    expect(await fp(folder('pets', 10))).not.toBe(base);
  });
});

describe('detectKind and dispatch', () => {
  const f = (path: string, s = 'x'): DataFile => ({ path, bytes: enc(s) });

  test('kinds', () => {
    expect(detectKind([f('data.CSV')])).toBe('csv');
    expect(detectKind([f('data.tsv')])).toBe('csv');
    expect(detectKind([f('book.txt'), f('.DS_Store')])).toBe('text');
    expect(detectKind([f('pets.zip')])).toBe('zip');
    expect(detectKind([f('pets/cat/1.png'), f('pets/dog/1.jpg')])).toBe('images');
    expect(detectKind([f('cat\\1.png'), f('dog\\1.png')])).toBe('images'); // Windows paths
  });

  test('anything else is a clear error', () => {
    const message = (files: DataFile[]): string => {
      try {
        detectKind(files);
      } catch (e) {
        expect(e).toBeInstanceOf(DatasetError);
        expect((e as DatasetError).code).toBe('unsupported-input');
        return (e as DatasetError).message;
      }
      throw new Error('expected an error');
    };
    expect(message([])).toMatch(/^no files given/);
    expect(message([f('data.json')])).toBe('cannot tell what data.json is: expected one .csv, one .txt, one .zip of images, or image files in one folder per class');
    expect(message([f('a.csv'), f('b.csv')])).toMatch(/^cannot tell what a\.csv, b\.csv are/);
    expect(message([f('cat.png')])).toMatch(/^one image is not a dataset/);
    expect(message([f('1.png'), f('2.png')])).toMatch(/^cannot tell what 1\.png, 2\.png are/);
  });

  test('a zip holding one CSV is read as that CSV', async () => {
    const { zipSync } = await import('fflate');
    const ds = await parseDataset([{ path: 'iris.zip', bytes: zipSync({ 'iris.csv': iris() }) }]);
    expect(ds.kind).toBe('tabular');
    expect(ds.fingerprint.summary).toBe('csv 150 rows x 4 features, label species (3 classes)');
  });
});
