// Datasets in the worker: parse dropped files, store them by content hash, and re-parse a
// stored dataset (after a reload the file is never needed again).
import { StoreError } from '../errors';
import { getDataset, putDataset } from '../store';
import { csvSample, parseDataset } from '../engine/data';
import type { DataFile, Dataset } from '../engine/data/types';
import type { DataChoices, DatasetPreview } from './protocol';

const cache = new Map<string, Dataset>();
/** Columns shown in the "First rows" table (every column is listed above it). */
const SAMPLE_COLUMNS = 100;
const cacheKey = (hash: string, c: DataChoices) => `${hash}|${c.label ?? ''}|${c.task ?? ''}`;

export async function parseAndStore(files: DataFile[], choices: DataChoices, onProgress?: (f: number, what: string) => void): Promise<DatasetPreview> {
  const ds = await parseDataset(files, { ...choices, onProgress });
  const hash = ds.fingerprint.sha256;
  const name = files.length === 1 ? files[0].path : files[0].path.split('/')[0] || 'images';
  await putDataset({ hash, name, kind: ds.kind, summary: ds.fingerprint.summary, bytes: 0, addedAt: new Date().toISOString() }, files);
  cache.set(cacheKey(hash, choices), ds);
  return preview(ds, name, files, choices);
}

/** The dataset as the run saw it: from the cache, or parsed again from the stored files. */
export async function loadDataset(hash: string, choices: DataChoices): Promise<{ ds: Dataset; name: string; files: DataFile[] }> {
  const stored = await getDataset(hash);
  if (!stored) throw new StoreError('not_found', `the dataset this run uses is no longer stored in the browser (it was deleted or the storage was cleared); drop the file again`, { details: { what: 'dataset', id: hash } });
  const key = cacheKey(hash, choices);
  let ds = cache.get(key);
  if (!ds) {
    ds = await parseDataset(stored.files, choices);
    cache.set(key, ds);
  }
  return { ds, name: stored.record.name, files: stored.files };
}

export async function reparse(hash: string, choices: DataChoices): Promise<DatasetPreview> {
  const { ds, name, files } = await loadDataset(hash, choices);
  return preview(ds, name, files, choices);
}

export function forget(hash: string): void {
  for (const k of [...cache.keys()]) if (k.startsWith(`${hash}|`)) cache.delete(k);
}

function preview(ds: Dataset, name: string, files: DataFile[], choices: DataChoices): DatasetPreview {
  const bytes = files.reduce((n, f) => n + f.bytes.length, 0);
  const base = { hash: ds.fingerprint.sha256, name, kind: ds.kind, summary: ds.fingerprint.summary, bytes, choices, notes: ds.notes };
  if (ds.kind === 'tabular') {
    // The columns from the parse (the whole header, within the column budget): reading them from
    // the first 64 KB truncated a 20,000-column header and left the label picker blank.
    const columns = ds.columns ?? [];
    const shown = (r: string[]) => r.slice(0, SAMPLE_COLUMNS);
    const sampleRows = [columns, ...csvSample(files[0].bytes, columns.length)].map(shown);
    const counts = ds.task === 'classification' ? countClasses(ds.y as Int32Array, ds.classes) : undefined;
    return { ...base, columns, label: ds.labelName, task: ds.task, features: ds.featureNames, dropped: ds.dropped, rows: ds.numRows, sampleRows, classes: counts };
  }
  if (ds.kind === 'text') {
    return { ...base, task: 'lm', characters: ds.ids.length, vocabulary: ds.vocab, sampleText: Array.from(ds.ids.subarray(0, 300), (i) => ds.vocab[i]).join('') };
  }
  const thumbs: DatasetPreview['thumbnails'] = [];
  const { height: h, width: w, channels: c } = ds;
  for (let k = 0; k < ds.classes.length; k++) {
    let shown = 0;
    for (let i = 0; i < ds.numImages && shown < 4; i++) {
      if (ds.y[i] !== k) continue;
      const rgba = new Uint8ClampedArray(h * w * 4);
      for (let p = 0; p < h * w; p++) {
        for (let ch = 0; ch < 3; ch++) rgba[p * 4 + ch] = 255 * ds.x[(i * h * w + p) * c + (c === 1 ? 0 : ch)];
        rgba[p * 4 + 3] = 255;
      }
      thumbs.push({ label: ds.classes[k], width: w, height: h, rgba });
      shown++;
    }
  }
  return { ...base, task: 'classification', rows: ds.numImages, classes: countClasses(ds.y, ds.classes), imageSize: { height: h, width: w, channels: c }, thumbnails: thumbs };
}

function countClasses(y: Int32Array, classes: string[]) {
  const counts = new Array<number>(classes.length).fill(0);
  for (const v of y) counts[v] += 1;
  return classes.map((name, i) => ({ name, count: counts[i] }));
}
