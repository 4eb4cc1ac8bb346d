import type * as tf from '@tensorflow/tfjs';

export interface MlpSpec {
  family: 'mlp';
  inputSize: number;
  hidden: number[];
  outputSize: number;
  dropout: number;
}

export interface CnnSpec {
  family: 'cnn';
  height: number;
  width: number;
  channels: number;
  /** output channels of each 3x3 conv (each followed by relu and 2x2 max-pool). */
  filters: number[];
  /** width of the dense layer before the head. */
  hidden: number;
  outputSize: number;
  dropout: number;
}

export interface CharLmSpec {
  family: 'charlm';
  vocabSize: number;
  contextLength: number;
  dModel: number;
  numHeads: number;
  numLayers: number;
  dropout: number;
}

export type ModelSpec = MlpSpec | CnnSpec | CharLmSpec;
export type ModelFamily = ModelSpec['family'];

export type InitKind = 'glorot' | 'zeros' | 'ones' | 'embedding';

/** A named parameter. Names are the paths used in checkpoints (`model.<name>`). */
export interface ParamDef {
  name: string;
  shape: number[];
  init: InitKind;
  /** whether AdamW's decoupled weight decay applies (matrices yes; biases, norms no). */
  decay: boolean;
}

export type Params = Record<string, tf.Tensor>;

export interface ForwardCtx {
  training: boolean;
  /** per-step seed for dropout masks; the same step always gets the same masks. */
  dropoutSeed: number;
}

export interface Model {
  spec: ModelSpec;
  params: ParamDef[];
  /** logits: [N, outputs]. For charlm N = batch * contextLength. */
  forward(p: Params, x: tf.Tensor, ctx: ForwardCtx): tf.Tensor2D;
  /** frees constants the model keeps on the device (e.g. the causal mask). */
  dispose(): void;
}
