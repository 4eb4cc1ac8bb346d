// Layer norm over the last axis as WebGPU kernels: 1 dispatch forward, 3 backward (dx, dgamma,
// dbeta), instead of tfjs' moments, sub, add, sqrt, div, mul, add and about twice as many for
// the gradient. One thread per row (forward, dx) or per column (dgamma, dbeta), each looping in
// a fixed order: deterministic. The row statistics are recomputed where needed rather than
// stored (a stored [rows, 2] would cost a dispatch of its own). Same math as layers.ts:
// (x - mean) / sqrt(var + eps) * gamma + beta, var the biased mean of squared deviations.
import * as tf from '@tensorflow/tfjs';
import { runProgram } from './program';

export const LN_EPS = 1e-5;

// Row r's mean and 1/sqrt(var + eps) over its D values in A.
const stats = `
        let base = r * uniforms.D;
        var s = 0.0;
        for (var c = 0; c < uniforms.D; c = c + 1) { s = s + A[base + c]; }
        let mean = s / f32(uniforms.D);
        var v = 0.0;
        for (var c = 0; c < uniforms.D; c = c + 1) { let e = A[base + c] - mean; v = v + e * e; }
        let rstd = 1.0 / sqrt(v / f32(uniforms.D) + uniforms.eps);`;

/** Layer norm of `x` over its last axis with gain `gamma` and shift `beta` (both [D]). */
export function layerNormFused(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor): tf.Tensor {
  const D = x.shape[x.shape.length - 1];
  const R = x.size / D;
  const ints: [string, number][] = [['R', R], ['D', D]];
  const floats: [string, number][] = [['eps', LN_EPS]];
  const f = tf.customGrad(((xi: tf.Tensor, g: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
    save([xi, g]);
    const y = runProgram({
      key: 'tabtrain_ln',
      inputs: [xi, g, b],
      outShape: xi.shape,
      threads: R,
      ints,
      floats,
      body: `
        let r = index;
        if (r >= uniforms.R) { return; }
        ${stats}
        for (var c = 0; c < uniforms.D; c = c + 1) { setOutputAtIndex(base + c, (A[base + c] - mean) * rstd * B[c] + C[c]); }`,
    });
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, gs] = saved;
        // dx = rstd * (dy*gamma - mean(dy*gamma) - xhat * mean(dy*gamma*xhat)), per row
        const dx = runProgram({
          key: 'tabtrain_ln_dx',
          inputs: [xs, gs, dy],
          outShape: xs.shape,
          threads: R,
          ints,
          floats,
          body: `
        let r = index;
        if (r >= uniforms.R) { return; }
        ${stats}
        var a = 0.0;
        var bsum = 0.0;
        for (var c = 0; c < uniforms.D; c = c + 1) {
          let gy = C[base + c] * B[c];
          a = a + gy;
          bsum = bsum + gy * (A[base + c] - mean) * rstd;
        }
        let ma = a / f32(uniforms.D);
        let mb = bsum / f32(uniforms.D);
        for (var c = 0; c < uniforms.D; c = c + 1) {
          let xhat = (A[base + c] - mean) * rstd;
          setOutputAtIndex(base + c, rstd * (C[base + c] * B[c] - ma - xhat * mb));
        }`,
        });
        // dgamma[c] = sum over rows of dy * xhat (each row's statistics recomputed)
        const dgamma = runProgram({
          key: 'tabtrain_ln_dgamma',
          inputs: [xs, dy],
          outShape: [D],
          threads: D,
          ints,
          floats,
          body: `
        let col = index;
        if (col >= uniforms.D) { return; }
        var acc = 0.0;
        for (var r = 0; r < uniforms.R; r = r + 1) {
          ${stats}
          acc = acc + B[base + col] * (A[base + col] - mean) * rstd;
        }
        setOutputAtIndex(col, acc);`,
        });
        const dbeta = runProgram({
          key: 'tabtrain_ln_dbeta',
          inputs: [dy],
          outShape: [D],
          threads: D,
          ints,
          body: `
        let col = index;
        if (col >= uniforms.D) { return; }
        var acc = 0.0;
        for (var r = 0; r < uniforms.R; r = r + 1) { acc = acc + A[r * uniforms.D + col]; }
        setOutputAtIndex(col, acc);`,
        });
        return [dx, dgamma, dbeta];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(x, gamma, beta);
}
