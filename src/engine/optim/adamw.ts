// AdamW (Loshchilov & Hutter): Adam with weight decay decoupled from the gradient.
//   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
//   w -= lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)  [+ lr wd w on matrices]
// The bias corrections 1 - b^t come from the integer update count t in float64 every step;
// tfjs' own Adam keeps running products on the device instead, which a restore cannot
// reproduce bit-exactly (docs/engine.md). The op order below is the checkpointed one: changing
// it changes the numbers of every AdamW run.
import * as tf from '@tensorflow/tfjs';
import { BETA1, BETA2, LR, WEIGHT_DECAY } from './fields-common';
import type { OptimizerDef } from './types';
import { zeroSlots } from './zeros';
import { fusedAdamW } from './fused-webgpu';

export interface AdamWConfig {
  kind: 'adamw';
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

export const adamw: OptimizerDef<AdamWConfig> = {
  kind: 'adamw',
  label: 'AdamW',
  help: 'Adam with decoupled weight decay',
  fields: [LR, BETA1, BETA2, { key: 'eps', flag: 'eps', label: 'Epsilon', help: 'added to the denominator', kind: 'float', min: 0, minExclusive: true, max: 1, maxExclusive: true }, WEIGHT_DECAY],
  // Key order is the order written into every checkpoint's state: keep it.
  defaults: (o, ctx) => ({
    kind: 'adamw',
    lr: o.lr ?? (ctx.dataset === 'text' ? 3e-3 : 1e-2),
    beta1: o.beta1 ?? 0.9,
    beta2: o.beta2 ?? 0.999,
    eps: o.eps ?? 1e-8,
    weightDecay: o.weightDecay ?? 0.01,
  }),
  validate: () => null,
  slots: () => ['m', 'v'],
  init: (cfg, shape) => zeroSlots(adamw.slots(cfg), shape),
  fused: (cfg, lr, t) => (tf.getBackend() === 'webgpu' ? fusedAdamW(cfg, lr, t) : null),
  update(cfg, lr, t) {
    const lrT = tf.scalar(lr);
    const b1 = tf.scalar(cfg.beta1);
    const b2 = tf.scalar(cfg.beta2);
    const oneMinusB1 = tf.scalar(1 - cfg.beta1);
    const oneMinusB2 = tf.scalar(1 - cfg.beta2);
    const bc1 = tf.scalar(1 - Math.pow(cfg.beta1, t));
    const bc2 = tf.scalar(1 - Math.pow(cfg.beta2, t));
    const eps = tf.scalar(cfg.eps);
    const decay = tf.scalar(lr * cfg.weightDecay);
    return ({ g, w, slots, decay: decays }) => {
      const m2 = tf.add(tf.mul(b1, slots.m), tf.mul(oneMinusB1, g));
      const v2 = tf.add(tf.mul(b2, slots.v), tf.mul(oneMinusB2, tf.square(g)));
      const update = tf.div(tf.div(m2, bc1), tf.add(tf.sqrt(tf.div(v2, bc2)), eps));
      let w2 = tf.sub(w, tf.mul(lrT, update));
      if (decays && cfg.weightDecay > 0) w2 = tf.sub(w2, tf.mul(decay, w));
      return { w: w2, slots: { m: m2, v: v2 } };
    };
  },
};
