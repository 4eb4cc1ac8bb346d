import * as tf from '@tensorflow/tfjs';
import { dense, denseDefs, dropout } from './layers';
import type { MlpSpec, Model, ParamDef } from './types';

/** Tabular MLP: relu hidden layers `layers.<i>`, then a linear `head`. */
export function createMlp(spec: MlpSpec): Model {
  const params: ParamDef[] = [];
  let width = spec.inputSize;
  spec.hidden.forEach((h, i) => {
    params.push(...denseDefs(`layers.${i}`, width, h));
    width = h;
  });
  params.push(...denseDefs('head', width, spec.outputSize));
  return {
    spec,
    params,
    forward(p, x, ctx) {
      let h = x as tf.Tensor2D;
      spec.hidden.forEach((_, i) => {
        h = tf.relu(dense(p, `layers.${i}`, h));
        h = dropout(h, spec.dropout, ctx.training, ctx.dropoutSeed, i) as tf.Tensor2D;
      });
      return dense(p, 'head', h);
    },
    dispose() {},
  };
}
