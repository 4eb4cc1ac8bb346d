// SGD with (heavy-ball) momentum, PyTorch's form:
//   b = mu b + g;  w -= lr b  [+ lr wd w on matrices]
// With momentum 0 there is no state at all (no slot, nothing in the checkpoint).
import * as tf from '@tensorflow/tfjs';
import { LR, WEIGHT_DECAY } from './fields-common';
import type { OptimizerDef } from './types';
import { zeroSlots } from './zeros';
import { fusedSgd } from './fused-webgpu';

export interface SgdConfig {
  kind: 'sgd';
  lr: number;
  momentum: number;
  weightDecay: number;
}

export const sgd: OptimizerDef<SgdConfig> = {
  kind: 'sgd',
  label: 'SGD with momentum',
  help: 'stochastic gradient descent with heavy-ball momentum',
  fields: [LR, { key: 'momentum', flag: 'momentum', label: 'Momentum', help: 'SGD momentum (0 = plain SGD, no state)', kind: 'float', min: 0, max: 1, maxExclusive: true }, WEIGHT_DECAY],
  // Key order is the order written into every checkpoint's state: keep it.
  defaults: (o) => ({ kind: 'sgd', lr: o.lr ?? 0.05, momentum: o.momentum ?? 0.9, weightDecay: o.weightDecay ?? 0 }),
  validate: () => null,
  slots: (cfg) => (cfg.momentum > 0 ? ['momentum'] : []),
  init: (cfg, shape) => zeroSlots(sgd.slots(cfg), shape),
  fused: (cfg, lr) => (tf.getBackend() === 'webgpu' ? fusedSgd(cfg, lr) : null),
  update(cfg, lr) {
    const lrT = tf.scalar(lr);
    const mu = tf.scalar(cfg.momentum);
    const decay = tf.scalar(lr * cfg.weightDecay);
    return ({ g, w, slots, decay: decays }) => {
      let step = g;
      const out: Record<string, tf.Tensor> = {};
      if (cfg.momentum > 0) {
        step = tf.add(tf.mul(mu, slots.momentum), g);
        out.momentum = step;
      }
      let w2 = tf.sub(w, tf.mul(lrT, step));
      if (decays && cfg.weightDecay > 0) w2 = tf.sub(w2, tf.mul(decay, w));
      return { w: w2, slots: out };
    };
  },
};
