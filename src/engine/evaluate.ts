import * as tf from '@tensorflow/tfjs';
import type { DeviceData } from './device-data';
import { positionsOf } from './models';
import type { Trainer } from './trainer';

/** Validation uses at most this many samples, always the same ones, so evaluation stays cheap. */
export const MAX_EVAL_SAMPLES = 512;

/**
 * Validation loss (and accuracy for classifiers) over the first MAX_EVAL_SAMPLES of the
 * validation split. Accumulates on the device; one readback at the end (a sync point).
 */
export async function evaluate(t: Trainer, valIds: Int32Array, data: DeviceData): Promise<{ valLoss: number; valAccuracy?: number }> {
  const ids = valIds.subarray(0, Math.min(valIds.length, MAX_EVAL_SAMPLES));
  const B = t.config.batchSize;
  const classify = t.config.task !== 'regression';
  let lossSum: tf.Scalar = tf.scalar(0);
  let correct: tf.Scalar = tf.scalar(0);
  let count = 0;
  for (let i = 0; i < ids.length; i += B) {
    const chunk = ids.subarray(i, Math.min(ids.length, i + B));
    const [l, c] = tf.tidy(() => {
      const { x, y } = data.batch(chunk);
      const logits = t.model.forward(t.modelTensors, x, { training: false, dropoutSeed: 0 });
      let loss: tf.Tensor;
      let right: tf.Tensor = tf.scalar(0);
      if (!classify) {
        loss = tf.sum(tf.square(tf.sub(tf.reshape(logits, [-1]), y)));
      } else {
        const labels = tf.cast(y, 'int32');
        loss = tf.neg(tf.sum(tf.mul(tf.oneHot(labels as tf.Tensor1D, logits.shape[1]), tf.logSoftmax(logits))));
        right = tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), labels), 'float32'));
      }
      return [tf.add(lossSum, loss) as tf.Scalar, tf.add(correct, right) as tf.Scalar];
    });
    // counted on the CPU: a sequence model makes `positions` predictions per sample
    count += chunk.length * positionsOf(t.config.model);
    lossSum.dispose();
    correct.dispose();
    lossSum = l;
    correct = c;
  }
  const [ls, cs] = await Promise.all([lossSum.data(), correct.data()]);
  lossSum.dispose();
  correct.dispose();
  const valLoss = ls[0] / count;
  return classify ? { valLoss, valAccuracy: cs[0] / count } : { valLoss };
}
