import { defineConfig } from 'vitest/config';

// One config for the app (Vite) and the tests (Vitest). Browser tests drive Debian's chromium
// through playwright-core against a Vite server they start themselves (test/browser/harness.ts).
export default defineConfig({
  server: { port: 5173, strictPort: false },
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
