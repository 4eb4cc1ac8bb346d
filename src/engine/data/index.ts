// Entry point of the data layer: whatever a person dropped (or named on the command line) ->
// one Dataset. Pure TS over bytes, so the worker and the CLI call exactly this.
import { parseCsv } from './csv';
import { DatasetError, DEFAULT_MAX_BYTES, checkSize, limitsOf, overBudget } from './errors';
import { isImagePath, parseImages } from './images';
import { parseText } from './text';
import { isJunkPath, normalisePath, unzipFiles } from './zip';
import { sha256Hex } from './fingerprint';
import type { DataFile, Dataset, ParseOptions } from './types';

export * from './types';
export { DatasetError, isDatasetError, DEFAULT_MAX_BYTES, type DatasetErrorCode } from './errors';
export { parseCsv, csvSample } from './csv';
export { looksLikeIdName, isMissing } from './columns';
export { parseText, decodeUtf8Strict, findInvalidUtf8 } from './text';
export { parseImages, defaultImageDecoder, decodePngRgba, resizeArea, isImagePath, IMAGE_EXTENSIONS } from './images';
export { unzipFiles, normalisePath, isJunkPath } from './zip';
export { sha256Hex, sha256Js, contentHash } from './fingerprint';

/** What parseDataset will do with these files. */
export type InputKind = 'csv' | 'text' | 'zip' | 'images';

const ext = (path: string): string => /\.([^./]+)$/.exec(path)?.[1]?.toLowerCase() ?? '';
const CSV_EXT = ['csv', 'tsv'];

/**
 * Classifies the input without parsing it: one .csv/.tsv, one .txt, one .zip, or several images
 * in class folders (hidden files and stray non-images next to them are allowed). Throws a
 * DatasetError saying what was expected otherwise.
 */
export function detectKind(files: DataFile[]): InputKind {
  if (files.length === 0) throw new DatasetError('unsupported-input', 'no files given; drop a CSV, a .txt, a .zip of images or a folder of images');
  const useful = files.filter((f) => !isJunkPath(f.path));
  if (useful.length === 1) {
    const e = ext(useful[0]!.path);
    if (CSV_EXT.includes(e)) return 'csv';
    if (e === 'txt') return 'text';
    if (e === 'zip') return 'zip';
    if (isImagePath(useful[0]!.path)) {
      throw new DatasetError('unsupported-input', `one image is not a dataset; drop a folder with one sub-folder of images per class`);
    }
  }
  const images = useful.filter((f) => isImagePath(f.path));
  if (images.length > 0 && images.some((f) => normalisePath(f.path).includes('/'))) return 'images';
  const names = useful.slice(0, 3).map((f) => f.path).join(', ') + (useful.length > 3 ? ', ...' : '');
  throw new DatasetError(
    'unsupported-input',
    `cannot tell what ${names || 'these files'} ${useful.length === 1 ? 'is' : 'are'}: expected one .csv, one .txt, one .zip of images, or image files in one folder per class`,
  );
}

/** Parses the dropped files into a Dataset, or throws a DatasetError with a one-line message. */
export async function parseDataset(files: DataFile[], options: ParseOptions = {}): Promise<Dataset> {
  const kind = detectKind(files);
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const single = files.find((f) => !isJunkPath(f.path))!;
  const name = baseName(single.path);
  if (kind === 'images') {
    const n = files.length;
    const maxFiles = limitsOf(options).files;
    if (n > maxFiles) throw overBudget({ file: 'the dropped folder', quantity: 'files', value: n, limit: maxFiles, fix: 'drop a smaller sample, or a zip of it' });
    checkSize(files.reduce((s, f) => s + f.bytes.length, 0), maxBytes, `the ${n} dropped file${n === 1 ? '' : 's'}`, n > 1);
    return parseImages(files, options);
  }
  try {
    return await parseFile(kind, single, name, maxBytes, options);
  } catch (e) {
    throw namingFile(e, name);
  }
}

/** One dropped file (a CSV, a .txt or a .zip) -> Dataset. */
async function parseFile(kind: Exclude<InputKind, 'images'>, single: DataFile, name: string, maxBytes: number, options: ParseOptions): Promise<Dataset> {
  switch (kind) {
    case 'csv':
      return parseCsv(single.bytes, name, options);
    case 'text':
      return parseText(single.bytes, name, options);
    case 'zip': {
      checkSize(single.bytes.length, maxBytes, name);
      const inner = unzipFiles(single.bytes, name, maxBytes, limitsOf(options).files);
      const sha = await sha256Hex(single.bytes);
      if (inner.some((f) => isImagePath(f.path))) return parseImages(inner, options, sha);
      // A zip holding just one CSV or text file is read as that file (fingerprint: the inner file).
      if (inner.length === 1 && (CSV_EXT.includes(ext(inner[0]!.path)) || ext(inner[0]!.path) === 'txt')) {
        const f = inner[0]!;
        return ext(f.path) === 'txt' ? parseText(f.bytes, baseName(f.path), options) : parseCsv(f.bytes, baseName(f.path), options);
      }
      throw new DatasetError('no-images', `${name} holds no images (expected one folder of images per class inside the zip)`, `file ${name}`);
    }
  }
}

/**
 * A person may have dropped several files over the day: every message about a single dropped
 * file names it, also where the parser only knew a line ("line 4: expected 4 fields, found 3")
 * or a column ("label y has only one class"), and a zip's name goes before a message about a
 * file inside it.
 */
function namingFile(e: unknown, name: string): unknown {
  if (!(e instanceof DatasetError) || e.message.startsWith(name) || e.message.includes(` in ${name}`)) return e;
  const message = /^line \d+:/.test(e.message) ? `${name}, ${e.message}` : `${name}: ${e.message}`;
  return new DatasetError(e.code, message, e.where ?? `file ${name}`, e.details);
}

const baseName = (path: string): string => normalisePath(path).split('/').pop() || path;
