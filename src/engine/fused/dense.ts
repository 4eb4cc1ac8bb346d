// A dense layer (x W + b, optionally relu) on WebGPU: tfjs' _FusedMatMul kernel forward (one dispatch:
// its matmul program with the bias and the activation in the epilogue, where the plain ops take
// two or three) and our own backward: one dispatch for the relu mask, the two matmuls, one sum
// for the bias, i.e. 5 dispatches for a relu layer against tfjs' 8. When the input needs no
// gradient (the MLP's first layer reads the data) its matmul is skipped, as tfjs' tape does.
// Deterministic: tfjs' matmul programs (the engine picks a deterministic one, backend.ts), a
// fixed-order sum, and an elementwise mask.
import * as tf from '@tensorflow/tfjs';
import { runProgram } from './program';

export type Activation = 'linear' | 'relu';

/** x [N, I] times kernel [I, O] plus bias [O], then the activation. */
export function denseFused(x: tf.Tensor2D, kernel: tf.Tensor2D, bias: tf.Tensor, activation: Activation, inputNeedsGrad: boolean): tf.Tensor2D {
  const forward = (xi: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor, save: tf.GradSaveFunc) => {
    // The backend's _FusedMatMul kernel itself: tf.fused.matMul falls back to three ops for
    // relu while gradients are recorded (its own gradient needs them); ours is the custom one.
    const [N, I] = xi.shape;
    const O = w.shape[1];
    const y3 = tf.engine().runKernel('_FusedMatMul', { a: tf.reshape(xi, [1, N, I]), b: tf.reshape(w, [1, I, O]), bias: b }, { transposeA: false, transposeB: false, activation, leakyreluAlpha: 0.2 }) as tf.Tensor;
    const y = tf.reshape(y3, [N, O]) as tf.Tensor2D;
    save([xi, w, y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, ws, ys] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
        const g =
          activation === 'relu'
            ? (runProgram({
                key: 'tabtrain_relu_grad',
                inputs: [dy, ys],
                outShape: ys.shape,
                threads: ys.size,
                ints: [['n', ys.size]],
                body: `if (index < uniforms.n) { setOutputAtIndex(index, select(0.0, A[index], B[index] > 0.0)); }`,
              }) as tf.Tensor2D)
            : (dy as tf.Tensor2D);
        const dw = tf.matMul(xs, g, true, false);
        const db = tf.sum(g, 0);
        return inputNeedsGrad ? [tf.matMul(g, ws, false, true), dw, db] : [dw, db];
      },
    };
  };
  if (inputNeedsGrad) {
    const f = tf.customGrad(forward as unknown as Parameters<typeof tf.customGrad>[0]);
    return f(x, kernel, bias) as tf.Tensor2D;
  }
  // x is data: not an input of the gradient, so no matmul computes its gradient
  const f = tf.customGrad(((w: tf.Tensor2D, b: tf.Tensor, save: tf.GradSaveFunc) => forward(x, w, b, save)) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(kernel, bias) as tf.Tensor2D;
}
