// Bit-exact resume on the WebGPU backend (SwiftShader) inside a dedicated worker in Chromium.
import { describe, expect, it } from 'vitest';
import { useEnginePage } from './harness';
import type { EngineTestApi } from './engine.worker';

const engine = useEnginePage();

type Call = <K extends keyof EngineTestApi>(method: K, ...args: Parameters<EngineTestApi[K]>) => Promise<Awaited<ReturnType<EngineTestApi[K]>>>;
const call: Call = (method, ...args) =>
  engine.session.page.evaluate(
    ([m, a]) => (window as any).engine[m](...a),
    [method, args] as [string, unknown[]],
  ) as any;

describe('WebGPU in a worker', () => {
  it('gets the WebGPU backend with deterministic matmul', async () => {
    const r = await call('backend', 'webgpu');
    expect(r, JSON.stringify(r)).toMatchObject({ ok: true, backend: 'webgpu', determinism: 3 });
  });

  // kernels saved per parameter by the fused update (at least), and the tolerance on the weights
  for (const [optimizer, saved, tol] of [['adamw', 11, 1e-4], ['sgd', 1, 1e-5], ['lion', 2, 1e-2]] as const) {
    it(`fused ${optimizer}: at least ${saved} kernels fewer per parameter, the same weights within ${tol}`, async () => {
      const r = await call('fusedVsUnfused', 'mlp', { hidden: [16, 8], batchSize: 16, optimizer, weightDecay: 0.01, logEvery: 1, evalEvery: 1000, steps: 100, seed: 5 }, 6);
      // 6 parameters
      expect(r.kernels.unfused - r.kernels.fused, JSON.stringify(r)).toBeGreaterThanOrEqual(6 * saved);
      expect(r.worst, JSON.stringify(r)).toBeLessThan(tol);
    });
  }

  // No dropout: the path where charlm's attention runs as the fused kernels (src/engine/fused/attention.ts)
  it('charlm without dropout (fused attention) + adamw: k steps + save + load + rest == straight', async () => {
    expect((await call('backend', 'webgpu')).backend).toBe('webgpu');
    const r = await call('resumeCheck', 'charlm', { contextLength: 8, dModel: 16, numHeads: 2, numLayers: 1, batchSize: 8, dropout: 0, optimizer: 'adamw', steps: 7, schedule: 'cosine', warmupSteps: 2, scheduleSteps: 7, logEvery: 2, evalEvery: 3, seed: 5 }, [2, 5]);
    expect(r.backend).toBe('webgpu');
    for (const x of r.results) {
      expect(x.mismatches, `k=${x.k}`).toEqual([]);
      expect(x.stateMismatches, `k=${x.k}`).toEqual([]);
    }
    expect(r.leaked).toBe(0);
  });

  const families = [
    { family: 'mlp' as const, o: { hidden: [16, 8], batchSize: 16, dropout: 0.2 }, ks: [3, 5] },
    { family: 'cnn' as const, o: { filters: [4], hidden: [8], batchSize: 8, dropout: 0.1 }, ks: [2, 5] },
    { family: 'charlm' as const, o: { contextLength: 8, dModel: 16, numHeads: 2, numLayers: 1, batchSize: 8, dropout: 0.1 }, ks: [2, 5] },
    { family: 'resnet' as const, o: { filters: [4, 6], blocks: 1, batchSize: 8, dropout: 0.1 }, ks: [2, 5] },
  ];
  for (const f of families) {
    for (const optimizer of ['adamw', 'sgd', 'lion'] as const) {
      it(`${f.family} + ${optimizer}: k steps + save + load + rest == straight`, async () => {
        const r = await call('resumeCheck', f.family, { ...f.o, optimizer, steps: 7, schedule: 'cosine', warmupSteps: 2, scheduleSteps: 7, logEvery: 2, evalEvery: 3, seed: 5 }, f.ks);
        expect(r.backend).toBe('webgpu');
        for (const x of r.results) {
          expect(x.mismatches, `k=${x.k}`).toEqual([]);
          expect(x.stateMismatches, `k=${x.k}`).toEqual([]);
        }
        expect(r.leaked).toBe(0);
      });
    }
  }
});
