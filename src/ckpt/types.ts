// The in-memory form of a .ckpt file. See docs/ckpt-format.md for the bytes.

export type CkptDType = 'F32' | 'I32';

export interface CkptTensor {
  /** `model.<param path>` or `optim.<param path>.<slot>`. */
  name: string;
  dtype: CkptDType;
  shape: number[];
  data: Float32Array | Int32Array;
}

/** Everything a .ckpt holds: tensors plus the JSON training state (opaque to the format layer). */
export interface CkptContents {
  /** The JSON-serialisable training state (`state` in __metadata__). Validated by the engine. */
  state: Record<string, unknown>;
  tensors: CkptTensor[];
}
