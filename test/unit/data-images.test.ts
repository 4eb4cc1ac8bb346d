import { encode } from 'fast-png';
import { zipSync } from 'fflate';
import { describe, expect, test } from 'vitest';
import {
  decodePngRgba, parseDataset, parseImages, resizeArea, type DataFile, type ImageDataset,
} from '../../src/engine/data';
import { fails } from '../support/fails';

type RGBA = [number, number, number, number];

/** A solid-colour RGBA PNG. */
function solid(w: number, h: number, [r, g, b, a]: RGBA): Uint8Array {
  const data = new Uint8Array(w * h * 4);
  for (let i = 0; i < w * h; i++) data.set([r, g, b, a], i * 4);
  return encode({ width: w, height: h, data, channels: 4, depth: 8 });
}

const RED: RGBA = [255, 0, 0, 255];

/** pets/<class>/<n>.png: bird (3), cat (2), dog (2), listed deliberately out of order, with junk. */
function petFiles(root = 'pets'): DataFile[] {
  return [
    { path: `${root}/dog/b.png`, bytes: solid(10, 6, [0, 0, 255, 255]) },
    { path: `${root}/cat/1.png`, bytes: solid(8, 8, RED) },
    { path: `${root}/bird/x.png`, bytes: solid(28, 28, [0, 255, 0, 255]) },
    { path: `${root}/dog/a.png`, bytes: solid(40, 30, [255, 255, 255, 255]) },
    { path: `${root}/bird/y.png`, bytes: solid(3, 5, [0, 128, 0, 255]) },
    { path: `${root}/cat/0.png`, bytes: solid(8, 8, [0, 0, 0, 0]) }, // fully transparent
    { path: `${root}/bird/z.png`, bytes: solid(2, 2, [10, 20, 30, 255]) },
    { path: `${root}/.DS_Store`, bytes: new Uint8Array([0, 0, 0, 1]) },
    { path: `${root}/README.txt`, bytes: new TextEncoder().encode('pets') },
  ];
}


const pixel = (ds: ImageDataset, i: number, y: number, x: number): number[] => {
  const o = ((i * ds.height + y) * ds.width + x) * ds.channels;
  return Array.from(ds.x.subarray(o, o + ds.channels));
};

describe('image folders', () => {
  test('file list: classes sorted, files sorted within a class, shapes, pixel values', async () => {
    const progress: number[] = [];
    const ds = (await parseDataset(petFiles(), { onProgress: (f) => progress.push(f) })) as ImageDataset;
    expect(ds.kind).toBe('image');
    expect(ds.classes).toEqual(['bird', 'cat', 'dog']);
    expect([ds.numImages, ds.height, ds.width, ds.channels]).toEqual([7, 28, 28, 3]);
    expect(ds.x.length).toBe(7 * 28 * 28 * 3);
    expect(Array.from(ds.y)).toEqual([0, 0, 0, 1, 1, 2, 2]);
    // order: bird/x, bird/y, bird/z, cat/0, cat/1, dog/a, dog/b
    for (const [y, x] of [[0, 0], [13, 17], [27, 27]] as const) {
      expect(pixel(ds, 0, y, x)).toEqual([0, 1, 0]); // green, 28x28: untouched
      pixel(ds, 4, y, x).forEach((v, k) => expect(v).toBeCloseTo([1, 0, 0][k]!, 6)); // red, 8x8 upscaled
      expect(pixel(ds, 3, y, x)).toEqual([0, 0, 0]); // transparent -> black
      pixel(ds, 5, y, x).forEach((v) => expect(v).toBeCloseTo(1, 6)); // white 40x30 downscaled
      pixel(ds, 2, y, x).forEach((v, k) => expect(v).toBeCloseTo([10 / 255, 20 / 255, 30 / 255][k]!, 6));
    }
    expect(Math.min(...ds.x)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...ds.x)).toBeLessThanOrEqual(1);
    expect(ds.notes[0]).toBe('7 images in 3 classes (bird 3, cat 2, dog 2)');
    expect(ds.notes.join('\n')).toMatch(/1 hidden or system file ignored/);
    expect(ds.notes.join('\n')).toMatch(/1 non-image file ignored \(e\.g\. pets\/README\.txt\)/);
    expect(progress.at(-1)).toBe(1);
    expect(ds.fingerprint.summary).toBe('images 7 x 28x28x3, 3 classes');
    expect(ds.fingerprint.shape).toEqual({ kind: 'image', images: 7, height: 28, width: 28, channels: 3, classes: 3 });
  });

  test('zip of the same folder gives the same tensors, skipping __MACOSX', async () => {
    const entries: Record<string, Uint8Array> = {};
    for (const f of petFiles()) entries[f.path] = f.bytes;
    entries['__MACOSX/pets/cat/._1.png'] = new Uint8Array([1, 2, 3]);
    const zip = zipSync(entries);
    const fromZip = (await parseDataset([{ path: 'pets.zip', bytes: zip }])) as ImageDataset;
    const fromFiles = (await parseDataset(petFiles())) as ImageDataset;
    expect(fromZip.classes).toEqual(fromFiles.classes);
    expect(Array.from(fromZip.y)).toEqual(Array.from(fromFiles.y));
    expect(fromZip.x).toEqual(fromFiles.x);
    expect(fromZip.numImages).toBe(7);
  });

  test('grayscale and a custom size', async () => {
    const ds = (await parseDataset(petFiles(), { channels: 1, imageSize: { height: 4, width: 6 } })) as ImageDataset;
    expect([ds.height, ds.width, ds.channels, ds.x.length]).toEqual([4, 6, 1, 7 * 24]);
    expect(pixel(ds, 4, 2, 3)[0]).toBeCloseTo(0.299, 6); // red -> BT.601 luma
    expect(pixel(ds, 0, 0, 0)[0]).toBeCloseTo(0.587, 6); // green
  });

  test('class folders directly at the top (<class>/<file>) work too', async () => {
    const files = petFiles().map((f) => ({ ...f, path: f.path.replace(/^pets\//, '') }));
    const ds = (await parseDataset(files)) as ImageDataset;
    expect(ds.classes).toEqual(['bird', 'cat', 'dog']);
  });

  test('a file that fails to decode is named', async () => {
    const files = [...petFiles(), { path: 'pets/cat/broken.png', bytes: new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]) }];
    const e = await fails(parseDataset(files));
    expect(e.code).toBe('image-decode');
    expect(e.message).toMatch(/^could not decode image pets\/cat\/broken\.png \(/);
    expect(e.where).toBe('file pets/cat/broken.png');
  });

  test('non-PNG images in Node: a clear error naming the file', async () => {
    const files = [...petFiles(), { path: 'pets/dog/photo.jpg', bytes: new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 16]) }];
    const e = await fails(parseDataset(files));
    expect(e.code).toBe('image-format');
    expect(e.message).toMatch(/pets\/dog\/photo\.jpg.*only PNG/);
  });

  test('an injected decoder is used', async () => {
    const files: DataFile[] = ['a/1.jpg', 'a/2.jpg', 'b/1.jpg'].map((path) => ({ path, bytes: new Uint8Array([1]) }));
    const decoded: string[] = [];
    const ds = await parseImages(files, {
      imageSize: { height: 2, width: 2 },
      imageDecoder: async (_bytes, path) => {
        decoded.push(path);
        return { width: 1, height: 1, data: new Uint8ClampedArray([51, 102, 204, 255]) };
      },
    });
    expect(decoded).toEqual(['a/1.jpg', 'a/2.jpg', 'b/1.jpg']);
    expect(pixel(ds, 2, 1, 1)).toEqual([0.2, 0.4, 0.8].map((v) => Math.fround(v)));
  });

  test('fewer than 2 classes', async () => {
    const e = await fails(parseDataset([{ path: 'cats/1.png', bytes: solid(2, 2, RED) }, { path: 'cats/2.png', bytes: solid(2, 2, RED) }]));
    expect(e.code).toBe('too-few-classes');
    expect(e.message).toBe('found images for only one class ("cats"); put each class in its own folder, at least 2');
  });

  test('a zip without images', async () => {
    const zip = zipSync({ 'notes/a.md': new TextEncoder().encode('x'), 'notes/b.md': new TextEncoder().encode('y') });
    const e = await fails(parseDataset([{ path: 'stuff.zip', bytes: zip }]));
    expect(e.code).toBe('no-images');
    expect(e.message).toMatch(/^stuff\.zip holds no images/);
  });

  test('a corrupt zip', async () => {
    const e = await fails(parseDataset([{ path: 'bad.zip', bytes: new Uint8Array([0x50, 0x4b, 3, 4, 9, 9, 9]) }]));
    expect(e.code).toBe('bad-zip');
    expect(e.message).toMatch(/^bad\.zip is not a readable zip file/);
  });

  test('zip size budget is checked on the declared uncompressed size', async () => {
    const zip = zipSync({ 'a/1.png': new Uint8Array(200_000), 'b/1.png': new Uint8Array(200_000) }, { level: 9 });
    expect(zip.length).toBeLessThan(10_000);
    const e = await fails(parseDataset([{ path: 'bomb.zip', bytes: zip }], { maxBytes: 300_000 }));
    expect(e.code).toBe('too-large');
    expect(e.message).toMatch(/^bomb\.zip \(uncompressed\) is 390\.6 KiB, over the 293 KiB limit/);
  });
});

describe('PNG decoding and resizing', () => {
  const px = (png: Uint8Array): number[] => Array.from(decodePngRgba(png).data);

  test('grey 8 bit, grey+alpha, RGB, RGBA', () => {
    expect(px(encode({ width: 2, height: 1, data: new Uint8Array([0, 200]), channels: 1, depth: 8 }))).toEqual([0, 0, 0, 255, 200, 200, 200, 255]);
    expect(px(encode({ width: 1, height: 1, data: new Uint8Array([90, 128]), channels: 2, depth: 8 }))).toEqual([90, 90, 90, 128]);
    expect(px(encode({ width: 1, height: 1, data: new Uint8Array([1, 2, 3]), channels: 3, depth: 8 }))).toEqual([1, 2, 3, 255]);
    expect(px(encode({ width: 1, height: 1, data: new Uint8Array([1, 2, 3, 4]), channels: 4, depth: 8 }))).toEqual([1, 2, 3, 4]);
  });

  test('16 bit RGB and grey scale down to 8 bits', () => {
    expect(px(encode({ width: 1, height: 1, data: new Uint16Array([65535, 257 * 100, 0]), channels: 3, depth: 16 }))).toEqual([255, 100, 0, 255]);
    expect(px(encode({ width: 1, height: 1, data: new Uint16Array([257 * 7]), channels: 1, depth: 16 }))).toEqual([7, 7, 7, 255]);
  });

  test('1-bit grey and 2-bit palette (packed rows)', () => {
    // 3 pixels per row, 2 rows: bits 101 / 010, each row padded to a byte
    const oneBit = encode({ width: 3, height: 2, data: new Uint8Array([0b10100000, 0b01000000]), channels: 1, depth: 1 });
    expect(px(oneBit).filter((_, i) => i % 4 === 0)).toEqual([255, 0, 255, 0, 255, 0]);
    const palette = [[255, 0, 0], [0, 255, 0], [0, 0, 255]];
    const pal = encode({ width: 3, height: 1, data: new Uint8Array([0b10_01_00_00]), channels: 1, depth: 2, palette });
    expect(px(pal)).toEqual([0, 0, 255, 255, 0, 255, 0, 255, 255, 0, 0, 255]);
  });

  test('area resize: exact averages when shrinking, identity at the same size', () => {
    const src = Float64Array.from([0, 1, 0, 1, 1, 1, 0, 0, 0.5, 0.5, 0.25, 0.25, 1, 1, 0, 0]); // 4x4 grey
    const out = new Float32Array(4);
    resizeArea(src, 4, 4, 1, 2, 2, out);
    expect(Array.from(out)).toEqual([0.75, 0.25, 0.75, 0.125]);
    const same = new Float32Array(16);
    resizeArea(src, 4, 4, 1, 4, 4, same);
    expect(Array.from(same)).toEqual(Array.from(src, (v) => Math.fround(v)));
    const up = new Float32Array(9);
    resizeArea(Float64Array.from([0, 1]), 1, 2, 1, 3, 3, up); // 1x2 -> 3x3: middle column blends
    expect(Array.from(up.subarray(0, 3)).map((v) => +v.toFixed(6))).toEqual([0, 0.5, 1]);
  });
});
