// How many threads the wasm backend trains with in a tab, and how that is said on the page.
// Pure functions: the worker passes in what the browser reports (test/unit/wasm-threads.test.ts).
//
// Threads need SharedArrayBuffer, which a browser grants only to a cross-origin isolated page
// (COOP same-origin + COEP require-corp on the page and its workers: vite.config.ts,
// public/_headers). Without it tfjs loads its single-threaded SIMD binary instead.

/**
 * At most 4: the training step's matrices are small (a 256x256 weight), so XNNPACK gains little
 * past a few threads while each thread is a core taken from the page (tfjs' own cap was 4 before
 * 4.x). The threaded binary preallocates 8 pthread workers, so 4 never has Emscripten start one
 * while the training worker blocks on them.
 */
export const MAX_WASM_THREADS = 4;

/** Threads for XNNPACK: one per logical core the browser reports, 1..MAX_WASM_THREADS. */
export function wasmThreadCount(hardwareConcurrency: number | undefined): number {
  const n = Math.floor(Number(hardwareConcurrency));
  if (!Number.isFinite(n) || n < 1) return 1;
  return Math.min(n, MAX_WASM_THREADS);
}

export interface WasmInfo {
  /** the SIMD binary (or the threaded SIMD one) is running. */
  simd: boolean;
  /** threads XNNPACK actually uses (tfjs' getThreadsCount after the backend started). */
  threads: number;
  /** the page is cross-origin isolated (globalThis.crossOriginIsolated). */
  isolated: boolean;
}

/** "SIMD, 2 threads"; single-threaded says why when isolation is what is missing. */
export function wasmLabel(w: WasmInfo): string {
  const isa = w.simd ? 'SIMD' : 'no SIMD';
  if (w.threads > 1) return `${isa}, ${w.threads} threads`;
  return w.isolated ? `${isa}, 1 thread` : `${isa}, 1 thread: the page is not cross-origin isolated`;
}
