import * as tf from '@tensorflow/tfjs';
import { LIMITS } from '../defaults';
import { dense, denseDefs, dropout, layerNorm, layerNormDefs } from './layers';
import { ConfigError } from '../../errors';
import type { FamilyDef, ParamDef } from './types';
import { causalAttentionFused } from '../fused/attention';
import { useFused } from '../fused/program';

export interface CharLmSpec {
  family: 'charlm';
  vocabSize: number;
  contextLength: number;
  dModel: number;
  numHeads: number;
  numLayers: number;
  dropout: number;
}

const size = (key: string, flag: string, label: string, help: string, max: number = LIMITS.width) => ({ key, flag, label, help, kind: 'int' as const, min: 1, max });

/**
 * A small causal character-level transformer (pre-LN GPT). The token embedding is
 * oneHot(ids) x matMul, not tf.gather: gather's gradient (unsortedSegmentSum) uses float
 * atomics on WebGPU and is not deterministic (docs/engine.md "WebGPU pitfalls").
 */
export const charlm: FamilyDef<CharLmSpec> = {
  family: 'charlm',
  label: 'Character transformer (text)',
  data: 'text',
  fields: [
    size('contextLength', 'context-length', 'Context length', 'characters the model sees at once'),
    size('dModel', 'd-model', 'Model width (dModel)', 'width of the embeddings and the residual stream'),
    size('numHeads', 'heads', 'Attention heads', 'must divide the model width'),
    size('numLayers', 'layers', 'Layers', 'transformer blocks', LIMITS.layers),
  ],
  defaults: { contextLength: 32, dModel: 32, numHeads: 2, numLayers: 1 },
  build(ds, v, dropout) {
    if (ds.kind !== 'text') throw new ConfigError('wrong_dataset_kind', `the charlm model needs a text dataset, not ${ds.kind}`, { family: 'charlm', kind: ds.kind });
    const n = (k: string) => v[k] as number;
    return { family: 'charlm', vocabSize: ds.vocab.length, contextLength: n('contextLength'), dModel: n('dModel'), numHeads: n('numHeads'), numLayers: n('numLayers'), dropout };
  },
  values: (s) => ({ contextLength: s.contextLength, dModel: s.dModel, numHeads: s.numHeads, numLayers: s.numLayers }),
  validate(s) {
    if (!(Number.isInteger(s.vocabSize) && s.vocabSize > 0 && s.vocabSize <= LIMITS.width)) return 'charlm: vocabSize must be a positive integer';
    if (s.dModel % s.numHeads !== 0) return `charlm: dModel ${s.dModel} must be divisible by numHeads ${s.numHeads}`;
    return null;
  },
  positions: (s) => s.contextLength,
  params(spec) {
    const { vocabSize: V, contextLength: T, dModel: d, numLayers: L } = spec;
    const params: ParamDef[] = [
      { name: 'tok_emb', shape: [V, d], init: 'embedding', decay: false },
      { name: 'pos_emb', shape: [T, d], init: 'embedding', decay: false },
    ];
    for (let i = 0; i < L; i++) {
      const b = `blocks.${i}`;
      params.push(
        ...layerNormDefs(`${b}.ln1`, d),
        ...denseDefs(`${b}.attn.qkv`, d, 3 * d),
        ...denseDefs(`${b}.attn.proj`, d, d),
        ...layerNormDefs(`${b}.ln2`, d),
        ...denseDefs(`${b}.mlp.fc`, d, 4 * d),
        ...denseDefs(`${b}.mlp.proj`, 4 * d, d),
      );
    }
    params.push(...layerNormDefs('ln_f', d), ...denseDefs('head', d, V));
    return params;
  },
  activations(s) {
    const { vocabSize: V, contextLength: T, dModel: d, numHeads: H, numLayers: L } = s;
    // the one-hot input and embeddings; per block about 30 [T, d] tensors (norms, q/k/v and
    // their transposes, projections, the MLP's 4d-wide ones) and 5 [H, T, T] attention maps
    // (scores, scaled, masked, softmax, dropout); the head's logits and the loss's softmax
    const perSample = 4 * T * V + 6 * T * d + L * (30 * T * d + 5 * H * T * T);
    return { perSample, largestPerSample: Math.max(H * T * T, T * V, 4 * T * d), constants: T * T };
  },
  // embedding rows and output units are the vocabulary's characters
  axes: () => [
    { param: 'tok_emb', axis: 0, by: 'vocab' },
    { param: 'head.kernel', axis: 1, by: 'vocab' },
    { param: 'head.bias', axis: 0, by: 'vocab' },
  ],
  create(spec) {
    const { vocabSize: V, contextLength: T, dModel: d, numHeads: H, numLayers: L } = spec;
    const dh = d / H;
    // Additive causal mask [T, T]: 0 on and below the diagonal, -1e9 above. Kept on the device,
    // made at the first forward pass: a model built only to plan (fresh from weights) or to be
    // refused allocates nothing sized by the context length.
    let mask: tf.Tensor | null = null;
    const causalMask = (): tf.Tensor => {
      if (mask) return mask;
      const values = new Float32Array(T * T);
      for (let r = 0; r < T; r++) for (let c = r + 1; c < T; c++) values[r * T + c] = -1e9;
      mask = tf.keep(tf.tensor2d(values, [T, T])); // kept: the first call runs inside a tidy
      return mask;
    };
    const scale = tf.keep(tf.scalar(1 / Math.sqrt(dh)));

    return {
      forward(p, x, ctx) {
        const B = x.shape[0];
        const ids = tf.reshape(x, [B * T]);
        let h = tf.matMul(tf.oneHot(ids as tf.Tensor1D, V), p['tok_emb'] as tf.Tensor2D);
        h = tf.add(tf.reshape(h, [B, T, d]), p['pos_emb']) as tf.Tensor2D;
        let site = 0;
        for (let i = 0; i < L; i++) {
          const b = `blocks.${i}`;
          // Attention.
          const a = tf.reshape(layerNorm(p, `${b}.ln1`, h), [B * T, d]) as tf.Tensor2D;
          // q, k, v from column slices of the fused kernel: slicing the small [d, 3d] weight is
          // far cheaper (forward and backward) than splitting the [B*T, 3d] activation.
          let y: tf.Tensor2D;
          if (useFused() && !(ctx.training && spec.dropout > 0)) {
            // WebGPU, fused kernels on, no dropout on the attention map: one [B*T, 3d]
            // projection and 4 dispatches for the attention (src/engine/fused/attention.ts)
            y = causalAttentionFused(dense(p, `${b}.attn.qkv`, a), B, T, H);
            site++;
          } else {
            const W = p[`${b}.attn.qkv.kernel`];
            const bias = p[`${b}.attn.qkv.bias`];
            const [q, k, v] = [0, 1, 2].map((j) => {
              const proj = tf.add(tf.matMul(a, tf.slice(W, [0, j * d], [d, d]) as tf.Tensor2D), tf.slice(bias, [j * d], [d]));
              return tf.transpose(tf.reshape(proj, [B, T, H, dh]), [0, 2, 1, 3]);
            });
            let att = tf.add(tf.mul(tf.matMul(q, k, false, true), scale), causalMask());
            att = tf.softmax(att);
            att = dropout(att, spec.dropout, ctx.training, ctx.dropoutSeed, site++);
            y = tf.reshape(tf.transpose(tf.matMul(att, v), [0, 2, 1, 3]), [B * T, d]) as tf.Tensor2D;
          }
          const attnOut = dropout(dense(p, `${b}.attn.proj`, y), spec.dropout, ctx.training, ctx.dropoutSeed, site++);
          h = tf.add(h, tf.reshape(attnOut, [B, T, d])) as tf.Tensor2D;
          // MLP.
          const m = tf.reshape(layerNorm(p, `${b}.ln2`, h), [B * T, d]) as tf.Tensor2D;
          const fc = dense(p, `${b}.mlp.fc`, m, 'relu');
          const mlpOut = dropout(dense(p, `${b}.mlp.proj`, fc), spec.dropout, ctx.training, ctx.dropoutSeed, site++);
          h = tf.add(h, tf.reshape(mlpOut, [B, T, d])) as tf.Tensor2D;
        }
        const out = tf.reshape(layerNorm(p, 'ln_f', h), [B * T, d]) as tf.Tensor2D;
        return dense(p, 'head', out);
      },
      dispose() {
        mask?.dispose();
        scale.dispose();
      },
    };
  },
};
