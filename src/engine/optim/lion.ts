// Lion (Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms"): the update is the
// sign of an interpolation between the momentum and the gradient, so every coordinate moves by
// exactly lr; one slot instead of Adam's two.
//   c = b1 m + (1 - b1) g;  w -= lr (sign(c) [+ wd w on matrices]);  m = b2 m + (1 - b2) g
// Its steps are larger than Adam's per coordinate, hence a 3-10x smaller default lr
// (1e-3; 3e-4 for text) and the paper's advice of a larger weight decay if anything.
import * as tf from '@tensorflow/tfjs';
import { BETA1, BETA2, LR, WEIGHT_DECAY } from './fields-common';
import type { OptimizerDef } from './types';
import { zeroSlots } from './zeros';
import { fusedLion } from './fused-webgpu';

export interface LionConfig {
  kind: 'lion';
  lr: number;
  beta1: number;
  beta2: number;
  weightDecay: number;
}

export const lion: OptimizerDef<LionConfig> = {
  kind: 'lion',
  label: 'Lion',
  help: 'sign of interpolated momentum (Chen et al. 2023); use a 3-10x smaller lr than AdamW',
  fields: [LR, BETA1, BETA2, WEIGHT_DECAY],
  defaults: (o, ctx) => ({
    kind: 'lion',
    lr: o.lr ?? (ctx.dataset === 'text' ? 3e-4 : 1e-3),
    beta1: o.beta1 ?? 0.9,
    beta2: o.beta2 ?? 0.99,
    weightDecay: o.weightDecay ?? 0.01,
  }),
  validate: () => null,
  slots: () => ['m'],
  init: (cfg, shape) => zeroSlots(lion.slots(cfg), shape),
  fused: (cfg, lr) => (tf.getBackend() === 'webgpu' ? fusedLion(cfg, lr) : null),
  update(cfg, lr) {
    const lrT = tf.scalar(lr);
    const b1 = tf.scalar(cfg.beta1);
    const oneMinusB1 = tf.scalar(1 - cfg.beta1);
    const b2 = tf.scalar(cfg.beta2);
    const oneMinusB2 = tf.scalar(1 - cfg.beta2);
    const wd = tf.scalar(cfg.weightDecay);
    return ({ g, w, slots, decay }) => {
      const m = slots.m;
      let step = tf.sign(tf.add(tf.mul(b1, m), tf.mul(oneMinusB1, g)));
      if (decay && cfg.weightDecay > 0) step = tf.add(step, tf.mul(wd, w));
      const w2 = tf.sub(w, tf.mul(lrT, step));
      const m2 = tf.add(tf.mul(b2, m), tf.mul(oneMinusB2, g));
      return { w: w2, slots: { m: m2 } };
    };
  },
};
