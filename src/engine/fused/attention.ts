// Causal multi-head self-attention, softmax(Q K^T * scale + causal mask) V, on WebGPU from the
// fused projection qkv [B*T, 3d] (columns: q | k | v, head h at h*dh within each) to the merged
// heads y [B*T, d]: 2 dispatches forward (the probabilities P [B, H, T, T], then P V) and 2
// backward (dS = P * (dP - rowsum(P * dP)) with dP = dY V^T, then dq, dk, dv in one [B*T, 3d]
// output), instead of tfjs' slices, transposes, matmuls, scale, mask add, softmax and their
// gradients. One thread per output row or element, each looping over j in order: deterministic.
// Masked entries are exactly 0, as exp(-1e9 - max) is in float32 on the plain path.
import * as tf from '@tensorflow/tfjs';
import { runProgram } from './program';

/** y [B*T, d] from qkv [B*T, 3d]; P is kept for the gradient. */
export function causalAttentionFused(qkv: tf.Tensor2D, B: number, T: number, H: number): tf.Tensor2D {
  const d = qkv.shape[1] / 3;
  const dh = d / H;
  const ints: [string, number][] = [['NB', B], ['T', T], ['H', H], ['DH', dh], ['DM', d]];
  const floats: [string, number][] = [['scale', 1 / Math.sqrt(dh)]];
  // q/k/v of token (b, t), head h, element e, in the qkv array `arr`
  const decls = `
      fn qkvAt(part : i32, b : i32, t : i32, h : i32, e : i32) -> i32 {
        return (b * uniforms.T + t) * 3 * uniforms.DM + part * uniforms.DM + h * uniforms.DH + e;
      }`;
  const f = tf.customGrad(((x: tf.Tensor2D, save: tf.GradSaveFunc) => {
    // P: one thread per row (b, h, i): scores s_j = q_i . k_j * scale for j <= i, softmax
    const P = runProgram({
      key: 'tabtrain_attn_p',
      inputs: [x],
      outShape: [B, H, T, T],
      threads: B * H * T,
      ints,
      floats,
      decls: `${decls}
      fn score(b : i32, h : i32, i : i32, j : i32) -> f32 {
        var s = 0.0;
        for (var e = 0; e < uniforms.DH; e = e + 1) { s = s + A[qkvAt(0, b, i, h, e)] * A[qkvAt(1, b, j, h, e)]; }
        return s * uniforms.scale;
      }`,
      body: `
        if (index >= uniforms.NB * uniforms.H * uniforms.T) { return; }
        let i = index % uniforms.T;
        let h = (index / uniforms.T) % uniforms.H;
        let b = index / (uniforms.T * uniforms.H);
        var mx = score(b, h, i, 0);
        for (var j = 1; j <= i; j = j + 1) { mx = max(mx, score(b, h, i, j)); }
        var se = 0.0;
        for (var j = 0; j <= i; j = j + 1) { se = se + exp(score(b, h, i, j) - mx); }
        let row = index * uniforms.T;
        for (var j = 0; j < uniforms.T; j = j + 1) {
          var p = 0.0;
          if (j <= i) { p = exp(score(b, h, i, j) - mx) / se; }
          setOutputAtIndex(row + j, p);
        }`,
    });
    // y[(b, t), h*dh + e] = sum_{j <= t} P[b, h, t, j] v[b, j, h, e]
    const y = runProgram({
      key: 'tabtrain_attn_y',
      inputs: [P, x],
      outShape: [B * T, d],
      threads: B * T * d,
      ints,
      decls,
      body: `
        if (index >= uniforms.NB * uniforms.T * uniforms.DM) { return; }
        let col = index % uniforms.DM;
        let t = (index / uniforms.DM) % uniforms.T;
        let b = index / (uniforms.DM * uniforms.T);
        let h = col / uniforms.DH;
        let e = col % uniforms.DH;
        let prow = ((b * uniforms.H + h) * uniforms.T + t) * uniforms.T;
        var acc = 0.0;
        for (var j = 0; j <= t; j = j + 1) { acc = acc + A[prow + j] * B[qkvAt(2, b, j, h, e)]; }
        setOutputAtIndex(index, acc);`,
    });
    save([x, P]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, Ps] = saved;
        // dS: one thread per row (b, h, i); dP_j = dy_i . v_j; dS_j = P_j (dP_j - sum_k P_k dP_k)
        const dS = runProgram({
          key: 'tabtrain_attn_ds',
          inputs: [xs, Ps, dy],
          outShape: [B, H, T, T],
          threads: B * H * T,
          ints,
          decls: `${decls}
      fn dP(b : i32, h : i32, i : i32, j : i32) -> f32 {
        var s = 0.0;
        let yrow = (b * uniforms.T + i) * uniforms.DM + h * uniforms.DH;
        for (var e = 0; e < uniforms.DH; e = e + 1) { s = s + C[yrow + e] * A[qkvAt(2, b, j, h, e)]; }
        return s;
      }`,
          body: `
        if (index >= uniforms.NB * uniforms.H * uniforms.T) { return; }
        let i = index % uniforms.T;
        let h = (index / uniforms.T) % uniforms.H;
        let b = index / (uniforms.T * uniforms.H);
        let row = index * uniforms.T;
        var r = 0.0;
        for (var j = 0; j <= i; j = j + 1) { r = r + B[row + j] * dP(b, h, i, j); }
        for (var j = 0; j < uniforms.T; j = j + 1) {
          var g = 0.0;
          if (j <= i) { g = B[row + j] * (dP(b, h, i, j) - r); }
          setOutputAtIndex(row + j, g);
        }`,
        });
        // dqkv[(b, t), part*d + h*dh + e]:
        //   dq = scale * sum_{j <= t} dS[b,h,t,j] k_j;  dk = scale * sum_{i >= t} dS[b,h,i,t] q_i;
        //   dv = sum_{i >= t} P[b,h,i,t] dy_i
        const dx = runProgram({
          key: 'tabtrain_attn_dqkv',
          inputs: [xs, Ps, dS, dy],
          outShape: [B * T, 3 * d],
          threads: B * T * 3 * d,
          ints,
          floats,
          decls,
          body: `
        if (index >= uniforms.NB * uniforms.T * 3 * uniforms.DM) { return; }
        let c3 = index % (3 * uniforms.DM);
        let t = (index / (3 * uniforms.DM)) % uniforms.T;
        let b = index / (3 * uniforms.DM * uniforms.T);
        let part = c3 / uniforms.DM;
        let h = (c3 % uniforms.DM) / uniforms.DH;
        let e = c3 % uniforms.DH;
        let plane = (b * uniforms.H + h) * uniforms.T * uniforms.T;
        var acc = 0.0;
        if (part == 0) {
          for (var j = 0; j <= t; j = j + 1) { acc = acc + C[plane + t * uniforms.T + j] * A[qkvAt(1, b, j, h, e)]; }
          acc = acc * uniforms.scale;
        } else if (part == 1) {
          for (var i = t; i < uniforms.T; i = i + 1) { acc = acc + C[plane + i * uniforms.T + t] * A[qkvAt(0, b, i, h, e)]; }
          acc = acc * uniforms.scale;
        } else {
          for (var i = t; i < uniforms.T; i = i + 1) { acc = acc + B[plane + i * uniforms.T + t] * D[(b * uniforms.T + i) * uniforms.DM + h * uniforms.DH + e]; }
        }
        setOutputAtIndex(index, acc);`,
        });
        return [dx];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(qkv) as tf.Tensor2D;
}
