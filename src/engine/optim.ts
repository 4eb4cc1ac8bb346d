// Optimizers with explicit state: per-parameter slot tensors plus one integer (the number of
// updates applied). AdamW computes its bias corrections from that integer in float64 every
// step instead of carrying running products of beta on the device, so restoring the slots and
// the integer continues bit-exactly (tfjs' own Adam does not: FIELD-NOTES "Optimizer state").
import * as tf from '@tensorflow/tfjs';
import type { ParamDef } from './models';

export type OptimizerConfig =
  | { kind: 'adamw'; lr: number; beta1: number; beta2: number; eps: number; weightDecay: number }
  | { kind: 'sgd'; lr: number; momentum: number; weightDecay: number };

export function slotNames(cfg: OptimizerConfig): string[] {
  if (cfg.kind === 'adamw') return ['m', 'v'];
  return cfg.momentum > 0 ? ['momentum'] : [];
}

export function validateOptimizer(cfg: OptimizerConfig): string | null {
  const finite = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
  if (!finite(cfg.lr) || cfg.lr <= 0) return `optimizer: lr must be a positive number, got ${cfg.lr}`;
  if (!finite(cfg.weightDecay) || cfg.weightDecay < 0) return 'optimizer: weightDecay must be >= 0';
  if (cfg.kind === 'adamw') {
    if (!(cfg.beta1 >= 0 && cfg.beta1 < 1 && cfg.beta2 >= 0 && cfg.beta2 < 1)) return 'adamw: betas must be in [0, 1)';
    if (!(cfg.eps > 0)) return 'adamw: eps must be > 0';
    return null;
  }
  if (cfg.kind === 'sgd') return cfg.momentum >= 0 && cfg.momentum < 1 ? null : 'sgd: momentum must be in [0, 1)';
  return `unknown optimizer ${(cfg as { kind: string }).kind}`;
}

export class Optimizer {
  /** slots[param][slot]: device variables, zero at start. */
  readonly slots = new Map<string, Map<string, tf.Variable>>();
  /** number of updates applied so far. */
  updates = 0;

  constructor(readonly cfg: OptimizerConfig, readonly params: ParamDef[]) {
    for (const p of params) {
      const m = new Map<string, tf.Variable>();
      for (const s of slotNames(cfg)) m.set(s, tf.tidy(() => tf.variable(tf.zeros(p.shape), false)));
      this.slots.set(p.name, m);
    }
  }

  /** Applies one update in place. `grads` holds one tensor per trainable parameter. */
  apply(vars: Map<string, tf.Variable>, grads: Record<string, tf.Tensor>, lr: number): void {
    const cfg = this.cfg;
    const t = this.updates + 1;
    tf.tidy(() => {
      const lrT = tf.scalar(lr);
      if (cfg.kind === 'adamw') {
        const b1 = tf.scalar(cfg.beta1);
        const b2 = tf.scalar(cfg.beta2);
        const oneMinusB1 = tf.scalar(1 - cfg.beta1);
        const oneMinusB2 = tf.scalar(1 - cfg.beta2);
        // Bias corrections in float64 on the CPU, from the step count alone.
        const bc1 = tf.scalar(1 - Math.pow(cfg.beta1, t));
        const bc2 = tf.scalar(1 - Math.pow(cfg.beta2, t));
        const eps = tf.scalar(cfg.eps);
        const decay = tf.scalar(lr * cfg.weightDecay);
        for (const p of this.params) {
          const g = grads[p.name];
          const slot = this.slots.get(p.name)!;
          const m = slot.get('m')!;
          const v = slot.get('v')!;
          const w = vars.get(p.name)!;
          const m2 = tf.add(tf.mul(b1, m), tf.mul(oneMinusB1, g));
          const v2 = tf.add(tf.mul(b2, v), tf.mul(oneMinusB2, tf.square(g)));
          const update = tf.div(tf.div(m2, bc1), tf.add(tf.sqrt(tf.div(v2, bc2)), eps));
          let w2 = tf.sub(w, tf.mul(lrT, update));
          if (p.decay && cfg.weightDecay > 0) w2 = tf.sub(w2, tf.mul(decay, w));
          m.assign(m2);
          v.assign(v2);
          w.assign(w2);
        }
      } else {
        const mu = tf.scalar(cfg.momentum);
        const decay = tf.scalar(lr * cfg.weightDecay);
        for (const p of this.params) {
          const g = grads[p.name];
          const w = vars.get(p.name)!;
          let step = g;
          if (cfg.momentum > 0) {
            const buf = this.slots.get(p.name)!.get('momentum')!;
            const b2 = tf.add(tf.mul(mu, buf), g);
            buf.assign(b2);
            step = b2;
          }
          let w2 = tf.sub(w, tf.mul(lrT, step));
          if (p.decay && cfg.weightDecay > 0) w2 = tf.sub(w2, tf.mul(decay, w));
          w.assign(w2);
        }
      }
    });
    this.updates = t;
  }

  dispose(): void {
    for (const m of this.slots.values()) for (const v of m.values()) v.dispose();
    this.slots.clear();
  }
}

/** Scales grads so their global L2 norm is at most maxNorm. Stays on the device: no sync. */
export function clipByGlobalNorm(grads: Record<string, tf.Tensor>, names: string[], maxNorm: number): Record<string, tf.Tensor> {
  return tf.tidy(() => {
    // A chain of adds, not tf.addN: WebGPU's addN binds one storage buffer per input and
    // gives garbage past the device's limit (8 on SwiftShader), which made charlm (18 params)
    // train differently on every run. Measured; see docs/engine.md "WebGPU pitfalls".
    let total = tf.scalar(0);
    for (const n of names) total = tf.add(total, tf.sum(tf.square(grads[n])));
    const norm = tf.sqrt(total);
    const scale = tf.div(tf.scalar(maxNorm), tf.maximum(norm, tf.scalar(maxNorm)));
    const out: Record<string, tf.Tensor> = {};
    for (const n of names) out[n] = tf.mul(grads[n], scale);
    return out;
  });
}
