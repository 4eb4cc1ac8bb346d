import type { INPUT_LIMITS } from '../defaults';
// Datasets as plain typed arrays: no tensors, no DOM, no Node APIs. The trainer uploads them
// to the device once (see src/engine/trainer.ts); parsing happens in the worker or the CLI.

/** One input file: a CSV, a .txt, a .zip, or one image of a folder (path keeps the class folder). */
export interface DataFile {
  path: string;
  bytes: Uint8Array;
}

export type TaskKind = 'classification' | 'regression';

/** SHA-256 of the content plus a human-readable shape summary. */
export interface Fingerprint {
  /** hex SHA-256 over the raw input bytes (multi-file: over the sorted (path, file-hash) list). */
  sha256: string;
  /** e.g. "csv 150 rows x 4 features, label species (3 classes)". */
  summary: string;
  /** machine-readable shape facts, e.g. {rows: 150, features: 4, classes: 3}. */
  shape: Record<string, number | string>;
}

/** A column that was left out, and why (told to the user). */
export interface DroppedColumn {
  column: string;
  reason: string;
}

export interface TabularDataset {
  kind: 'tabular';
  /** row-major [numRows, numFeatures], standardised numeric + one-hot categorical features. */
  x: Float32Array;
  numRows: number;
  numFeatures: number;
  /** one name per feature column of x (one-hot columns are named `col=value`). */
  featureNames: string[];
  labelName: string;
  /** every column of the file, label included, in file order (header names as cleaned: blanks named, repeats numbered). */
  columns?: string[];
  task: TaskKind;
  /** classification: class index per row (Int32Array); regression: target value per row (Float32Array, standardised). */
  y: Int32Array | Float32Array;
  /** classification only: class names, index = class id. */
  classes: string[];
  dropped: DroppedColumn[];
  /** notes for the user (missing values filled, columns treated as categorical, ...). */
  notes: string[];
  fingerprint: Fingerprint;
  /** regression only: mean/std of the raw label, so a prediction p maps back as p * std + mean. */
  labelStats?: { mean: number; std: number };
}

export interface ImageDataset {
  kind: 'image';
  /** row-major [numImages, height, width, channels], values in [0, 1]. */
  x: Float32Array;
  numImages: number;
  height: number;
  width: number;
  channels: number;
  y: Int32Array;
  classes: string[];
  notes: string[];
  fingerprint: Fingerprint;
}

export interface TextDataset {
  kind: 'text';
  /** the whole text as vocabulary ids. */
  ids: Int32Array;
  /** vocab[id] = the character. Sorted by code point. */
  vocab: string[];
  notes: string[];
  fingerprint: Fingerprint;
}

export type Dataset = TabularDataset | ImageDataset | TextDataset;

export interface ParseOptions {
  /** CSV: label column by name (default: the last column). */
  label?: string;
  /** CSV: override the inferred task. */
  task?: TaskKind;
  /** images: resize every image to this size (default 28x28). */
  imageSize?: { height: number; width: number };
  /** images: 1 = grayscale, 3 = RGB (default 3). */
  channels?: 1 | 3;
  /** called with a fraction in [0, 1] while parsing slow inputs. */
  onProgress?: (fraction: number, what: string) => void;
  /** size budget over all input bytes (uncompressed, for a zip); default 256 MiB. */
  maxBytes?: number;
  /** budgets to use instead of INPUT_LIMITS (engine/defaults.ts), e.g. smaller ones in tests. */
  limits?: Partial<Record<keyof typeof INPUT_LIMITS, number>>;
  /** images: decoder to use instead of the default (PNG via fast-png, others via the browser). */
  imageDecoder?: ImageDecoder;
}

/** Decodes one image file to 8-bit RGBA, row-major, width * height * 4 bytes. */
export type ImageDecoder = (
  bytes: Uint8Array,
  path: string,
) => Promise<{ width: number; height: number; data: Uint8ClampedArray | Uint8Array }>;
