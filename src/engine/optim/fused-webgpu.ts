// Fused optimizer kernels for tfjs' WebGPU backend (the speed issue: tfjs runs one kernel per
// op, and AdamW alone was 88 of an MLP step's 159 dispatches). AdamW's update becomes 3
// dispatches per parameter (new m, new v, new weights; a WebGPU program has one output, so the
// weights' program recomputes m and v inline) instead of 14-16; SGD with momentum and Lion 2
// (new slot, new weights) instead of 3-9. Elementwise, no atomics: the
// same inputs give the same bits every time, so resume stays bit-identical. The numbers are
// not bit-identical to the unfused ops (a shader may contract a*b+c into one fused
// multiply-add): within float tolerance (test/browser/engine-webgpu.test.ts). With clipping on,
// every program also reads the global sum of squares (src/engine/fused/clip-norm.ts) and scales
// the gradient itself, so clipping adds no dispatch per parameter. Turned off with
// setFusedKernels(false) (src/engine/kernels.ts); switching changes a run's numbers as a change
// of backend does. No import of the WebGPU package: the CLI loads this file too.
import * as tf from '@tensorflow/tfjs';
import type { AdamWConfig } from './adamw';
import type { LionConfig } from './lion';
import type { SgdConfig } from './sgd';
import type { ClipBy, ParamInput, ParamOutput } from './types';
import { clipScaleExpr } from '../fused/clip-norm';

interface Program {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  variableNames: string[];
  workgroupSize: [number, number, number];
  size: boolean;
  uniforms: string;
  getUserCode: () => string;
}

interface WebGpuRunner {
  runWebGPUProgram(p: Program, inputs: tf.TensorInfo[], dtype: 'float32', uniforms: { type: 'float32'; data: number[] }[]): tf.TensorInfo;
}

const WORKGROUP = 64;

/** One elementwise program over inputs of the output's shape: `body` reads A[index], B[index]... */
function program(key: string, shape: number[], inputs: string[], uniforms: string[], body: string): Program {
  const size = shape.reduce((a, b) => a * b, 1);
  return {
    outputShape: shape,
    shaderKey: key,
    dispatchLayout: { x: shape.map((_, i) => i) },
    dispatch: [Math.ceil(size / WORKGROUP), 1, 1],
    variableNames: inputs,
    workgroupSize: [WORKGROUP, 1, 1],
    size: true,
    uniforms: uniforms.map((u) => `${u} : f32,`).join(' '),
    getUserCode: () => `
      fn main(index : i32) {
        if (index < uniforms.size) {
          ${body}
        }
      }`,
  };
}

/**
 * Runs one elementwise program; `g` in the body is the gradient A[index], scaled by the clip
 * factor when `clip` is given (the global sum of squares from src/engine/fused/clip-norm.ts,
 * bound as the last input: clipping then costs no dispatch per gradient).
 */
function run(key: string, inputs: tf.Tensor[], uniforms: [string, number][], body: string, clip?: ClipBy): tf.Tensor {
  const backend = tf.backend() as unknown as WebGpuRunner;
  if (clip) {
    const s = String.fromCharCode(65 + inputs.length);
    inputs = [...inputs, clip.sumSq];
    uniforms = [...uniforms, ['maxNorm', clip.maxNorm]];
    body = `let g = A[index] * ${clipScaleExpr(s)};${body}`;
    key = `${key}_clip`;
  } else {
    body = `let g = A[index];${body}`;
  }
  const p = program(key, inputs[0].shape, inputs.map((_, i) => String.fromCharCode(65 + i)), uniforms.map(([n]) => n), body);
  const info = backend.runWebGPUProgram(p, inputs, 'float32', uniforms.map(([, v]) => ({ type: 'float32' as const, data: [v] })));
  return tf.engine().makeTensorFromTensorInfo(info);
}

// m2 and v2 as written here are the same expressions in all three programs.
const M2 = 'uniforms.b1 * B[index] + uniforms.omb1 * g';
const V2 = 'uniforms.b2 * B[index] + uniforms.omb2 * (g * g)';

/** AdamW's per-parameter update as three dispatches (see adamw.ts for the math). */
export function fusedAdamW(cfg: AdamWConfig, lr: number, t: number): (p: ParamInput) => ParamOutput {
  const common: [string, number][] = [['b1', cfg.beta1], ['omb1', 1 - cfg.beta1], ['b2', cfg.beta2], ['omb2', 1 - cfg.beta2]];
  const tail: [string, number][] = [['lr', lr], ['bc1', 1 - Math.pow(cfg.beta1, t)], ['bc2', 1 - Math.pow(cfg.beta2, t)], ['eps', cfg.eps]];
  return ({ g, w, slots, decay, clipBy }) => {
    const m = run('tabtrain_adamw_m', [g, slots.m], common, `setOutputAtIndex(index, ${M2});`, clipBy);
    const v = run('tabtrain_adamw_v', [g, slots.v], common, `setOutputAtIndex(index, ${V2});`, clipBy);
    // inputs: A = g, B = m (old), C = v (old), D = w; the m/v expressions read B then C
    const decayBy = decay && cfg.weightDecay > 0 ? lr * cfg.weightDecay : 0;
    const w2 = run('tabtrain_adamw_w', [g, slots.m, slots.v, w], [...common, ...tail, ['decay', decayBy]], `
          let m2 = ${M2};
          let v2 = uniforms.b2 * C[index] + uniforms.omb2 * (g * g);
          let upd = (m2 / uniforms.bc1) / (sqrt(v2 / uniforms.bc2) + uniforms.eps);
          var w2 = D[index] - uniforms.lr * upd;
          if (uniforms.decay > 0.0) { w2 = w2 - uniforms.decay * D[index]; }
          setOutputAtIndex(index, w2);`, clipBy);
    return { w: w2, slots: { m, v } };
  };
}

/** SGD with momentum (sgd.ts): the buffer, then the weights (recomputing the buffer inline). */
export function fusedSgd(cfg: SgdConfig, lr: number): (p: ParamInput) => ParamOutput {
  const mu: [string, number][] = [['mu', cfg.momentum]];
  return ({ g, w, slots, decay, clipBy }) => {
    const decayBy = decay && cfg.weightDecay > 0 ? lr * cfg.weightDecay : 0;
    const tail: [string, number][] = [['lr', lr], ['decay', decayBy]];
    const update = `
          var w2 = C[index] - uniforms.lr * step;
          if (uniforms.decay > 0.0) { w2 = w2 - uniforms.decay * C[index]; }
          setOutputAtIndex(index, w2);`;
    if (cfg.momentum > 0) {
      const b = run('tabtrain_sgd_buf', [g, slots.momentum], mu, 'setOutputAtIndex(index, uniforms.mu * B[index] + g);', clipBy);
      const w2 = run('tabtrain_sgd_w', [g, slots.momentum, w], [...mu, ...tail], `let step = uniforms.mu * B[index] + g;${update}`, clipBy);
      return { w: w2, slots: { momentum: b } };
    }
    // no momentum: A = g, B = w; the same update with C read as B
    const none: Record<string, tf.Tensor> = {};
    return { w: run('tabtrain_sgd_plain', [g, w], tail, `let step = g;${update.replaceAll('C[index]', 'B[index]')}`, clipBy), slots: none };
  };
}

/** Lion (lion.ts): the momentum, then the weights (from the old momentum). */
export function fusedLion(cfg: LionConfig, lr: number): (p: ParamInput) => ParamOutput {
  const betas: [string, number][] = [['b1', cfg.beta1], ['omb1', 1 - cfg.beta1], ['b2', cfg.beta2], ['omb2', 1 - cfg.beta2]];
  return ({ g, w, slots, decay, clipBy }) => {
    const m = run('tabtrain_lion_m', [g, slots.m], betas, 'setOutputAtIndex(index, uniforms.b2 * B[index] + uniforms.omb2 * g);', clipBy);
    const wd = decay && cfg.weightDecay > 0 ? cfg.weightDecay : 0;
    const w2 = run('tabtrain_lion_w', [g, slots.m, w], [...betas, ['lr', lr], ['wd', wd]], `
          var step = sign(uniforms.b1 * B[index] + uniforms.omb1 * g);
          if (uniforms.wd > 0.0) { step = step + uniforms.wd * C[index]; }
          setOutputAtIndex(index, C[index] - uniforms.lr * step);`, clipBy);
    return { w: w2, slots: { m } };
  };
}
