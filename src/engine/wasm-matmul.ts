// Matrix products on the wasm backend, made fast for training (src/engine/wasm.ts registers it).
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

// Transposed matrix products. The wasm backend hands `matMul(a, b, transposeA, transposeB)` to
// XNNPACK only when neither side is transposed; a transposed one takes a plain loop that is
// 10-30 times slower (measured here, 256x256x256: 1.1 ms untransposed, 19 ms with transposeA,
// 12 ms with transposeB). Every weight gradient is `x^T dy` and every input gradient `dy W^T`,
// so training hit the slow loop in most of its products. The wrapper below transposes the
// operand explicitly (an exact copy: 0.3 ms for 256x256) and calls the original kernel
// untransposed.
//
// Batched products (attention: [B, H, T, dh] x [B, H, dh, T]) take the loop either way,
// transposed or not. They run here as one XNNPACK product per matrix instead, on views into the
// operands' memory (no copies): each view is a tensor id registered at an offset inside the
// operand, released right after its product. XNNPACK caches a product's packed weights by the
// weight tensor's id, and releasing the id drops that entry, so nothing stale is reused.
// (The loop also gets a batched
// tf.fused.matMul with an activation wrong once the inner size passes its block size: tfjs
// 4.22 applies the activation to partial sums; relu off by up to 27 for [3, 24, 256] x
// [3, 256, 16]. The engine makes no such product on wasm.) The numbers change in
// the last bits (XNNPACK sums in another order than the loop), and always the same way: the
// same inputs give the same bits, in Node and in the browser alike.
type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap };

function transposeLastTwo(x: tf.TensorInfo, backend: unknown): tf.TensorInfo {
  const transpose = tf.getKernel('Transpose', 'wasm');
  if (!transpose) throw new Error('the wasm backend has no Transpose kernel');
  const perm = x.shape.map((_, i) => i);
  [perm[perm.length - 2], perm[perm.length - 1]] = [perm[perm.length - 1], perm[perm.length - 2]];
  return transpose.kernelFunc({ inputs: { x }, backend: backend as tf.KernelBackend, attrs: { perm } }) as tf.TensorInfo;
}

const matrices = (t: tf.TensorInfo): number => t.shape.slice(0, -2).reduce((a, b) => a * b, 1);

/** What the views need of the backend: its module and where each tensor lives on the heap. */
interface WasmInternals {
  wasm: {
    cwrap(name: string, ret: null, args: string[]): (...args: unknown[]) => void;
    tfjs: { registerTensor(id: number, size: number, offset: number): void; disposeData(id: number): void };
  };
  dataIdMap: { get(dataId: object): { memoryOffset: number } };
  dataIdNextNumber: number;
}

const cProducts = new WeakMap<object, (...args: unknown[]) => void>();

/** The backend's own C entry point, BatchMatMul(aId, aShape, aRank, bId, bShape, bRank, transposeA, transposeB, outId). */
function cProduct(w: WasmInternals): (...args: unknown[]) => void {
  let f = cProducts.get(w.wasm);
  if (!f) {
    f = w.wasm.cwrap('BatchMatMul', null, ['number', 'array', 'number', 'number', 'array', 'number', 'number', 'number', 'number']);
    cProducts.set(w.wasm, f);
  }
  return f;
}

/** Below this many multiply-adds per matrix, the loop's one call beats one XNNPACK call per matrix. */
const MIN_SLICE_WORK = 8192;

/** Whether a batched product [..., M, K] x [..., K, N] runs per matrix: same batch shape on both sides (no broadcasting), enough work per matrix. */
function bySlices(a: tf.TensorInfo, b: tf.TensorInfo, ta: boolean, tb: boolean): boolean {
  const r = a.shape.length;
  if (r < 3 || b.shape.length !== r || a.dtype !== 'float32' || b.dtype !== 'float32') return false;
  if (a.shape.slice(0, -2).some((d, i) => d !== b.shape[i])) return false;
  const [M, K] = ta ? [a.shape[r - 1], a.shape[r - 2]] : [a.shape[r - 2], a.shape[r - 1]];
  const N = tb ? b.shape[r - 2] : b.shape[r - 1];
  return M * K * N >= MIN_SLICE_WORK;
}

/** One XNNPACK product per matrix of untransposed, equally batched a [..., M, K] and b [..., K, N]. */
function productBySlices(a: tf.TensorInfo, b: tf.TensorInfo, backend: BackendWasm): tf.TensorInfo {
  const w = backend as unknown as WasmInternals;
  const r = a.shape.length;
  const [M, K, N] = [a.shape[r - 2], a.shape[r - 1], b.shape[r - 1]];
  const out = backend.makeOutput([...a.shape.slice(0, -2), M, N], 'float32');
  // offsets after makeOutput: it may grow the heap (offsets stay valid; views would not)
  const [ao, bo, oo] = [a, b, out].map((t) => w.dataIdMap.get(t.dataId).memoryOffset);
  const aShape = new Uint8Array(new Int32Array([1, M, K]).buffer);
  const bShape = new Uint8Array(new Int32Array([1, K, N]).buffer);
  const product = cProduct(w);
  const { tfjs } = w.wasm;
  for (let g = 0; g < matrices(a); g++) {
    const [ia, ib, io] = [w.dataIdNextNumber++, w.dataIdNextNumber++, w.dataIdNextNumber++];
    tfjs.registerTensor(ia, M * K, ao + g * M * K * 4);
    tfjs.registerTensor(ib, K * N, bo + g * K * N * 4);
    tfjs.registerTensor(io, M * N, oo + g * M * N * 4);
    try {
      product(ia, aShape, 3, ib, bShape, 3, 0, 0, io);
    } finally {
      // the views only: their memory belongs to a, b and out
      for (const id of [ia, ib, io]) tfjs.disposeData(id);
    }
  }
  return out;
}

function untransposed(original: tf.KernelFunc, batched: boolean): tf.KernelFunc {
  return ((args: KernelArgs) => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const attrs = (args.attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean };
    const slices = batched && bySlices(a, b, !!attrs.transposeA, !!attrs.transposeB);
    if (!slices && ((!attrs.transposeA && !attrs.transposeB) || matrices(a) !== 1 || matrices(b) !== 1)) return original(args as never);
    const wasm = args.backend as BackendWasm;
    const copies: tf.TensorInfo[] = [];
    const plain = (t: tf.TensorInfo, transposed: boolean | undefined): tf.TensorInfo => {
      if (!transposed) return t;
      const c = transposeLastTwo(t, wasm);
      copies.push(c);
      return c;
    };
    try {
      if (slices) return productBySlices(plain(a, attrs.transposeA), plain(b, attrs.transposeB), wasm);
      return original({ ...args, inputs: { ...args.inputs, a: plain(a, attrs.transposeA), b: plain(b, attrs.transposeB) }, attrs: { ...attrs, transposeA: false, transposeB: false } } as never);
    } finally {
      for (const c of copies) wasm.disposeData(c.dataId);
    }
  }) as unknown as tf.KernelFunc;
}

/** Wraps the wasm backend's BatchMatMul (transposed and batched) and _FusedMatMul (transposed, one matrix). Once. */
export function registerMatMul(): void {
  for (const name of ['BatchMatMul', '_FusedMatMul']) {
    const k = tf.getKernel(name, 'wasm');
    if (!k || (k.kernelFunc as { untransposed?: boolean }).untransposed) continue;
    const wrapped = untransposed(k.kernelFunc, name === 'BatchMatMul');
    (wrapped as { untransposed?: boolean }).untransposed = true;
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({ ...k, kernelFunc: wrapped });
  }
}
