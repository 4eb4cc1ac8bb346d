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
// The threaded binary's JavaScript glue as published (not bundled): see selfContainedMainScript.
import threadedGlue from '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js?raw';

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
  return selfContainedMainScript(() => withThreadCount(start));
}

/** What tfjs 4.22 puts before its factory's source in the script its pthread workers load. */
const MAIN_SCRIPT_PREFIX = 'var WasmBackendModuleThreadedSimd = ';

/**
 * The pthread workers load the Emscripten glue from a Blob tfjs builds as
 * `var WasmBackendModuleThreadedSimd = ` + factory.toString(). In a minified build that source is
 * not self-contained: the factory reads `_scriptDir` from the closure around it, and the minifier
 * renames it and drops its `typeof` guard, so every pthread worker throws "e is not defined" and
 * the backend hangs waiting for them (seen with `vite build`; the dev server does not minify).
 * While `start` runs, that one Blob gets the glue file as published instead, which declares the
 * same global factory and runs as a plain script. Any other Blob is built as asked.
 */
async function selfContainedMainScript<T>(start: () => Promise<T>): Promise<T> {
  const NativeBlob = globalThis.Blob;
  class MainScriptBlob extends NativeBlob {
    constructor(parts?: BlobPart[], options?: BlobPropertyBag) {
      const first = parts?.length === 1 ? parts[0] : undefined;
      super(typeof first === 'string' && first.startsWith(MAIN_SCRIPT_PREFIX) ? [threadedGlue] : parts, options);
    }
  }
  globalThis.Blob = MainScriptBlob;
  try {
    return await start();
  } finally {
    globalThis.Blob = NativeBlob;
  }
}

async function withThreadCount<T>(start: () => Promise<T>): Promise<T> {
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
