import * as tf from '@tensorflow/tfjs';

/** The usual initial state: every slot zero, in the parameter's shape. */
export function zeroSlots(names: string[], shape: number[]): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {};
  for (const n of names) out[n] = tf.zeros(shape);
  return out;
}
