// Dispatches per training step on WebGPU for the speed issue's workloads A (MLP) and B
// (charlm), with the engine's fused kernels and without (setFusedKernels(false)): the fused
// path must dispatch no more than jax-js does under jit (55 and 307, measured in the issue).
import { describe, expect, it } from 'vitest';
import { useEnginePage } from './harness';

const engine = useEnginePage();
const call = (method: string, ...args: unknown[]) =>
  engine.session.page.evaluate(([m, a]) => (window as any).engine[m](...a), [method, args] as [string, unknown[]]) as Promise<any>;

describe('fused WebGPU kernels: dispatches per step', () => {
  for (const [w, jax] of [['A', 55], ['B', 307]] as const) {
    it(`workload ${w}: at most ${jax} dispatches per step (jax-js), fewer than unfused`, async () => {
      expect((await call('backend', 'webgpu')).backend).toBe('webgpu');
      const fused = await call('dispatchesPerStep', w, true);
      const unfused = await call('dispatchesPerStep', w, false);
      console.log(`workload ${w}: fused ${JSON.stringify(fused)}\nunfused ${JSON.stringify(unfused)}`);
      expect(fused.dispatches, JSON.stringify(fused)).toBeLessThan(unfused.dispatches);
      expect(fused.dispatches, JSON.stringify(fused)).toBeLessThanOrEqual(jax);
      // the same training, within float tolerance, after 4 steps
      expect(Math.abs(fused.loss - unfused.loss), `${fused.loss} vs ${unfused.loss}`).toBeLessThan(1e-3 * Math.max(1, Math.abs(unfused.loss)));
    }, 600_000);
  }
});
