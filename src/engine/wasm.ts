// The wasm backend (@tensorflow/tfjs-backend-wasm: XNNPACK kernels, SIMD), registered on import,
// plus the one training kernel it lacks and faster paths for what training hits most: transposed
// and batched matrix products (./wasm-matmul.ts) and sums over leading axes (./wasm-sum.ts).
// Why wasm: on the CPU it trains far faster than tfjs' pure-JS CPU backend (measured here:
// docs/performance.md), so the CLI runs on it and the app falls back to it before WebGL and the
// CPU backend.
//
// Conv2DBackpropFilter (the gradient of a convolution's kernel) is not implemented by the wasm
// backend in tfjs 4.22: every cnn and resnet step needs it. It is registered here as a plain
// loop over the wasm heap, in a fixed order, so it is deterministic: the same inputs give the
// same bits on every machine and in the browser and Node alike. The loop is the CPU backend's.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { registerMatMul } from './wasm-matmul';
import { registerSum } from './wasm-sum';

export { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

interface FilterAttrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
}

function conv2DBackpropFilter({ inputs, backend, attrs }: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const wasm = backend as BackendWasm;
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as FilterAttrs;
  if (dataFormat !== 'NHWC') throw new Error(`Conv2DBackpropFilter on wasm: only NHWC is implemented (got ${dataFormat})`);
  const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filterShape, strides, 1, pad, dimRoundingMode, false, 'channelsLast');
  const { strideHeight, strideWidth, filterHeight, filterWidth, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, batchSize } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const xv = wasm.typedArrayFromHeap(x) as Float32Array;
  const dyv = wasm.typedArrayFromHeap(dy) as Float32Array;
  const out = wasm.makeOutput(filterShape, 'float32');
  // Read the inputs' views again after makeOutput: a heap that grew has a new buffer.
  const xs = xv.buffer.byteLength ? xv : (wasm.typedArrayFromHeap(x) as Float32Array);
  const dys = dyv.buffer.byteLength ? dyv : (wasm.typedArrayFromHeap(dy) as Float32Array);
  const dw = new Float32Array(filterHeight * filterWidth * inChannels * outChannels);
  // strides of x [b, r, c, d1] and dy [b, r, c, d2]
  const xs0 = inHeight * inWidth * inChannels;
  const xs1 = inWidth * inChannels;
  const ys0 = outHeight * outWidth * outChannels;
  const ys1 = outWidth * outChannels;
  for (let wR = 0; wR < filterHeight; ++wR) {
    const yRMin = Math.max(0, Math.ceil((top - wR) / strideHeight));
    const yRMax = Math.min(outHeight, (inHeight + top - wR) / strideHeight);
    for (let wC = 0; wC < filterWidth; ++wC) {
      const yCMin = Math.max(0, Math.ceil((left - wC) / strideWidth));
      const yCMax = Math.min(outWidth, (inWidth + left - wC) / strideWidth);
      for (let d1 = 0; d1 < inChannels; ++d1) {
        for (let d2 = 0; d2 < outChannels; ++d2) {
          let dot = 0;
          for (let b = 0; b < batchSize; ++b) {
            for (let yR = yRMin; yR < yRMax; ++yR) {
              const xR = wR + yR * strideHeight - top;
              for (let yC = yCMin; yC < yCMax; ++yC) {
                const xC = wC + yC * strideWidth - left;
                dot += xs[b * xs0 + xR * xs1 + xC * inChannels + d1] * dys[b * ys0 + yR * ys1 + yC * outChannels + d2];
              }
            }
          }
          dw[((wR * filterWidth + wC) * inChannels + d1) * outChannels + d2] = dot;
        }
      }
    }
  }
  (wasm.typedArrayFromHeap(out) as Float32Array).set(dw);
  return out;
}

if (!tf.getKernel('Conv2DBackpropFilter', 'wasm')) {
  tf.registerKernel({ kernelName: 'Conv2DBackpropFilter', backendName: 'wasm', kernelFunc: conv2DBackpropFilter as unknown as tf.KernelFunc });
}

registerMatMul();
registerSum();
