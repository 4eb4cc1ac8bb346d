// The wasm backend's thread count in a tab and the words the page shows (src/worker/wasm-threads.ts).
import { describe, expect, it } from 'vitest';
import { MAX_WASM_THREADS, wasmLabel, wasmThreadCount } from '../../src/worker/wasm-threads';

describe('wasmThreadCount', () => {
  it('one thread per logical core, capped', () => {
    expect(wasmThreadCount(2)).toBe(2);
    expect(wasmThreadCount(3)).toBe(3);
    expect(wasmThreadCount(64)).toBe(MAX_WASM_THREADS);
  });
  it('one thread when the browser reports nothing usable', () => {
    for (const v of [undefined, 0, -3, Number.NaN, 0.5]) expect(wasmThreadCount(v)).toBe(1);
  });
});

describe('wasmLabel', () => {
  it('names SIMD and the threads', () => {
    expect(wasmLabel({ simd: true, threads: 2, isolated: true })).toBe('SIMD, 2 threads');
    expect(wasmLabel({ simd: true, threads: 1, isolated: true })).toBe('SIMD, 1 thread');
    expect(wasmLabel({ simd: false, threads: 1, isolated: true })).toBe('no SIMD, 1 thread');
  });
  it('says why a page runs on one thread when it is not isolated', () => {
    expect(wasmLabel({ simd: true, threads: 1, isolated: false })).toBe('SIMD, 1 thread: the page is not cross-origin isolated');
  });
});
