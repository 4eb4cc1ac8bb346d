// Row-level freezing (--freeze-known, seed 001's gradient mask): the rows a fresh run carried
// over by meaning (known classes' head units, known characters' embedding and output rows, known
// input columns' first-layer rows) do not train; the new rows do. Kept in the run config
// (RunConfig.freezeRows) so every resume applies it again. Beside freeze.ts (whole parameters by
// name pattern), not inside it.
//
// On the device a frozen element's gradient is zeroed before the optimizer (so gradient clipping
// and the optimizer's moments see only the rows that train), and after the update the element is
// set back to its value (decoupled weight decay would otherwise still shrink it). Both are exact:
// a frozen row stays bit-identical through any number of steps, saves and resumes.
import * as tf from '@tensorflow/tfjs';

/** Per parameter, per axis, the indices that are known (frozen where known on every listed axis). */
export type FreezeRows = Record<string, { axis: number; index: number[] }[]>;

/** The problem with a freezeRows setting for these parameter shapes, or null. */
export function freezeRowsError(rows: unknown, shapes: Map<string, number[]>): string | null {
  if (typeof rows !== 'object' || rows === null || Array.isArray(rows)) return 'freezeRows must be an object';
  for (const [param, axes] of Object.entries(rows)) {
    const shape = shapes.get(param);
    if (!shape) return `freezeRows: the model has no parameter ${param}`;
    if (!Array.isArray(axes) || axes.length === 0) return `freezeRows.${param} must list axes`;
    for (const a of axes as { axis: unknown; index: unknown }[]) {
      if (typeof a !== 'object' || a === null || !Number.isInteger(a.axis) || (a.axis as number) < 0 || (a.axis as number) >= shape.length) return `freezeRows.${param}: bad axis`;
      const n = shape[a.axis as number]!;
      if (!Array.isArray(a.index) || !a.index.every((i) => Number.isInteger(i) && i >= 0 && i < n)) return `freezeRows.${param}: indices must be in [0, ${n})`;
    }
  }
  return null;
}

/** 1 where an element is frozen, row-major over `shape`. */
export function frozenMask(shape: readonly number[], axes: FreezeRows[string]): Uint8Array {
  const size = shape.reduce((a, b) => a * b, 1);
  const known = axes.map((a) => ({ axis: a.axis, set: new Uint8Array(shape[a.axis]!).map((_, i) => (a.index.includes(i) ? 1 : 0)) }));
  const mask = new Uint8Array(size);
  const idx = new Array<number>(shape.length).fill(0);
  for (let o = 0; o < size; o++) {
    mask[o] = known.every((k) => k.set[idx[k.axis]!] === 1) ? 1 : 0;
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d]! < shape[d]!) break;
      idx[d] = 0;
    }
  }
  return mask;
}

/** One parameter's frozen elements on the device: the mask and the values they keep. */
export interface RowFreeze {
  frozen: tf.Tensor;
  values: tf.Tensor;
}

/** Device masks for the trainable parameters in `rows`, values taken from `vars` now. */
export function deviceRowFreeze(rows: FreezeRows | undefined, vars: Map<string, tf.Variable>, trainable: string[]): Map<string, RowFreeze> {
  const out = new Map<string, RowFreeze>();
  for (const [param, axes] of Object.entries(rows ?? {})) {
    const v = vars.get(param);
    if (!v || !trainable.includes(param)) continue;
    const mask = frozenMask(v.shape, axes);
    out.set(param, { frozen: tf.tensor(mask, v.shape, 'bool'), values: tf.clone(v) });
  }
  return out;
}

/** The gradient with the frozen elements zeroed (call inside a tidy). */
export function maskGrad(g: tf.Tensor, f: RowFreeze): tf.Tensor {
  return tf.where(f.frozen, tf.zerosLike(g), g);
}

/** Sets the frozen elements back to their values after an update (call inside a tidy). */
export function restoreRows(w: tf.Variable, f: RowFreeze): void {
  w.assign(tf.where(f.frozen, f.values, w));
}
