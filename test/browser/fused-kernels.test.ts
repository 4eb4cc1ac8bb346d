// Each of the engine's fused WebGPU kernels (src/engine/fused/) against the plain tfjs ops it
// replaces, forward and gradient, on random inputs in a worker on WebGPU (SwiftShader): within
// float tolerance, and the same bits on a second run (no atomics, fixed reduction order).
import { describe, expect, it } from 'vitest';
import { useEnginePage } from './harness';

const engine = useEnginePage();
const call = (method: string, ...args: unknown[]) =>
  engine.session.page.evaluate(([m, a]) => (window as any).engine[m](...a), [method, args] as [string, unknown[]]) as Promise<any>;

describe('fused WebGPU kernels vs the plain ops', () => {
  it('match within float tolerance and are deterministic', async () => {
    expect((await call('backend', 'webgpu')).backend).toBe('webgpu');
    const r: Record<string, { err: number; deterministic: boolean }> = await call('fusedOps');
    console.log(`fused kernels, largest difference relative to the largest plain value: ${JSON.stringify(r)}`);
    const names = ['clip sum of squares', 'softmax cross-entropy', 'layer norm', 'dense relu', 'dense linear', 'causal attention'];
    expect(Object.keys(r).sort()).toEqual(names.sort());
    for (const n of names) {
      expect(r[n].err, n).toBeLessThan(1e-5);
      expect(r[n].deterministic, n).toBe(true);
    }
  }, 300_000);
});
