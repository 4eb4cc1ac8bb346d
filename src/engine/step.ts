// One training step as a function: (state, batch, lr) -> (state', loss), in the spirit of optax.
// For speed the device variables in the state are updated in place (no copies of the weights);
// what changes is exactly: params and optimizer slots (the update), buffers (their training-mode
// values, e.g. batch-norm running statistics) and the optimizer's update count.
import * as tf from '@tensorflow/tfjs';
import type { Task } from './config';
import type { Model, Params } from './models';
import type { Optimizer } from './optim';
import { softmaxCrossEntropy } from './fused/softmax-ce';
import { useFused } from './fused/program';
import { maskGrad, restoreRows, type RowFreeze } from './freeze-rows';

/** The device half of a TrainState that a step reads and updates. */
export interface StepState {
  model: Model;
  task: Task;
  params: Map<string, tf.Variable>;
  buffers: Map<string, tf.Variable>;
  /** parameter names that train (the rest are frozen), sorted. */
  trainable: string[];
  optimizer: Optimizer;
  /** row-level freezing (--freeze-known): frozen elements get no gradient and keep their values. */
  rowFreeze?: Map<string, RowFreeze>;
}

/** Mean loss of a batch: cross-entropy, or MSE for regression. */
export function batchLoss(task: Task, logits: tf.Tensor2D, y: tf.Tensor): tf.Scalar {
  if (task === 'regression') return tf.mean(tf.square(tf.sub(tf.reshape(logits, [-1]), y))) as tf.Scalar;
  // WebGPU with the fused kernels on: two dispatches (src/engine/fused/softmax-ce.ts); within
  // float tolerance of the ops below, which every other backend runs unchanged.
  if (useFused()) return softmaxCrossEntropy(logits, y);
  const labels = tf.oneHot(tf.cast(y, 'int32') as tf.Tensor1D, logits.shape[1]);
  return tf.neg(tf.mean(tf.sum(tf.mul(labels, tf.logSoftmax(logits)), 1))) as tf.Scalar;
}

/**
 * Applies one update to `s` and returns the batch's loss (a device scalar the caller owns;
 * reading it is a sync point). The optimizer clips the gradients first when its config says so
 * (optim/: clipping composes in front of any optimizer).
 */
export function trainStep(s: StepState, batch: { x: tf.Tensor; y: tf.Tensor }, lr: number, dropoutSeed: number): tf.Scalar {
  const all: Params = Object.fromEntries([...s.params, ...s.buffers]);
  const newBuffers = new Map<string, tf.Tensor>();
  const trainableVars = s.trainable.map((n) => s.params.get(n)!);
  const { value, grads } = tf.variableGrads(() => {
    const logits = s.model.forward(all, batch.x, { training: true, dropoutSeed, newBuffers });
    return batchLoss(s.task, logits, batch.y);
  }, trainableVars);
  // variableGrads keys its result by variable name (tfjs' global ids); map back to parameter names.
  const byParam: Record<string, tf.Tensor> = {};
  s.trainable.forEach((n, i) => (byParam[n] = grads[trainableVars[i].name]));
  for (const [n, f] of s.rowFreeze ?? []) {
    const g = byParam[n]!;
    byParam[n] = tf.tidy(() => maskGrad(g, f));
    g.dispose();
  }
  s.optimizer.apply(s.params, byParam, lr);
  if (s.rowFreeze?.size) tf.tidy(() => { for (const [n, f] of s.rowFreeze!) restoreRows(s.params.get(n)!, f); });
  for (const [name, v] of newBuffers) s.buffers.get(name)!.assign(v);
  tf.dispose([Object.values(byParam), [...newBuffers.values()]]);
  return value;
}
