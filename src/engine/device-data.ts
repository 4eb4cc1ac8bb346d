// The dataset lives on the device once; each step uploads only the batch's sample ids and
// gathers there. tf.gather is only used on data, never on parameters, so no gradient flows
// through it (its gradient is the atomics-based unsortedSegmentSum on WebGPU).
import * as tf from '@tensorflow/tfjs';
import type { Dataset } from './data/types';
import { ConfigError } from '../errors';

export interface DeviceData {
  numSamples: number;
  /** x and y for the given sample ids; y is [n] labels/targets (text: [n * context]). */
  batch(sampleIds: Int32Array): { x: tf.Tensor; y: tf.Tensor };
  dispose(): void;
}

export function numSamples(ds: Dataset, contextLength: number): number {
  if (ds.kind === 'tabular') return ds.numRows;
  if (ds.kind === 'image') return ds.numImages;
  // Non-overlapping windows of context+1 characters (input and its shifted target).
  return Math.max(0, Math.floor((ds.ids.length - 1) / contextLength));
}

export function uploadDataset(ds: Dataset, contextLength: number): DeviceData {
  if (ds.kind === 'text') {
    const T = contextLength;
    const n = numSamples(ds, T);
    if (n < 2) throw new ConfigError('too_little_data', `text too short: ${ds.ids.length} characters make fewer than 2 windows of ${T + 1}`);
    const ids = tf.keep(tf.tensor1d(ds.ids, 'int32'));
    return {
      numSamples: n,
      batch(sampleIds) {
        return tf.tidy(() => {
          const B = sampleIds.length;
          const idx = new Int32Array(B * (T + 1));
          for (let b = 0; b < B; b++) for (let t = 0; t <= T; t++) idx[b * (T + 1) + t] = sampleIds[b] * T + t;
          const win = tf.reshape(tf.gather(ids, tf.tensor1d(idx, 'int32')), [B, T + 1]);
          const x = tf.slice(win, [0, 0], [B, T]);
          const y = tf.reshape(tf.slice(win, [0, 1], [B, T]), [B * T]);
          return { x, y };
        });
      },
      dispose: () => ids.dispose(),
    };
  }
  const shape = ds.kind === 'tabular' ? [ds.numRows, ds.numFeatures] : [ds.numImages, ds.height, ds.width, ds.channels];
  const x = tf.keep(tf.tensor(ds.x, shape, 'float32'));
  const y = tf.keep(ds.y instanceof Int32Array ? tf.tensor1d(ds.y, 'int32') : tf.tensor1d(ds.y, 'float32'));
  return {
    numSamples: shape[0],
    batch(sampleIds) {
      return tf.tidy(() => {
        const idx = tf.tensor1d(sampleIds, 'int32');
        return { x: tf.gather(x, idx), y: tf.gather(y, idx) };
      });
    },
    dispose() {
      x.dispose();
      y.dispose();
    },
  };
}
