import * as tf from '@tensorflow/tfjs';
import { LIMITS } from '../defaults';
import { dense, denseDefs, dropout } from './layers';
import { ConfigError } from '../../errors';
import type { FamilyDef, ParamDef } from './types';

export interface MlpSpec {
  family: 'mlp';
  inputSize: number;
  hidden: number[];
  outputSize: number;
  dropout: number;
}

/** Tabular MLP: relu hidden layers `layers.<i>`, then a linear `head`. */
export const mlp: FamilyDef<MlpSpec> = {
  family: 'mlp',
  label: 'MLP (tables)',
  data: 'tabular',
  fields: [{ key: 'hidden', flag: 'hidden', label: 'Hidden layers', help: 'widths of the relu layers, comma separated, e.g. 64,64', kind: 'ints', min: 1, max: LIMITS.width, maxItems: LIMITS.layers }],
  defaults: { hidden: [64, 64] },
  build(ds, v, dropout) {
    if (ds.kind !== 'tabular') throw new ConfigError('wrong_dataset_kind', `the mlp model needs a CSV dataset, not ${ds.kind}`, { family: 'mlp', kind: ds.kind });
    const outputSize = ds.task === 'classification' ? ds.classes.length : 1;
    return { family: 'mlp', inputSize: ds.numFeatures, hidden: v.hidden as number[], outputSize, dropout };
  },
  values: (s) => ({ hidden: s.hidden }),
  validate(s) {
    const ok = (n: unknown) => Number.isInteger(n) && (n as number) > 0 && (n as number) <= LIMITS.width;
    return ok(s.inputSize) && ok(s.outputSize) ? null : 'mlp: inputSize and outputSize must be positive integers';
  },
  params(spec) {
    const params: ParamDef[] = [];
    let width = spec.inputSize;
    spec.hidden.forEach((h, i) => {
      params.push(...denseDefs(`layers.${i}`, width, h));
      width = h;
    });
    params.push(...denseDefs('head', width, spec.outputSize));
    return params;
  },
  activations(s) {
    // per dense layer: the matmul, bias add, relu and dropout outputs (the head: logits and the loss's softmax)
    let perSample = s.inputSize;
    let largest = s.inputSize;
    for (const w of [...s.hidden, s.outputSize]) {
      perSample += 4 * w;
      largest = Math.max(largest, w);
    }
    return { perSample, largestPerSample: largest, constants: 0 };
  },
  // the first layer's rows are the input features; the head's units the classes (regression: one output, no names)
  axes: (s) => [
    { param: s.hidden.length ? 'layers.0.kernel' : 'head.kernel', axis: 0, by: 'feature' },
    ...(s.outputSize > 1 ? ([{ param: 'head.kernel', axis: 1, by: 'class' }, { param: 'head.bias', axis: 0, by: 'class' }] as const) : []),
  ],
  create(spec) {
    return {
      forward(p, x, ctx) {
        let h = x as tf.Tensor2D;
        spec.hidden.forEach((_, i) => {
          // the first layer reads the data: no gradient for its input
          h = dense(p, `layers.${i}`, h, 'relu', i > 0);
          h = dropout(h, spec.dropout, ctx.training, ctx.dropoutSeed, i) as tf.Tensor2D;
        });
        return dense(p, 'head', h, 'linear', spec.hidden.length > 0);
      },
      dispose() {},
    };
  },
};
