// What the page shows besides the loss: a confusion matrix for classifiers, generated text for
// character models. Neither touches the training RNG or parameters, so they never change a run.
import * as tf from '@tensorflow/tfjs';
import { MAX_EVAL_SAMPLES } from './evaluate';
import { positionsOf } from './models';
import { Rng } from './rng';
import type { Trainer } from './trainer';

/** Rows = true class, columns = predicted, over the evaluated validation samples. One readback. */
export async function confusionMatrix(t: Trainer): Promise<number[][] | null> {
  if (t.config.task !== 'classification' || t.dataset.kind === 'text' || t.valIds.length === 0) return null;
  const ids = t.valIds.subarray(0, Math.min(t.valIds.length, MAX_EVAL_SAMPLES));
  const { truth, pred } = tf.tidy(() => {
    const { x, y } = t.data.batch(ids);
    const logits = t.model.forward(t.modelTensors, x, { training: false, dropoutSeed: 0 });
    return { truth: tf.cast(y, 'int32'), pred: tf.argMax(logits, 1) };
  });
  const [ty, py] = await Promise.all([truth.data(), pred.data()]); // a sync point, at eval steps only
  tf.dispose([truth, pred]);
  const k = t.dataset.classes.length;
  const m = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let i = 0; i < ty.length; i++) m[ty[i]][py[i]] += 1;
  return m;
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
    const max = Math.max(...l);
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
