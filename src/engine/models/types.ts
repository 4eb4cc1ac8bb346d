import type * as tf from '@tensorflow/tfjs';
import type { Dataset } from '../data/types';
import type { FieldDesc, FieldValue } from '../fields';
import type { AxisKey } from '../schema';

/**
 * An axis of a parameter whose entries stand for something in the data: a class (head units), a
 * vocabulary entry (embedding and output rows), an input feature (first-layer rows). A fresh run
 * maps such an axis by name (engine/fresh-map.ts) and --freeze-known freezes its known entries.
 */
export interface AxisDef {
  param: string;
  axis: number;
  by: AxisKey;
}

export type InitKind = 'glorot' | 'zeros' | 'ones' | 'embedding';

/** A named parameter. Names are the paths used in checkpoints (`model.<name>`). */
export interface ParamDef {
  name: string;
  shape: number[];
  init: InitKind;
  /** whether decoupled weight decay applies (matrices yes; biases, norms no). */
  decay: boolean;
}

/**
 * A named non-trainable tensor the model keeps between steps (PyTorch's `register_buffer`:
 * batch-norm running statistics). Saved as `model.<name>` beside the parameters, restored on
 * resume, never touched by the optimizer; the model computes its new value in training mode.
 */
export interface BufferDef {
  name: string;
  shape: number[];
  init: 'zeros' | 'ones';
}

/**
 * What a training step holds on the device besides parameters, buffers and optimizer state, in
 * floats, estimated from the spec alone (budget.ts checks it before anything is allocated). A
 * rough upper estimate: the forward pass's intermediate tensors the gradient tape keeps.
 */
export interface ActivationEstimate {
  /** floats the forward pass keeps per sample (budget.ts doubles it for their gradients). */
  perSample: number;
  /** floats of the largest single activation tensor, per sample (one device buffer holds it). */
  largestPerSample: number;
  /** floats the model keeps whatever the batch (the causal mask); 0 if none. */
  constants: number;
}

/** Parameters and buffers by name (device tensors). */
export type Params = Record<string, tf.Tensor>;

export interface ForwardCtx {
  training: boolean;
  /** per-step seed for dropout masks; the same step always gets the same masks. */
  dropoutSeed: number;
  /**
   * Training mode only: where the model puts the new values of its buffers (kept with tf.keep:
   * the forward pass runs inside the gradient tape's tidy). The caller assigns them after the
   * optimizer update and disposes them.
   */
  newBuffers?: Map<string, tf.Tensor>;
}

export interface Model {
  /** logits: [N, outputs]. For sequence models N = batch * positions. */
  forward(p: Params, x: tf.Tensor, ctx: ForwardCtx): tf.Tensor2D;
  /** frees constants the model keeps on the device (e.g. the causal mask). */
  dispose(): void;
}

/** Every spec names its family and carries a dropout rate (the one setting all families share). */
export interface SpecBase {
  family: string;
  dropout: number;
}

export type DataKind = Dataset['kind'];

/**
 * One model family: everything the engine, the CLI and the page need to know about it. Adding a
 * family is one module exporting one of these plus one line in the registry (models/index.ts);
 * docs/engine.md "Registries" walks through resnet as the example.
 */
export interface FamilyDef<S extends SpecBase = SpecBase> {
  family: S['family'];
  /** for the page's model select, e.g. 'MLP (tables)'. */
  label: string;
  /** the kind of dataset it trains on. The first family registered for a kind is its default. */
  data: DataKind;
  /** the settings a person may choose (CLI flags and form inputs are generated from these). */
  fields: FieldDesc[];
  /** a value for every field. */
  defaults: Record<string, FieldValue>;
  /** the spec for this dataset: sizes the data dictates (inputs, classes, vocabulary) from `ds`, the rest from `v` (one value per field). */
  build(ds: Dataset, v: Record<string, FieldValue>, dropout: number): S;
  /** the field values a spec was built from (for forms, and for fresh runs that keep the architecture). */
  values(spec: S): Record<string, FieldValue>;
  /** checks beyond each field's bounds (data-dictated sizes, relations between fields); a message or null. */
  validate(spec: S): string | null;
  /** the parameters, in a fixed order. Pure: no tensors. */
  params(spec: S): ParamDef[];
  /** the buffers; none if absent. */
  buffers?(spec: S): BufferDef[];
  /** predictions per sample (a sequence model: its context length); 1 if absent. Also the window a text sample spans. */
  positions?(spec: S): number;
  /** the activation memory of a training step, from the spec alone (no tensors; budget.ts). */
  activations(spec: S): ActivationEstimate;
  /** the axes indexed by the data's classes, vocabulary or input features; none if absent. */
  axes?(spec: S): AxisDef[];
  /** the device side: constants and the forward pass. */
  create(spec: S): Model;
}
