// Building blocks shared by the model families. Everything here is differentiable without
// float-atomics kernels, so WebGPU training stays deterministic (docs/engine.md "WebGPU pitfalls").
import * as tf from '@tensorflow/tfjs';
import { Rng, hashSeed } from '../rng';
import type { ParamDef, Params } from './types';
import { layerNormFused } from '../fused/layer-norm';
import { denseFused, type Activation } from '../fused/dense';
import { useFused } from '../fused/program';

/**
 * x W + b, then the activation. On WebGPU with the fused kernels on, one dispatch forward
 * (src/engine/fused/dense.ts); `inputNeedsGrad: false` (x is data) skips x's gradient there.
 */
export function dense(p: Params, name: string, x: tf.Tensor2D, activation: Activation = 'linear', inputNeedsGrad = true): tf.Tensor2D {
  const W = p[`${name}.kernel`] as tf.Tensor2D;
  const b = p[`${name}.bias`];
  if (useFused()) return denseFused(x, W, b, activation, inputNeedsGrad);
  const y = tf.add(tf.matMul(x, W), b) as tf.Tensor2D;
  return activation === 'relu' ? tf.relu(y) : y;
}

export function denseDefs(name: string, fanIn: number, fanOut: number): ParamDef[] {
  return [
    { name: `${name}.kernel`, shape: [fanIn, fanOut], init: 'glorot', decay: true },
    { name: `${name}.bias`, shape: [fanOut], init: 'zeros', decay: false },
  ];
}

export function layerNormDefs(name: string, dim: number): ParamDef[] {
  return [
    { name: `${name}.gamma`, shape: [dim], init: 'ones', decay: false },
    { name: `${name}.beta`, shape: [dim], init: 'zeros', decay: false },
  ];
}

/** Layer norm over the last axis. */
export function layerNorm(p: Params, name: string, x: tf.Tensor): tf.Tensor {
  // WebGPU with the fused kernels on: 1 dispatch forward, 3 backward (src/engine/fused/layer-norm.ts)
  if (useFused()) return layerNormFused(x, p[`${name}.gamma`], p[`${name}.beta`]);
  const { mean, variance } = tf.moments(x, -1, true);
  const normed = tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5)));
  return tf.add(tf.mul(normed, p[`${name}.gamma`]), p[`${name}.beta`]);
}

/**
 * Inverted dropout with a mask drawn from our own RNG, seeded per step and per site, so a
 * resumed run draws exactly the masks the uninterrupted run drew. (tf.layers.dropout with a
 * fixed seed would reuse one mask forever; without a seed it uses Math.random.)
 */
export function dropout(x: tf.Tensor, rate: number, training: boolean, stepSeed: number, site: number): tf.Tensor {
  if (!training || rate <= 0) return x;
  const rng = Rng.fromSeed(hashSeed(stepSeed, site));
  const n = x.size;
  const mask = new Float32Array(n);
  const scale = 1 / (1 - rate);
  for (let i = 0; i < n; i++) mask[i] = rng.nextFloat() < rate ? 0 : scale;
  return tf.mul(x, tf.tensor(mask, x.shape, 'float32'));
}

/** FNV-1a of a string: gives every parameter its own init stream, independent of the others. */
export function nameHash(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** Initial values, computed on the CPU from the run seed: identical on every backend. */
export function initValues(def: ParamDef, seed: number): Float32Array {
  const size = def.shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(size);
  if (def.init === 'zeros') return out;
  if (def.init === 'ones') return out.fill(1);
  const rng = Rng.fromSeed(hashSeed(seed, 0x1417, nameHash(def.name)));
  if (def.init === 'embedding') {
    for (let i = 0; i < size; i++) out[i] = 0.02 * rng.nextNormal();
    return out;
  }
  // Glorot uniform. For conv kernels [kh, kw, in, out] the receptive field multiplies both fans.
  const receptive = def.shape.length > 2 ? def.shape.slice(0, -2).reduce((a, b) => a * b, 1) : 1;
  const fanIn = def.shape[def.shape.length - 2] * receptive;
  const fanOut = def.shape[def.shape.length - 1] * receptive;
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  for (let i = 0; i < size; i++) out[i] = (rng.nextFloat() * 2 - 1) * limit;
  return out;
}
