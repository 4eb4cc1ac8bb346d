// What one optimizer is: a registry entry (see index.ts). The shape follows optax: `init` makes
// a parameter's state, `update` maps (gradient, state, weights) to new weights and state; the
// registry composes gradient clipping in front of any entry.
import type * as tf from '@tensorflow/tfjs';
import type { Dataset } from '../data/types';
import type { FieldDesc } from '../fields';

/** Every optimizer config has a kind and a base learning rate (the schedule scales it). */
export interface BaseOptimizerConfig {
  kind: string;
  lr: number;
}

/** What the defaults may depend on: the kind of data (text trains with smaller steps). */
export interface DefaultsContext {
  dataset: Dataset['kind'];
}

/** One parameter's inputs to an update. */
export interface ParamInput {
  /** the gradient, already clipped when clipping is on. */
  g: tf.Tensor;
  /** the weights before this update. */
  w: tf.Tensor;
  /** this parameter's state before this update, one tensor per slot name. */
  slots: Record<string, tf.Tensor>;
  /** decoupled weight decay applies to it (matrices; not biases or norm gains). */
  decay: boolean;
  /**
   * Fused steps only (fused-webgpu.ts): `g` is not clipped yet; scale it by
   * maxNorm / max(sqrt(sumSq), maxNorm) inside the kernel. Absent: `g` is final.
   */
  clipBy?: ClipBy;
}

/** Clipping left to a fused step: the global sum of squares of all gradients ([1], on the device). */
export interface ClipBy {
  sumSq: tf.Tensor;
  maxNorm: number;
}

/** One parameter's outputs: the new weights and the new value of every slot. */
export interface ParamOutput {
  w: tf.Tensor;
  slots: Record<string, tf.Tensor>;
}

export interface OptimizerDef<C extends BaseOptimizerConfig> {
  kind: C['kind'];
  /** for the form's select and messages. */
  label: string;
  /** one line: what it is, for `--help`. */
  help: string;
  /** every setting of C except `kind`: CLI flags, form inputs and checks come from these. */
  fields: FieldDesc[];
  /** a full config: each setting from `o` when given, else this optimizer's default. */
  defaults(o: Partial<Omit<C, 'kind'>>, ctx: DefaultsContext): C;
  /** checks beyond each field's bounds (which index.ts checks for every entry); null when fine. */
  validate(cfg: C): string | null;
  /** the state tensors kept per parameter, saved as `optim.<param>.<slot>`. */
  slots(cfg: C): string[];
  /** a parameter's initial state: one tensor of the parameter's shape per slot. */
  init(cfg: C, shape: number[]): Record<string, tf.Tensor>;
  /**
   * The update for step `count` (1 for the first update) at learning rate `lr`. Returns the
   * function applied to each parameter in turn, so scalars shared by all parameters (betas,
   * bias corrections) are uploaded once per step, not once per parameter. Runs inside tf.tidy.
   * Anything derived from `count` must be computed in float64 on the CPU from the integer:
   * then restoring the slots and the count continues bit-exactly.
   */
  update(cfg: C, lr: number, count: number): (p: ParamInput) => ParamOutput;
  /**
   * The same update as fewer device kernels on the current backend, or null where there is none
   * (src/engine/optim/fused-webgpu.ts). Used unless setFusedKernels(false).
   */
  fused?(cfg: C, lr: number, count: number): ((p: ParamInput) => ParamOutput) | null;
}
