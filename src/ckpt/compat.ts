// Can this checkpoint continue this run? Pure functions over tensor names and shapes (no tfjs),
// so the page can explain a mismatch before the worker loads a single weight.
//
// Two ways to use a checkpoint (see docs/ckpt-format.md and the resume/fresh guide):
// - resume: everything continues (weights, optimizer moments, schedule, data order), so the
//   model must match exactly and the dataset must be the same;
// - fresh from weights: only `model.*` tensors (or their rows) that fit by meaning are copied
//   (src/engine/fresh-map.ts); the optimizer, schedule and data order start anew. This is the
//   right choice after the dataset changed.

import { formatShape } from './errors';

export interface TensorSpec {
  name: string;
  shape: readonly number[];
}

export type ResumeCompat = { ok: true } | { ok: false; problems: string[] };

export interface DatasetFingerprint {
  /** Hex SHA-256 of the dataset as the engine hashes it. */
  sha256: string;
  /** A human line, e.g. "iris.csv, 150 rows, 5 columns". */
  summary: string;
}

const isModel = (t: TensorSpec): boolean => t.name.startsWith('model.');

/** First occurrence wins, so a duplicated name cannot hide a mismatch behind a later entry. */
function byName(list: readonly TensorSpec[]): Map<string, readonly number[]> {
  const map = new Map<string, readonly number[]>();
  for (const t of list) if (isModel(t) && !map.has(t.name)) map.set(t.name, t.shape);
  return map;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * Resume needs the checkpoint's `model.*` tensors to be exactly the model's: same names, same
 * shapes. (`optim.*` slots follow the model's parameters and are checked by the engine.)
 * Problems come in model order, then the checkpoint's extra tensors in checkpoint order.
 */
export function checkResumeCompat(ckpt: readonly TensorSpec[], expected: readonly TensorSpec[]): ResumeCompat {
  const have = byName(ckpt);
  const want = byName(expected);
  const problems: string[] = [];
  for (const [name, shape] of want) {
    const got = have.get(name);
    if (got === undefined) {
      problems.push(`${name}: missing from the checkpoint, model expects ${formatShape(shape)}`);
    } else if (!sameShape(got, shape)) {
      problems.push(`${name}: checkpoint has ${formatShape(got)}, model expects ${formatShape(shape)}`);
    }
  }
  for (const [name, shape] of have) {
    if (!want.has(name)) problems.push(`${name}: checkpoint has ${formatShape(shape)}, the model has no such tensor`);
  }
  return problems.length === 0 ? { ok: true } : { ok: false, problems };
}

/**
 * Is the dataset the one the checkpoint was trained on? Resume replays the optimizer moments,
 * learning-rate schedule and data order; on other data that is a silent mismatch, so the message
 * says what to do instead. `ckptFp` is null when the checkpoint recorded no fingerprint.
 */
export function compareFingerprints(
  ckptFp: DatasetFingerprint | null | undefined,
  currentFp: DatasetFingerprint,
): { same: boolean; message: string } {
  if (!ckptFp) {
    return {
      same: false,
      message:
        'This checkpoint does not say which dataset it was trained on, so tabtrain cannot check it. ' +
        `Resume only if the dataset (now: ${currentFp.summary}) is exactly the one it was trained on; ` +
        "otherwise start fresh from the checkpoint's weights.",
    };
  }
  if (ckptFp.sha256 === currentFp.sha256) {
    return {
      same: true,
      message: `Same dataset as the checkpoint (${currentFp.summary}): resuming continues exactly where training stopped.`,
    };
  }
  return {
    same: false,
    message:
      `The dataset changed since this checkpoint was saved (checkpoint: ${ckptFp.summary}; now: ${currentFp.summary}). ` +
      'Resuming would continue the old optimizer moments, learning-rate schedule and data order on different data. ' +
      "Start fresh from the checkpoint's weights instead: the model keeps what it learned, " +
      'with a new optimizer, schedule and data order for the new data.',
  };
}
