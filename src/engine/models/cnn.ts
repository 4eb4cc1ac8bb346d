import * as tf from '@tensorflow/tfjs';
import { dense, denseDefs, dropout } from './layers';
import type { CnnSpec, Model, ParamDef } from './types';
import { ConfigError } from '../../errors';

/** Small image CNN: [3x3 conv `conv.<i>` + relu + 2x2 max-pool] x N, dense `fc`, linear `head`. */
export function createCnn(spec: CnnSpec): Model {
  const params: ParamDef[] = [];
  let c = spec.channels;
  let h = spec.height;
  let w = spec.width;
  spec.filters.forEach((f, i) => {
    params.push(
      { name: `conv.${i}.kernel`, shape: [3, 3, c, f], init: 'glorot', decay: true },
      { name: `conv.${i}.bias`, shape: [f], init: 'zeros', decay: false },
    );
    c = f;
    // 'same' conv keeps the size; the 2x2 'valid' pool halves it (rounding down).
    h = Math.floor(h / 2);
    w = Math.floor(w / 2);
  });
  if (h < 1 || w < 1) throw new ConfigError('bad_spec', `cnn: ${spec.filters.length} pooling stages are too many for ${spec.height}x${spec.width} images`);
  const flat = h * w * c;
  params.push(...denseDefs('fc', flat, spec.hidden), ...denseDefs('head', spec.hidden, spec.outputSize));
  return {
    spec,
    params,
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
}
