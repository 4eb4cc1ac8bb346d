import * as tf from '@tensorflow/tfjs';
import { budgetFor, setBudget } from './budget';

/**
 * Turns off the WebGPU kernels whose float atomics make results vary from run to run
 * (docs/engine.md "WebGPU pitfalls"): split-K matmul is replaced by the packed program. Call after
 * the backend is chosen; a no-op elsewhere.
 */
export function configureDeterminism(): void {
  if (tf.getBackend() === 'webgpu') {
    tf.env().set('WEBGPU_MATMUL_PROGRAM_TYPE', 3);
  }
}

/**
 * Selects a backend and reports what actually runs: tf.setBackend resolves false instead of
 * throwing, and tfjs silently keeps another backend (measured with tfjs 4.22).
 */
export async function useBackend(name: string): Promise<{ ok: boolean; backend: string; reason?: string }> {
  let ok = false;
  let reason: string | undefined;
  try {
    ok = await tf.setBackend(name);
    await tf.ready();
  } catch (e) {
    reason = e instanceof Error ? e.message : String(e);
  }
  const backend = tf.getBackend();
  if (!ok || backend !== name) {
    reason = reason ?? `the ${name} backend could not be initialised`;
    return { ok: false, backend, reason };
  }
  configureDeterminism();
  // the model budget follows the backend (budget.ts): a tab's WebGPU also has its device's own buffer limit
  // (in Node the CPU backend has the process's memory: the CLI's budget; wasm keeps a tab's, its
  // heap is 32-bit)
  const inNode = typeof process !== 'undefined' && !!process.versions?.node && typeof window === 'undefined';
  setBudget(budgetFor(inNode && backend === 'cpu' ? 'node' : backend, backend === 'webgpu' ? webgpuBufferLimit() : undefined));
  return { ok: true, backend };
}

/** The WebGPU device's largest buffer a kernel can bind, when tfjs exposes its device. */
function webgpuBufferLimit(): number | undefined {
  const limits = (tf.backend() as unknown as { device?: { limits?: { maxStorageBufferBindingSize?: number; maxBufferSize?: number } } }).device?.limits;
  if (!limits) return undefined;
  const both = [limits.maxStorageBufferBindingSize, limits.maxBufferSize].filter((n): n is number => typeof n === 'number' && n > 0);
  return both.length ? Math.min(both[0], both[both.length - 1]) : undefined;
}
