// Sums over leading axes on the wasm backend (src/engine/wasm.ts registers it). Every bias
// gradient is one: dy [rows, units] summed over the rows. The backend reduces only along the
// innermost axis, so it first copies the tensor transposed; for [1024, 256] that took 2.5 ms of
// a 2.6 ms sum here. This loop adds the rows in order straight from the wasm heap (0.3 ms):
// row after row, in float32, so the same inputs give the same bits in Node and the browser.
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap };

/** How many leading axes `axis` names (all of 0..k-1 and nothing else), or 0. */
function leadingAxes(axis: number | number[], rank: number): number {
  const axes = [...new Set(tf.util.parseAxisParam(axis, new Array(rank).fill(1)))].sort((a, b) => a - b);
  return axes.every((a, i) => a === i) && axes.length < rank ? axes.length : 0;
}

function sumRows(original: tf.KernelFunc): tf.KernelFunc {
  return ((args: KernelArgs) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { axis, keepDims } = (args.attrs ?? {}) as unknown as { axis: number | number[]; keepDims: boolean };
    const k = x.dtype === 'float32' ? leadingAxes(axis, x.shape.length) : 0;
    if (!k) return original(args as never);
    const wasm = args.backend as BackendWasm;
    const rows = x.shape.slice(0, k).reduce((a, b) => a * b, 1);
    const cols = x.shape.slice(k).reduce((a, b) => a * b, 1);
    const out = wasm.makeOutput(keepDims ? [...x.shape.slice(0, k).map(() => 1), ...x.shape.slice(k)] : x.shape.slice(k), 'float32');
    // views after makeOutput: a heap that grew has a new buffer
    const xs = wasm.typedArrayFromHeap(x) as Float32Array;
    const o = wasm.typedArrayFromHeap(out) as Float32Array;
    o.fill(0);
    for (let r = 0; r < rows; r++) {
      const base = r * cols;
      for (let c = 0; c < cols; c++) o[c] += xs[base + c];
    }
    return out;
  }) as unknown as tf.KernelFunc;
}

/** Wraps the wasm backend's Sum for leading axes. Once. */
export function registerSum(): void {
  const k = tf.getKernel('Sum', 'wasm');
  if (!k || (k.kernelFunc as { rows?: boolean }).rows) return;
  const wrapped = sumRows(k.kernelFunc);
  (wrapped as { rows?: boolean }).rows = true;
  tf.unregisterKernel('Sum', 'wasm');
  tf.registerKernel({ ...k, kernelFunc: wrapped });
}
