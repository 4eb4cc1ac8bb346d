// One error type for everything that can be wrong with a user's dataset. The UI shows `message`
// as it is, so every message is one plain line that names the file, row or line at fault and,
// where there is one, what to do about it. `code` is for programs (tests, the CLI exit status).

export type DatasetErrorCode =
  | 'unsupported-input' // not a CSV, .txt, .zip or folder of class folders
  | 'too-large' // over the size budget (ParseOptions.maxBytes)
  | 'empty' // no bytes, or nothing but whitespace
  | 'not-text' // binary content where text was expected (NUL bytes, UTF-16, ...)
  | 'invalid-utf8' // text that is not valid UTF-8
  | 'header-only' // a CSV with a header row and no data rows
  | 'bad-csv' // malformed quoting and the like
  | 'ragged-row' // a CSV row with too few or too many fields
  | 'unknown-label' // the requested label column does not exist
  | 'label-not-numeric' // regression label with a value that is not a number
  | 'single-class' // classification label with only one class
  | 'constant-label' // regression label with a single value
  | 'no-features' // every feature column was dropped
  | 'no-images' // no usable image files
  | 'too-few-classes' // images for fewer than two classes
  | 'image-decode' // an image file that could not be decoded
  | 'image-format' // an image format this runtime cannot decode
  | 'bad-zip' // a .zip that cannot be read
  // Budgets (INPUT_LIMITS in engine/defaults.ts), checked before the work; details carry
  // {file, quantity, value, limit}. New codes are snake_case (src/errors.ts).
  | 'over_budget' // a quantity over its budget: pixels, columns, rows, classes, characters, inflated bytes
  | 'not_a_regular_file' // a device, FIFO or socket named as data: never read
  | 'non_finite' // a value or a statistic that is not a finite number after parsing or standardising
  | 'one_character'; // a text made of one repeated character: nothing to predict

// The class is one kind of the tabtrain error family (src/errors.ts); imports from here keep working.
import { DatasetError } from '../../errors';
import { INPUT_LIMITS } from '../defaults';
export { DatasetError };

export function isDatasetError(e: unknown): e is DatasetError {
  return e instanceof DatasetError;
}

/** Default size budget for one parse: 256 MiB of input bytes (uncompressed, for zips). */
export const DEFAULT_MAX_BYTES = INPUT_LIMITS.bytes;

/** The budgets of one parse: INPUT_LIMITS, with what `options.limits` overrides. */
export function limitsOf(options: { limits?: Partial<Record<keyof typeof INPUT_LIMITS, number>>; maxBytes?: number }): Record<keyof typeof INPUT_LIMITS, number> {
  return { ...INPUT_LIMITS, ...options.limits, ...(options.maxBytes === undefined ? {} : { bytes: options.maxBytes }) };
}

/**
 * A refusal for a quantity over its budget, in one line that names the file, the quantity, the
 * value, the limit and how to get under it ("wide.csv: 40,000 columns, over the limit of 32,768;
 * keep fewer columns"); `details` carries the same for programs. `extra` follows the value
 * ("(20000 x 20000)"), `per` the limit ("per image").
 */
export function overBudget(o: { file: string; quantity: string; value: number; limit: number; fix: string; extra?: string; per?: string; where?: string }): DatasetError {
  const n = (v: number) => v.toLocaleString('en-US');
  const message = `${o.file}: ${n(o.value)} ${o.quantity}${o.extra ? ` ${o.extra}` : ''}, over the limit of ${n(o.limit)}${o.per ? ` ${o.per}` : ''}; ${o.fix}`;
  return new DatasetError('over_budget', message, o.where ?? `file ${o.file}`, { file: o.file, quantity: o.quantity, value: o.value, limit: o.limit });
}

/** "1.5 MiB", "300 KiB", "12 bytes": for size messages. */
export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(1).replace(/\.0$/, '')} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1).replace(/\.0$/, '')} KiB`;
  return `${n} bytes`;
}

/** `what` names the input ("iris.csv"); `plural` when it names several ("the 3 dropped files"). */
export function checkSize(total: number, maxBytes: number, what: string, plural = false): void {
  if (total > maxBytes) {
    throw new DatasetError(
      'too-large',
      `${what} ${plural ? 'are' : 'is'} ${formatBytes(total)}, over the ${formatBytes(maxBytes)} limit; use a smaller sample or raise maxBytes`,
    );
  }
}

/**
 * The size and count budgets of what is about to be read, from sizes known before reading (stat
 * in the CLI, File.size in the page): a 10 GB file is refused without being read. `what` names
 * the input ("iris.csv", "the folder pets"). Shared so the CLI and the page refuse the same inputs.
 */
export function checkInputFiles(files: { path: string; size: number }[], what: string, options: { limits?: Partial<Record<keyof typeof INPUT_LIMITS, number>>; maxBytes?: number } = {}): void {
  const limits = limitsOf(options);
  if (files.length > limits.files) throw overBudget({ file: what, quantity: 'files', value: files.length, limit: limits.files, fix: 'use a smaller sample, or a zip of it' });
  const total = files.reduce((s, f) => s + f.size, 0);
  checkSize(total, limits.bytes, files.length === 1 ? what : `the ${files.length} files in ${what}`, files.length > 1);
}
