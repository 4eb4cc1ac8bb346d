// Gradient clipping's global norm as one reduction on WebGPU: the sum of squares of every
// gradient, in one workgroup of 256 threads, in chunks of at most 6 gradients per dispatch (the
// running total is the 7th input: SwiftShader binds 8 storage buffers per stage). Replaces a
// chain of square, sum and add per gradient (3 dispatches each). Deterministic: thread t sums
// elements t, t+256, ... of each gradient in order, then a fixed tree adds the 256 partials.
// The scale maxNorm / max(sqrt(total), maxNorm) is applied inside the fused optimizer kernels
// (src/engine/optim/fused-webgpu.ts), so clipping costs no dispatch per gradient.
import * as tf from '@tensorflow/tfjs';
import { MAX_INPUTS, reduceDecl, runProgram, treeSum } from './program';

const WG = 256;

/** The global sum of squares of `grads` (a [1] tensor on the device): ceil(n / 6) dispatches. */
export function sumOfSquares(grads: tf.Tensor[]): tf.Tensor {
  let total: tf.Tensor | null = null;
  const per = MAX_INPUTS - 1;
  for (let at = 0; at < grads.length; at += per) {
    const chunk = grads.slice(at, at + per);
    const inputs = total ? [...chunk, total] : chunk;
    const names = chunk.map((_, i) => String.fromCharCode(65 + i));
    const loops = chunk
      .map((g, i) => `for (var i = t; i < ${g.size}; i = i + ${WG}) { let x = ${names[i]}[i]; acc = acc + x * x; }`)
      .join('\n        ');
    const prev = total ? `${String.fromCharCode(65 + chunk.length)}[0]` : '0.0';
    const next = runProgram({
      key: `tabtrain_sumsq_${chunk.map((g) => g.size).join('_')}_${total ? 'acc' : 'first'}`,
      inputs,
      outShape: [1],
      threads: WG,
      workgroup: WG,
      decls: reduceDecl(WG),
      body: `
        let t = i32(localId.x);
        var acc = 0.0;
        ${loops}
        red[localId.x] = acc;
        ${treeSum(WG)}
        if (localId.x == 0u) { setOutputAtIndex(0, ${prev} + red[0]); }`,
    });
    total?.dispose();
    total = next;
  }
  return total ?? tf.zeros([1]);
}

/** WGSL expression of the clip scale from the total in `arr`[0]: the unfused path's formula. */
export const clipScaleExpr = (arr: string): string => `(uniforms.maxNorm / max(sqrt(${arr}[0]), uniforms.maxNorm))`;
