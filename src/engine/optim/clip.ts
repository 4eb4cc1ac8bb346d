// Gradient clipping by global norm, the transformation the registry composes in front of every
// optimizer (optax: chain(clip_by_global_norm(c), adamw(...))).
import * as tf from '@tensorflow/tfjs';
import { sumOfSquares } from '../fused/clip-norm';
import { useFused } from '../fused/program';
import type { ClipBy } from './types';

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

/**
 * On WebGPU with the fused kernels on: the global sum of squares in one reduction
 * (src/engine/fused/clip-norm.ts), for a fused optimizer step to scale the gradients itself.
 * Elsewhere null: the caller clips with clipByGlobalNorm, exactly as before.
 */
export function fusedClip(grads: Record<string, tf.Tensor>, names: string[], maxNorm: number): ClipBy | null {
  if (!useFused()) return null;
  return { sumSq: sumOfSquares(names.map((n) => grads[n])), maxNorm };
}
