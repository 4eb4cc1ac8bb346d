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
  | 'bad-zip'; // a .zip that cannot be read

// The class is one kind of the tabtrain error family (src/errors.ts); imports from here keep working.
import { DatasetError } from '../../errors';
export { DatasetError };

export function isDatasetError(e: unknown): e is DatasetError {
  return e instanceof DatasetError;
}

/** Default size budget for one parse: 256 MiB of input bytes (uncompressed, for zips). */
export const DEFAULT_MAX_BYTES = 256 * 1024 * 1024;

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
