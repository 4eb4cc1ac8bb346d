// Running our own WGSL programs on tfjs' WebGPU backend (its runWebGPUProgram: the same path its
// built-in kernels take, so buffers, uniforms and command batching are tfjs'). No import of the
// WebGPU package: the CLI loads this file too, and never calls it (useFused() is false there).
//
// Rules every program here follows (the speed issue's item 2):
// - deterministic: no atomics, every reduction in a fixed order (a thread's own loop, or one
//   workgroup's fixed tree), so the same inputs give the same bits and resume stays bit-exact;
// - at most 7 storage inputs (SwiftShader allows 8 storage buffers per stage, the output is one);
// - called only when useFused(): WebGPU and setFusedKernels(true). Everywhere else the model
//   code runs its plain tfjs ops, bit-identical to before these kernels existed.
import * as tf from '@tensorflow/tfjs';
import { fusedKernels } from '../kernels';

/** True where the engine's own WebGPU kernels run: the WebGPU backend, with the switch on. */
export function useFused(): boolean {
  return fusedKernels() && tf.getBackend() === 'webgpu';
}

/** Storage inputs one program may bind (8 per stage on SwiftShader, minus the output). */
export const MAX_INPUTS = 7;

interface WebGpuRunner {
  runWebGPUProgram(p: object, inputs: tf.TensorInfo[], dtype: 'float32', uniforms: { type: 'float32' | 'int32'; data: number[] }[]): tf.TensorInfo;
}

export interface ProgramSpec {
  /** unique name of the shader (tfjs adds the input shapes to its cache key). */
  key: string;
  inputs: tf.Tensor[];
  outShape: number[];
  /** threads to launch (a flat 1-D dispatch); `index` in the body runs over 0..threads-1. */
  threads: number;
  /** threads per workgroup (64 unless the body reduces in one workgroup). */
  workgroup?: number;
  /** int32 uniforms: read as uniforms.<name> (i32). */
  ints?: [string, number][];
  /** float32 uniforms: read as uniforms.<name> (f32). */
  floats?: [string, number][];
  /** WGSL declarations before main (helper functions, workgroup arrays). */
  decls?: string;
  /** body of main: `index` is the thread's global index; inputs are the arrays A, B, C...;
   * write with setOutputAtIndex(flatIndex, value). */
  body: string;
}

/** Runs one program: one dispatch. The inputs are read as flat float arrays A, B, C... */
export function runProgram(s: ProgramSpec): tf.Tensor {
  const wg = s.workgroup ?? 64;
  const names = s.inputs.map((_, i) => String.fromCharCode(65 + i));
  if (names.length > MAX_INPUTS) throw new Error(`fused kernel ${s.key}: ${names.length} inputs, at most ${MAX_INPUTS}`);
  const ints = s.ints ?? [];
  const floats = s.floats ?? [];
  const program = {
    outputShape: s.outShape,
    shaderKey: s.key,
    dispatchLayout: { x: s.outShape.map((_, i) => i) },
    dispatch: [Math.ceil(s.threads / wg), 1, 1] as [number, number, number],
    variableNames: names,
    workgroupSize: [wg, 1, 1] as [number, number, number],
    size: false,
    uniforms: [...ints.map(([n]) => `${n} : i32,`), ...floats.map(([n]) => `${n} : f32,`)].join(' '),
    getUserCode: () => `
      ${s.decls ?? ''}
      fn main(index : i32) {
        // a use of the uniforms: the automatic layout drops a binding no code reads, and tfjs
        // always binds them (measured: "binding index N not present in the bind group layout")
        _ = uniforms.NAN;
        ${s.body}
      }`,
  };
  const backend = tf.backend() as unknown as WebGpuRunner;
  const uniforms = [...ints.map(([, v]) => ({ type: 'int32' as const, data: [v] })), ...floats.map(([, v]) => ({ type: 'float32' as const, data: [v] }))];
  const info = backend.runWebGPUProgram(program, s.inputs, 'float32', uniforms);
  return tf.engine().makeTensorFromTensorInfo(info);
}

/**
 * WGSL for a fixed-order sum over one workgroup of `wg` threads: each thread has put its partial
 * in red[localId.x]; after this, red[0] holds the total. Pairs are added in the same tree every
 * time, so the result is deterministic. Needs `var<workgroup> red : array<f32, wg>` (reduceDecl).
 */
export const reduceDecl = (wg: number): string => `var<workgroup> red : array<f32, ${wg}>;`;
export const treeSum = (wg: number): string => `
        workgroupBarrier();
        for (var half = ${wg / 2}u; half > 0u; half = half / 2u) {
          if (localId.x < half) { red[localId.x] = red[localId.x] + red[localId.x + half]; }
          workgroupBarrier();
        }`;
