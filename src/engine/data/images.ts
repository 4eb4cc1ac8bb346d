// Folders of images (one sub-folder per class) -> ImageDataset [n, h, w, c] in [0, 1].
// PNGs are always decoded by fast-png and resized by the area filter below, in the browser too:
// canvas decoding applies colour management and gamma that differ between browsers, and canvas
// resizing differs between GPUs, so doing it in TS is what makes a dataset parsed in a tab and
// in the CLI the same tensor (and the same fingerprint-to-tensor mapping on resume).
// Other formats (JPEG, GIF, WebP, BMP) use createImageBitmap + OffscreenCanvas where they exist.
import { decode as decodePng, hasPngSignature } from 'fast-png';
import { DatasetError, DEFAULT_MAX_BYTES, checkSize, limitsOf, overBudget } from './errors';
import { imageDimensions, pngDataFits } from './image-header';
import { contentHash, imageFingerprint } from './fingerprint';
import { isJunkPath, normalisePath } from './zip';
import type { DataFile, ImageDataset, ImageDecoder, ParseOptions } from './types';

export type { ImageDecoder } from './types';

export const IMAGE_EXTENSIONS = ['png', 'jpg', 'jpeg', 'gif', 'bmp', 'webp'];

export function isImagePath(path: string): boolean {
  const m = /\.([^./]+)$/.exec(path);
  return m !== null && IMAGE_EXTENSIONS.includes(m[1]!.toLowerCase());
}

/** PNG -> 8-bit RGBA for every colour type and bit depth fast-png returns. */
export function decodePngRgba(bytes: Uint8Array): { width: number; height: number; data: Uint8Array } {
  const png = decodePng(bytes);
  const { width, height, depth, channels, palette, transparency } = png;
  const src = png.data;
  const out = new Uint8Array(width * height * 4);
  // Samples below 8 bits stay packed, rows padded to whole bytes (PNG's layout).
  const rowBytes = Math.ceil((width * depth * channels) / 8);
  const max = (1 << Math.min(depth, 16)) - 1;
  const sample = (x: number, y: number, ch: number): number => {
    if (depth >= 8) return src[(y * width + x) * channels + ch]!;
    const bit = (x * channels + ch) * depth;
    return (src[y * rowBytes + (bit >> 3)]! >> (8 - depth - (bit & 7))) & max;
  };
  const to8 = (v: number): number => (depth === 8 ? v : Math.round((v * 255) / max));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 4;
      if (palette) {
        const c = palette[sample(x, y, 0)];
        if (!c) throw new Error(`palette index out of range at pixel ${x},${y}`);
        out[o] = c[0]!; out[o + 1] = c[1]!; out[o + 2] = c[2]!; out[o + 3] = c[3] ?? 255;
        continue;
      }
      const s0 = sample(x, y, 0);
      if (channels <= 2) {
        out[o] = out[o + 1] = out[o + 2] = to8(s0);
        out[o + 3] = channels === 2 ? to8(sample(x, y, 1)) : transparency && transparency[0] === s0 ? 0 : 255;
      } else {
        const s1 = sample(x, y, 1), s2 = sample(x, y, 2);
        out[o] = to8(s0); out[o + 1] = to8(s1); out[o + 2] = to8(s2);
        const keyed = transparency && transparency[0] === s0 && transparency[1] === s1 && transparency[2] === s2;
        out[o + 3] = channels === 4 ? to8(sample(x, y, 3)) : keyed ? 0 : 255;
      }
    }
  }
  return { width, height, data: out };
}

async function decodeWithBrowser(bytes: Uint8Array): Promise<{ width: number; height: number; data: Uint8ClampedArray }> {
  const bitmap = await createImageBitmap(new Blob([bytes as Uint8Array<ArrayBuffer>]), {
    premultiplyAlpha: 'none',
    colorSpaceConversion: 'none',
  });
  try {
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    if (!ctx) throw new Error('no 2d canvas context');
    ctx.drawImage(bitmap, 0, 0);
    return { width: bitmap.width, height: bitmap.height, data: ctx.getImageData(0, 0, bitmap.width, bitmap.height).data };
  } finally {
    bitmap.close();
  }
}

/** Which image format the first bytes announce (PNG, JPEG, GIF, BMP, WebP), or null for none. */
export function sniffImageFormat(bytes: Uint8Array): string | null {
  const at = (offset: number, sig: number[]): boolean => bytes.length >= offset + sig.length && sig.every((b, i) => bytes[offset + i] === b);
  const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));
  if (hasPngSignature(bytes)) return 'PNG';
  if (at(0, [0xff, 0xd8, 0xff])) return 'JPEG';
  if (at(0, ascii('GIF87a')) || at(0, ascii('GIF89a'))) return 'GIF';
  if (at(0, ascii('BM'))) return 'BMP';
  if (at(0, ascii('RIFF')) && at(8, ascii('WEBP'))) return 'WebP';
  return null;
}

/** What a file that is not an image seems to be instead, for the message (never its content). */
function looksLike(bytes: Uint8Array): string {
  if (bytes.length === 0) return 'it is empty';
  const head = bytes.subarray(0, 512);
  const texty = head.every((b) => b === 9 || b === 10 || b === 13 || (b >= 32 && b !== 127));
  return texty ? 'it looks like text' : 'it starts with unknown binary data';
}

export const defaultImageDecoder: ImageDecoder = async (bytes, path) => {
  const format = sniffImageFormat(bytes);
  // Checked here, not left to the decoder: a text file renamed .png would otherwise get
  // "only PNG is supported outside the browser" in Node and an opaque decode error in a browser.
  if (format === null) {
    throw new DatasetError('image-decode', `${path} is not an image: its bytes are not PNG, JPEG, GIF, BMP or WebP (${looksLike(bytes)}); remove it or replace it with the real image`, `file ${path}`);
  }
  if (format === 'PNG') {
    try {
      return decodePngRgba(bytes);
    } catch (e) {
      throw new Error(`truncated or corrupt PNG: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  if (typeof globalThis.createImageBitmap === 'function' && typeof globalThis.OffscreenCanvas === 'function') {
    return decodeWithBrowser(bytes);
  }
  throw new DatasetError(
    'image-format',
    `cannot decode ${path} here: outside the browser only PNG images are supported; convert the images to PNG`,
    `file ${path}`,
  );
};

/**
 * Per-axis area-resampling weights: destination pixel d averages the source span
 * [d * s, (d + 1) * s), s = src / dst, each source pixel weighted by its overlap. Downscaling is
 * a box filter (no aliasing); upscaling blends at most two neighbours. Same numbers everywhere.
 */
function areaWeights(src: number, dst: number): { index: number; weight: number }[][] {
  const scale = src / dst;
  const out: { index: number; weight: number }[][] = [];
  for (let d = 0; d < dst; d++) {
    const a = d * scale, b = (d + 1) * scale;
    const taps: { index: number; weight: number }[] = [];
    for (let j = Math.floor(a); j < Math.min(src, Math.ceil(b)); j++) {
      const overlap = Math.min(b, j + 1) - Math.max(a, j);
      if (overlap > 0) taps.push({ index: j, weight: overlap / scale });
    }
    out.push(taps);
  }
  return out;
}

/** Resizes a [h, w, c] float image to [dh, dw, c] (separable area filter), writing into out at offset. */
export function resizeArea(src: Float64Array, h: number, w: number, c: number, dh: number, dw: number, out: Float32Array, offset = 0): void {
  const wx = areaWeights(w, dw), wy = areaWeights(h, dh);
  const tmp = new Float64Array(h * dw * c); // horizontal pass: [h, dw, c]
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < dw; x++) {
      for (const { index, weight } of wx[x]!) {
        const s = (y * w + index) * c, t = (y * dw + x) * c;
        for (let k = 0; k < c; k++) tmp[t + k]! += weight * src[s + k]!;
      }
    }
  }
  for (let y = 0; y < dh; y++) {
    for (let x = 0; x < dw; x++) {
      const t = offset + (y * dw + x) * c;
      for (let k = 0; k < c; k++) {
        let acc = 0;
        for (const { index, weight } of wy[y]!) acc += weight * tmp[(index * dw + x) * c + k]!;
        out[t + k] = Math.min(1, Math.max(0, acc)); // clamp rounding overshoot (1.0000001)
      }
    }
  }
}

/** RGBA bytes -> [h, w, channels] floats in [0, 1]; alpha composited over black (as canvas does for fully transparent pixels). */
function toFloat(data: Uint8Array | Uint8ClampedArray, n: number, channels: 1 | 3): Float64Array {
  const out = new Float64Array(n * channels);
  for (let p = 0; p < n; p++) {
    const a = data[p * 4 + 3]! / 255;
    const r = (data[p * 4]! / 255) * a, g = (data[p * 4 + 1]! / 255) * a, b = (data[p * 4 + 2]! / 255) * a;
    if (channels === 1) out[p] = 0.299 * r + 0.587 * g + 0.114 * b; // ITU-R BT.601 luma
    else { out[p * 3] = r; out[p * 3 + 1] = g; out[p * 3 + 2] = b; }
  }
  return out;
}

/**
 * Image files whose paths are `<class>/<file>` (any number of leading folders): the class is
 * the folder that directly holds the file. `sha256` overrides the content hash (a zip is
 * fingerprinted by its own bytes).
 */
export async function parseImages(files: DataFile[], options: ParseOptions = {}, sha256?: string): Promise<ImageDataset> {
  const notes: string[] = [];
  const ignored: string[] = [];
  const loose: string[] = [];
  let junk = 0;
  const byClass = new Map<string, { path: string; bytes: Uint8Array }[]>();
  const parentsOf = new Map<string, Set<string>>();
  for (const f of files) {
    const path = normalisePath(f.path);
    if (isJunkPath(path)) { junk++; continue; }
    if (!isImagePath(path)) { ignored.push(path); continue; }
    const parts = path.split('/');
    if (parts.length < 2) { loose.push(path); continue; }
    const cls = parts[parts.length - 2]!;
    if (!byClass.has(cls)) { byClass.set(cls, []); parentsOf.set(cls, new Set()); }
    byClass.get(cls)!.push({ path, bytes: f.bytes });
    parentsOf.get(cls)!.add(parts.slice(0, -2).join('/'));
  }
  const plural = (k: number, word: string): string => `${k} ${word}${k === 1 ? '' : 's'}`;
  if (junk) notes.push(`${plural(junk, 'hidden or system file')} ignored (dot-files, __MACOSX)`);
  if (ignored.length) notes.push(`${plural(ignored.length, 'non-image file')} ignored (e.g. ${ignored.sort()[0]})`);
  if (loose.length) notes.push(`${plural(loose.length, 'image')} outside any class folder ignored (e.g. ${loose.sort()[0]})`);
  const lexical = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  const classes = [...byClass.keys()].sort(lexical);
  if (classes.length === 0) {
    throw new DatasetError('no-images', `no images found: expected ${IMAGE_EXTENSIONS.join('/')} files inside one folder per class`);
  }
  if (classes.length < 2) {
    throw new DatasetError('too-few-classes', `found images for only one class ("${classes[0]}"); put each class in its own folder, at least 2`);
  }
  const limits = limitsOf(options);
  if (classes.length > limits.classes) {
    throw overBudget({ file: 'the images', quantity: 'classes (class folders)', value: classes.length, limit: limits.classes, fix: 'group the images into fewer class folders' });
  }
  for (const c of classes) {
    if (parentsOf.get(c)!.size > 1) notes.push(`class ${c}: images from ${parentsOf.get(c)!.size} folders named ${c} merged`);
  }
  const items = classes.flatMap((c, ci) => byClass.get(c)!.sort((a, b) => lexical(a.path, b.path)).map((f) => ({ ...f, ci })));
  checkSize(items.reduce((s, f) => s + f.bytes.length, 0), options.maxBytes ?? DEFAULT_MAX_BYTES, `the ${items.length} images`, items.length > 1);

  checkPixels(items, limits);

  const { height, width } = options.imageSize ?? { height: 28, width: 28 };
  const channels = options.channels ?? 3;
  const decode = options.imageDecoder ?? defaultImageDecoder;
  const per = height * width * channels;
  const x = new Float32Array(items.length * per);
  const y = new Int32Array(items.length);
  const sizes = new Set<string>();
  for (let i = 0; i < items.length; i++) {
    const { path, bytes, ci } = items[i]!;
    let img: Awaited<ReturnType<ImageDecoder>>;
    try {
      img = await decode(bytes, path);
    } catch (e) {
      if (e instanceof DatasetError) throw e;
      const why = e instanceof Error ? e.message : String(e);
      throw new DatasetError('image-decode', `could not decode image ${path} (${why})`, `file ${path}`);
    }
    if (!(img.width > 0 && img.height > 0) || img.data.length !== img.width * img.height * 4) {
      throw new DatasetError('image-decode', `could not decode image ${path} (empty or inconsistent pixel data)`, `file ${path}`);
    }
    sizes.add(`${img.width}x${img.height}`);
    resizeArea(toFloat(img.data, img.width * img.height, channels), img.height, img.width, channels, height, width, x, i * per);
    y[i] = ci;
    options.onProgress?.((i + 1) / items.length, 'decoding images');
  }
  const counts = classes.map((c) => `${c} ${byClass.get(c)!.length}`).join(', ');
  notes.unshift(
    `${items.length} images in ${classes.length} classes (${counts})`,
    `resized to ${height}x${width}, ${channels === 1 ? 'grayscale' : 'RGB'}` +
      (sizes.size === 1 ? ` from ${[...sizes][0]}` : ` from ${sizes.size} different sizes`),
  );
  const hash = sha256 ?? (await contentHash(stripCommonRoot(items)));
  return {
    kind: 'image', x, numImages: items.length, height, width, channels, y, classes, notes,
    fingerprint: imageFingerprint(hash, { images: items.length, height, width, channels, classes: classes.length }),
  };
}

/**
 * The pixel budgets, from each image's header, before any image is decoded: decoding holds about
 * 28 bytes per pixel at once (RGBA bytes, then floats), so one 20000x20000 PNG of a few KB would
 * take over 10 GB. Headers this cannot read are left to the decoder, which reports the file.
 */
function checkPixels(items: { path: string; bytes: Uint8Array }[], limits: { imagePixels: number; totalPixels: number }): void {
  let total = 0;
  for (const { path, bytes } of items) {
    const format = sniffImageFormat(bytes);
    const d = imageDimensions(bytes, format);
    if (!d) continue;
    const pixels = d.width * d.height;
    if (pixels > limits.imagePixels) {
      const side = Math.floor(Math.sqrt(limits.imagePixels));
      throw overBudget({ file: path, quantity: 'pixels', value: pixels, extra: `(${d.width} x ${d.height})`, limit: limits.imagePixels, per: 'per image', fix: `nothing was decoded; scale it down to ${side} x ${side} or less, or leave it out` });
    }
    // The header is small but the data is not: a PNG whose data inflates past what its header needs.
    if (format === 'PNG' && !pngDataFits(bytes)) {
      throw new DatasetError('over_budget', `${path}: its image data inflates past what its ${d.width} x ${d.height} header needs (a damaged or malicious file), so it was not decoded; save the image again`, `file ${path}`, { file: path, quantity: 'inflated image data' });
    }
    total += pixels;
    if (total > limits.totalPixels) {
      throw overBudget({ file: `the ${items.length} images`, quantity: 'pixels', value: total, extra: `(counted up to ${path})`, limit: limits.totalPixels, per: 'for all images', fix: 'nothing was decoded; scale the images down or use fewer', where: `file ${path}` });
    }
  }
}

/**
 * The dropped folder's own name ("pets/", "pets-copy/") is not content: hash paths from the
 * class folders down, so renaming the top folder keeps the fingerprint. Ignored files (dot-files,
 * readme.txt) are not hashed either.
 */
function stripCommonRoot(items: { path: string; bytes: Uint8Array }[]): { path: string; bytes: Uint8Array }[] {
  const split = items.map((f) => f.path.split('/'));
  let common = 0;
  while (split.every((p) => p.length - 2 > common && p[common] === split[0]![common])) common++;
  return items.map((f, i) => ({ path: split[i]!.slice(common).join('/'), bytes: f.bytes }));
}
