import * as tf from '@tensorflow/tfjs';
import { LIMITS } from '../defaults';
import { denseDefs, dense, dropout } from './layers';
import { ConfigError } from '../../errors';
import type { BufferDef, FamilyDef, ParamDef, Params } from './types';

export interface ResnetSpec {
  family: 'resnet';
  height: number;
  width: number;
  channels: number;
  /** channels of each stage; every stage after the first halves the image (stride 2). */
  filters: number[];
  /** residual blocks per stage. */
  blocks: number;
  outputSize: number;
  dropout: number;
}

/** Batch norm as in PyTorch's BatchNorm2d defaults: eps 1e-5, running statistics with momentum 0.1 (unbiased variance). */
const BN_EPS = 1e-5;
const BN_MOMENTUM = 0.1;

const convDef = (name: string, k: number, cin: number, cout: number): ParamDef => ({ name: `${name}.kernel`, shape: [k, k, cin, cout], init: 'glorot', decay: true });
const bnDefs = (name: string, c: number): ParamDef[] => [
  { name: `${name}.gamma`, shape: [c], init: 'ones', decay: false },
  { name: `${name}.beta`, shape: [c], init: 'zeros', decay: false },
];
const bnBuffers = (name: string, c: number): BufferDef[] => [
  { name: `${name}.mean`, shape: [c], init: 'zeros' },
  { name: `${name}.var`, shape: [c], init: 'ones' },
];

/** One residual block's layout: its name, channels in and out, stride, and whether the shortcut needs a 1x1 projection. */
interface Block {
  name: string;
  cin: number;
  cout: number;
  stride: number;
  project: boolean;
}

function blocksOf(spec: ResnetSpec): Block[] {
  const out: Block[] = [];
  let cin = spec.filters[0];
  spec.filters.forEach((cout, s) => {
    for (let b = 0; b < spec.blocks; b++) {
      const stride = s > 0 && b === 0 ? 2 : 1;
      out.push({ name: `stages.${s}.${b}`, cin, cout, stride, project: stride !== 1 || cin !== cout });
      cin = cout;
    }
  });
  return out;
}

/**
 * Batch norm over N, H, W of an NHWC tensor. Training: normalises with the batch's statistics
 * and hands the updated running statistics to the caller (ctx.newBuffers); eval: uses the
 * running statistics. The update is computed from the batch before the step, as PyTorch does.
 */
function batchNorm(p: Params, name: string, x: tf.Tensor4D, training: boolean, newBuffers?: Map<string, tf.Tensor>): tf.Tensor4D {
  let mean: tf.Tensor;
  let variance: tf.Tensor;
  if (training) {
    const m = tf.moments(x, [0, 1, 2]);
    mean = m.mean;
    variance = m.variance;
    if (newBuffers) {
      const n = x.shape[0] * x.shape[1] * x.shape[2];
      const unbiased = n > 1 ? tf.mul(variance, n / (n - 1)) : variance;
      // tf.keep: the forward pass runs inside the gradient tape's tidy; the trainer assigns and frees these.
      newBuffers.set(`${name}.mean`, tf.keep(tf.add(tf.mul(p[`${name}.mean`], 1 - BN_MOMENTUM), tf.mul(mean, BN_MOMENTUM))));
      newBuffers.set(`${name}.var`, tf.keep(tf.add(tf.mul(p[`${name}.var`], 1 - BN_MOMENTUM), tf.mul(unbiased, BN_MOMENTUM))));
    }
  } else {
    mean = p[`${name}.mean`];
    variance = p[`${name}.var`];
  }
  const normed = tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, BN_EPS)));
  return tf.add(tf.mul(normed, p[`${name}.gamma`]), p[`${name}.beta`]) as tf.Tensor4D;
}

/**
 * A small residual CNN for images (He et al. 2016, "basic" blocks): a 3x3 stem conv with batch
 * norm, then per stage `blocks` residual blocks [3x3 conv, BN, relu, 3x3 conv, BN, + shortcut,
 * relu] (the first block of every stage after the first has stride 2 and a 1x1 projection
 * shortcut), global average pooling, dropout, a linear `head`. Convs have no bias (BN's beta is
 * the bias). Batch-norm running statistics are buffers: checkpointed, not trained.
 */
export const resnet: FamilyDef<ResnetSpec> = {
  family: 'resnet',
  label: 'ResNet (images, batch norm)',
  data: 'image',
  fields: [
    { key: 'filters', flag: 'filters', label: 'Channels per stage', help: 'channels of each stage, comma separated; each stage after the first halves the image, e.g. 8,16', kind: 'ints', min: 1, max: LIMITS.width, maxItems: LIMITS.layers },
    { key: 'blocks', flag: 'blocks', label: 'Residual blocks per stage', help: 'residual blocks in each stage', kind: 'int', min: 1, max: 64 },
  ],
  defaults: { filters: [8, 16], blocks: 1 },
  build(ds, v, dropout) {
    if (ds.kind !== 'image') throw new ConfigError('wrong_dataset_kind', `the resnet model needs an image dataset, not ${ds.kind}`, { family: 'resnet', kind: ds.kind });
    return { family: 'resnet', height: ds.height, width: ds.width, channels: ds.channels, filters: v.filters as number[], blocks: v.blocks as number, outputSize: ds.classes.length, dropout };
  },
  values: (s) => ({ filters: s.filters, blocks: s.blocks }),
  validate(s) {
    const ok = (n: unknown) => Number.isInteger(n) && (n as number) > 0 && (n as number) <= LIMITS.width;
    // Stride-2 'same' convs round up, so any number of stages fits any image size.
    return [s.height, s.width, s.channels, s.outputSize].every(ok) ? null : 'resnet: sizes must be positive integers';
  },
  params(spec) {
    const params: ParamDef[] = [convDef('stem.conv', 3, spec.channels, spec.filters[0]), ...bnDefs('stem.bn', spec.filters[0])];
    for (const b of blocksOf(spec)) {
      params.push(convDef(`${b.name}.conv1`, 3, b.cin, b.cout), ...bnDefs(`${b.name}.bn1`, b.cout), convDef(`${b.name}.conv2`, 3, b.cout, b.cout), ...bnDefs(`${b.name}.bn2`, b.cout));
      if (b.project) params.push(convDef(`${b.name}.proj`, 1, b.cin, b.cout), ...bnDefs(`${b.name}.proj_bn`, b.cout));
    }
    params.push(...denseDefs('head', spec.filters[spec.filters.length - 1], spec.outputSize));
    return params;
  },
  buffers(spec) {
    const out: BufferDef[] = [...bnBuffers('stem.bn', spec.filters[0])];
    for (const b of blocksOf(spec)) {
      out.push(...bnBuffers(`${b.name}.bn1`, b.cout), ...bnBuffers(`${b.name}.bn2`, b.cout));
      if (b.project) out.push(...bnBuffers(`${b.name}.proj_bn`, b.cout));
    }
    return out;
  },
  activations(s) {
    let h = s.height;
    let w = s.width;
    let perSample = h * w * s.channels;
    // stem: conv, batch norm (about six tensors: moments, centred, scaled, shifted) and relu
    let largest = h * w * s.filters[0];
    perSample += 8 * largest;
    for (const b of blocksOf(s)) {
      h = Math.ceil(h / b.stride);
      w = Math.ceil(w / b.stride);
      const a = h * w * b.cout; // two conv + BN + relu, the sum, and a projection shortcut's conv + BN
      perSample += (b.project ? 26 : 18) * a;
      largest = Math.max(largest, a);
    }
    perSample += 2 * s.filters[s.filters.length - 1] + 4 * s.outputSize;
    return { perSample, largestPerSample: Math.max(largest, s.outputSize), constants: 0 };
  },
  axes: (s) => (s.outputSize > 1 ? [{ param: 'head.kernel', axis: 1, by: 'class' }, { param: 'head.bias', axis: 0, by: 'class' }] : []),
  create(spec) {
    const blocks = blocksOf(spec);
    return {
      forward(p, x, ctx) {
        const bn = (name: string, a: tf.Tensor4D) => batchNorm(p, name, a, ctx.training, ctx.newBuffers);
        const conv = (name: string, a: tf.Tensor4D, stride: number) => tf.conv2d(a, p[`${name}.kernel`] as tf.Tensor4D, stride, 'same');
        let a = tf.relu(bn('stem.bn', conv('stem.conv', x as tf.Tensor4D, 1)));
        for (const b of blocks) {
          let r = tf.relu(bn(`${b.name}.bn1`, conv(`${b.name}.conv1`, a, b.stride)));
          r = bn(`${b.name}.bn2`, conv(`${b.name}.conv2`, r, 1));
          const short = b.project ? bn(`${b.name}.proj_bn`, conv(`${b.name}.proj`, a, b.stride)) : a;
          a = tf.relu(tf.add(r, short));
        }
        let z = tf.mean(a, [1, 2]) as tf.Tensor2D;
        z = dropout(z, spec.dropout, ctx.training, ctx.dropoutSeed, 0) as tf.Tensor2D;
        return dense(p, 'head', z);
      },
      dispose() {},
    };
  },
};
