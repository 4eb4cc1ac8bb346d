// Softmax cross-entropy (logits [N, C], integer labels -> the mean loss) as two WebGPU
// dispatches, forward and backward, instead of tfjs' chain (one-hot, log-softmax's max, sub,
// exp, sum, log, sub, then mul, sum, mean, neg, and as many again for the gradient).
// Forward: one workgroup of 256 threads; thread t takes rows t, t+256, ... in order, each row's
// log-sum-exp from its max, then a fixed tree adds the 256 partials: deterministic.
// Backward: one thread per row writes that row's (softmax - one-hot) * dy / N.
import * as tf from '@tensorflow/tfjs';
import { reduceDecl, runProgram, treeSum } from './program';

const WG = 256;

// Row r's max and sum of exp(x - max), over its C logits in A.
const rowStats = `
        let base = r * uniforms.C;
        var mx = A[base];
        for (var c = 1; c < uniforms.C; c = c + 1) { mx = max(mx, A[base + c]); }
        var se = 0.0;
        for (var c = 0; c < uniforms.C; c = c + 1) { se = se + exp(A[base + c] - mx); }`;

/** Mean softmax cross-entropy of `logits` [N, C] against class ids `labels` [N] (any dtype). */
export function softmaxCrossEntropy(logits: tf.Tensor2D, labels: tf.Tensor): tf.Scalar {
  const [N, C] = logits.shape;
  const ints: [string, number][] = [['N', N], ['C', C]];
  const f = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
    save([x]);
    const sum = runProgram({
      key: 'tabtrain_softmax_ce',
      inputs: [x, labels],
      outShape: [1],
      threads: WG,
      workgroup: WG,
      ints,
      decls: reduceDecl(WG),
      body: `
        var acc = 0.0;
        for (var r = i32(localId.x); r < uniforms.N; r = r + ${WG}) {
          ${rowStats}
          acc = acc + (mx + log(se) - A[base + i32(B[r])]);
        }
        red[localId.x] = acc;
        ${treeSum(WG)}
        if (localId.x == 0u) { setOutputAtIndex(0, red[0] / f32(uniforms.N)); }`,
    });
    return {
      value: tf.reshape(sum, []) as tf.Scalar,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        runProgram({
          key: 'tabtrain_softmax_ce_grad',
          inputs: [saved[0], labels, dy],
          outShape: [N, C],
          threads: N,
          ints,
          body: `
        let r = index;
        if (r >= uniforms.N) { return; }
        ${rowStats}
        let k = C[0] / f32(uniforms.N);
        let label = i32(B[r]);
        for (var c = 0; c < uniforms.C; c = c + 1) {
          var p = exp(A[base + c] - mx) / se;
          if (c == label) { p = p - 1.0; }
          setOutputAtIndex(base + c, p * k);
        }`,
        }),
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(logits) as tf.Scalar;
}
