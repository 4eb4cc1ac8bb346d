// The wasm backend's binaries in a browser bundle: served by Vite in development and emitted with
// the build. tfjs would look for them next to its own script, which a bundle does not have.
// Importing this module registers the backend (src/engine/wasm.ts) and tells it where they are;
// startWasm starts it with the threads src/worker/wasm-threads.ts chooses.
//
// tfjs picks the binary when the backend starts: threaded SIMD where the page is cross-origin
// isolated (SharedArrayBuffer exists), else SIMD, else plain. The threaded one's pthread workers
// are started from blob: URLs holding tfjs' inlined worker script (wasmWorkerContents); they are
// nested in this worker, so the page's CSP (index.html) does not govern them.
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount, setThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { setWasmPaths } from '../engine/wasm';
import { wasmThreadCount, type WasmInfo } from './wasm-threads';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';

setWasmPaths({ 'tfjs-backend-wasm.wasm': wasmPlain, 'tfjs-backend-wasm-simd.wasm': wasmSimd, 'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded });

/**
 * Runs `start` (what calls tf.setBackend('wasm')) so that the threaded binary uses the threads
 * wasmThreadCount chooses. setThreadsCount alone is not enough: tfjs 4.22's C++ caps the count
 * at navigator.hardwareConcurrency / 2 (it assumes two hyperthreads per core), read once when the
 * binary is instantiated, so a 2-core machine would get 1 thread. While the binary starts, this
 * worker's navigator reports twice the chosen count; the real value is put back right after.
 * A no-op for the unthreaded binaries, and when the backend had already started.
 */
export async function startWasm<T>(start: () => Promise<T>): Promise<T> {
  const nav = globalThis.navigator as Navigator | undefined;
  const threads = wasmThreadCount(nav?.hardwareConcurrency);
  setThreadsCount(threads);
  const own = nav ? Object.getOwnPropertyDescriptor(nav, 'hardwareConcurrency') : undefined;
  let overridden = false;
  try {
    if (nav) {
      Object.defineProperty(nav, 'hardwareConcurrency', { value: 2 * threads, configurable: true });
      overridden = true;
    }
  } catch {
    // a browser whose navigator refuses the property: tfjs' own count applies
  }
  try {
    return await start();
  } finally {
    if (overridden && nav) {
      if (own) Object.defineProperty(nav, 'hardwareConcurrency', own);
      else delete (nav as unknown as Record<string, unknown>).hardwareConcurrency;
    }
  }
}

/** What the running wasm backend uses; call only once it has started. */
export async function wasmInfo(): Promise<WasmInfo> {
  return {
    simd: (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true,
    threads: getThreadsCount(),
    isolated: globalThis.crossOriginIsolated === true,
  };
}
