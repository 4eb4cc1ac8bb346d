// What the page shows besides the loss: a confusion matrix for classifiers, generated text for
// character models. Neither touches the training RNG or parameters, so they never change a run.
import * as tf from '@tensorflow/tfjs';
import { LIMITS } from './defaults';
import { MAX_EVAL_SAMPLES } from './evaluate';
import { positionsOf } from './models';
import { Rng } from './rng';
import type { Trainer } from './trainer';

/**
 * A confusion matrix that stays small whatever the number of classes (a CSV with 100,000
 * classes built a k x k matrix in the worker and crashed the tab). Up to
 * LIMITS.confusionClasses classes, every class (`full`); past it (`top`), the most frequent
 * true classes among the evaluated samples, then an `other` row and column that count the rest,
 * so every sample is still counted once.
 */
export interface ConfusionSummary {
  mode: 'full' | 'top';
  /** classes in the dataset. */
  numClasses: number;
  /** evaluated samples (the sum of the matrix). */
  samples: number;
  /** the classes shown, in the rows' and columns' order: names, and their index in the dataset. */
  classes: string[];
  indices: number[];
  /** rows = true class, columns = predicted; in `top` mode a last row and column for `other`. */
  matrix: number[][];
}

/** The summary of predictions `pred` against `truth` (class indices). Work and size are bounded by the samples and the limit, never by the number of classes. */
export function summarizeConfusion(truth: ArrayLike<number>, pred: ArrayLike<number>, classNames: readonly string[], limit: number = LIMITS.confusionClasses): ConfusionSummary {
  const k = classNames.length;
  let indices: number[];
  if (k <= limit) indices = Array.from({ length: k }, (_, i) => i);
  else {
    const counts = new Map<number, number>(); // sparse: at most one entry per evaluated sample
    for (let i = 0; i < truth.length; i++) counts.set(truth[i], (counts.get(truth[i]) ?? 0) + 1);
    indices = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, limit).map(([c]) => c);
  }
  const top = k > limit;
  const slot = new Map(indices.map((c, i) => [c, i]));
  const size = indices.length + (top ? 1 : 0);
  const other = indices.length; // only used in top mode
  const matrix = Array.from({ length: size }, () => new Array<number>(size).fill(0));
  for (let i = 0; i < truth.length; i++) matrix[slot.get(truth[i]) ?? other][slot.get(pred[i]) ?? other] += 1;
  return { mode: top ? 'top' : 'full', numClasses: k, samples: truth.length, classes: indices.map((c) => classNames[c]), indices, matrix };
}

/**
 * The confusion summary over the evaluated validation samples, forwarded in chunks of the batch
 * size (one forward over all of them held every activation at 512 samples, more than training
 * holds and more than the model budget checked). One readback at the end.
 */
export async function confusionMatrix(t: Trainer): Promise<ConfusionSummary | null> {
  if (t.config.task !== 'classification' || t.dataset.kind === 'text' || t.valIds.length === 0) return null;
  const ids = t.valIds.subarray(0, Math.min(t.valIds.length, MAX_EVAL_SAMPLES));
  const B = t.config.batchSize;
  const parts: tf.Tensor[] = [];
  for (let i = 0; i < ids.length; i += B) {
    const chunk = ids.subarray(i, Math.min(ids.length, i + B));
    parts.push(
      tf.tidy(() => {
        const { x, y } = t.data.batch(chunk);
        const logits = t.model.forward(t.modelTensors, x, { training: false, dropoutSeed: 0 });
        return tf.stack([tf.cast(y, 'int32'), tf.cast(tf.argMax(logits, 1), 'int32')]); // [2, n]: truth, prediction
      }),
    );
  }
  // a chain of two-way concats, not one concat of many: one storage buffer per input breaks on WebGPU
  const all = tf.tidy(() => parts.reduce((acc, p) => tf.concat([acc, p], 1)));
  tf.dispose(parts);
  const both = (await all.data()) as Int32Array; // a sync point, at eval steps only
  all.dispose();
  const n = ids.length;
  return summarizeConfusion(both.subarray(0, n), both.subarray(n, 2 * n), t.dataset.classes);
}

/**
 * Samples `length` characters after a prompt taken from the start of the text, with its own
 * seeded RNG. Each character is one forward pass and one small readback.
 */
export async function generateText(t: Trainer, length = 80, seed = 1, temperature = 0.8): Promise<string | null> {
  if (t.dataset.kind !== 'text') return null;
  const T = positionsOf(t.config.model);
  const vocab = t.dataset.vocab;
  const ctx = Array.from(t.dataset.ids.subarray(0, T));
  const rng = Rng.fromSeed(seed);
  let out = '';
  for (let n = 0; n < length; n++) {
    const logits = tf.tidy(() => {
      const x = tf.tensor2d(ctx.slice(-T), [1, T], 'int32');
      const all = t.model.forward(t.modelTensors, x, { training: false, dropoutSeed: 0 });
      return tf.div(tf.slice(all, [T - 1, 0], [1, vocab.length]), temperature).squeeze();
    });
    const l = (await logits.data()) as Float32Array;
    logits.dispose();
    let max = -Infinity; // a loop, not Math.max(...l): a large vocabulary overflows the call stack
    for (let i = 0; i < l.length; i++) if (l[i] > max) max = l[i];
    const p = Array.from(l, (v) => Math.exp(v - max));
    const sum = p.reduce((a, b) => a + b, 0);
    let r = rng.nextFloat() * sum;
    let id = 0;
    while (id < p.length - 1 && (r -= p[id]) > 0) id++;
    ctx.push(id);
    out += vocab[id];
  }
  return out;
}
