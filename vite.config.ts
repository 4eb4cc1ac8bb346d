import { defineConfig } from 'vitest/config';

// One config for the app (Vite) and the tests (Vitest). Browser tests drive Debian's chromium
// through playwright-core against a Vite server they start themselves (test/browser/harness.ts).
// Cross-origin isolation: with these two headers on the page and its workers, the browser grants
// SharedArrayBuffer, which the wasm backend's threaded binary needs (XNNPACK's thread pool runs in
// Web Workers sharing one wasm memory). Everything the app loads is same-origin, so require-corp
// blocks nothing. A static host serving the build needs the same headers (public/_headers, README
// "Serving the build"); without them the app still works, on single-threaded SIMD.
const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  server: { port: 5173, strictPort: false, headers: ISOLATION_HEADERS },
  preview: { headers: ISOLATION_HEADERS },
  worker: { format: 'es' },
  // Pre-bundle up front: a dependency discovered late makes the dev server reload the page,
  // which would cut a browser test (or a person's training run) short.
  optimizeDeps: {
    include: ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-webgpu', '@tensorflow/tfjs-backend-wasm', 'comlink', 'idb-keyval', 'papaparse', 'fflate', 'fast-png'],
  },
  build: { target: 'es2022', sourcemap: true },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          environment: 'node',
          // SwiftShader WebGPU compiles shaders for seconds; these tests are slow by nature.
          testTimeout: 600_000,
          hookTimeout: 300_000,
          // One Chromium at a time: the machines have two cores.
          fileParallelism: false,
        },
      },
    ],
  },
});
