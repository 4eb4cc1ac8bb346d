import * as tf from '@tensorflow/tfjs';
import { LIMITS } from '../defaults';
import { dense, denseDefs, dropout } from './layers';
import { ConfigError } from '../../errors';
import type { FamilyDef, ParamDef } from './types';

export interface CnnSpec {
  family: 'cnn';
  height: number;
  width: number;
  channels: number;
  /** output channels of each 3x3 conv (each followed by relu and 2x2 max-pool). */
  filters: number[];
  /** width of the dense layer before the head. */
  hidden: number;
  outputSize: number;
  dropout: number;
}

/** The feature map after the pooling stages: 'same' convs keep the size, each 2x2 'valid' pool halves it (rounding down). */
function flatSize(spec: CnnSpec): number {
  const n = spec.filters.length;
  return Math.floor(spec.height / 2 ** n) * Math.floor(spec.width / 2 ** n) * spec.filters[n - 1];
}

/** Small image CNN: [3x3 conv `conv.<i>` + relu + 2x2 max-pool] x N, dense `fc`, linear `head`. */
export const cnn: FamilyDef<CnnSpec> = {
  family: 'cnn',
  label: 'CNN (images)',
  data: 'image',
  fields: [
    { key: 'filters', flag: 'filters', label: 'Conv filters', help: 'channels of each 3x3 conv, comma separated, e.g. 8,16', kind: 'ints', min: 1, max: LIMITS.width, maxItems: LIMITS.layers },
    { key: 'hidden', flag: 'hidden', label: 'Dense width', help: 'width of the dense layer before the head', kind: 'ints', min: 1, max: LIMITS.width, maxItems: 1 },
  ],
  defaults: { filters: [8, 16], hidden: [32] },
  build(ds, v, dropout) {
    if (ds.kind !== 'image') throw new ConfigError('wrong_dataset_kind', `the cnn model needs an image dataset, not ${ds.kind}`, { family: 'cnn', kind: ds.kind });
    const hidden = v.hidden as number[];
    return { family: 'cnn', height: ds.height, width: ds.width, channels: ds.channels, filters: v.filters as number[], hidden: hidden[0], outputSize: ds.classes.length, dropout };
  },
  values: (s) => ({ filters: s.filters, hidden: [s.hidden] }),
  validate(s) {
    const ok = (n: unknown) => Number.isInteger(n) && (n as number) > 0 && (n as number) <= LIMITS.width;
    if (![s.height, s.width, s.channels, s.hidden, s.outputSize].every(ok)) return 'cnn: sizes must be positive integers';
    if (Math.floor(s.height / 2 ** s.filters.length) < 1 || Math.floor(s.width / 2 ** s.filters.length) < 1) {
      return `cnn: ${s.filters.length} pooling stages are too many for ${s.height}x${s.width} images`;
    }
    return null;
  },
  params(spec) {
    const params: ParamDef[] = [];
    let c = spec.channels;
    spec.filters.forEach((f, i) => {
      params.push({ name: `conv.${i}.kernel`, shape: [3, 3, c, f], init: 'glorot', decay: true }, { name: `conv.${i}.bias`, shape: [f], init: 'zeros', decay: false });
      c = f;
    });
    params.push(...denseDefs('fc', flatSize(spec), spec.hidden), ...denseDefs('head', spec.hidden, spec.outputSize));
    return params;
  },
  activations(s) {
    let h = s.height;
    let w = s.width;
    let perSample = h * w * s.channels;
    let largest = perSample;
    for (const f of s.filters) {
      const a = h * w * f; // conv, bias add and relu outputs at full size, then the pooled map
      h = Math.floor(h / 2);
      w = Math.floor(w / 2);
      perSample += 3 * a + h * w * f;
      largest = Math.max(largest, a);
    }
    perSample += 4 * s.hidden + 4 * s.outputSize;
    return { perSample, largestPerSample: Math.max(largest, s.hidden, s.outputSize), constants: 0 };
  },
  axes: (s) => (s.outputSize > 1 ? [{ param: 'head.kernel', axis: 1, by: 'class' }, { param: 'head.bias', axis: 0, by: 'class' }] : []),
  create(spec) {
    const flat = flatSize(spec);
    return {
      forward(p, x, ctx) {
        let a = x as tf.Tensor4D;
        spec.filters.forEach((_, i) => {
          a = tf.conv2d(a, p[`conv.${i}.kernel`] as tf.Tensor4D, 1, 'same');
          a = tf.relu(tf.add(a, p[`conv.${i}.bias`])) as tf.Tensor4D;
          a = tf.maxPool(a, 2, 2, 'valid');
        });
        let z = tf.reshape(a, [a.shape[0], flat]) as tf.Tensor2D;
        z = tf.relu(dense(p, 'fc', z));
        z = dropout(z, spec.dropout, ctx.training, ctx.dropoutSeed, 0) as tf.Tensor2D;
        return dense(p, 'head', z);
      },
      dispose() {},
    };
  },
};
