// WebGPU in Node from Dawn's Node bindings (the `webgpu` npm package, `dawn.node`): what
// tfjs's WebGPU backend needs to register outside a browser, and the counters the GPU bench
// reads. tfjs-backend-webgpu registers its backend on import only when `navigator.gpu`
// exists, so installDawn() must run before that import (bench-dawn.ts imports it dynamically).
import { create, globals } from 'webgpu';
import type { CountedClasses } from './counter';

export interface AdapterSummary {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter?: boolean;
  /** a few limits that bound what tfjs can bind. */
  limits: { maxStorageBufferBindingSize: number; maxBufferSize: number; maxComputeWorkgroupStorageSize: number };
  features: string[];
}

/**
 * Puts Dawn's GPU object at `navigator.gpu` and the WebGPU classes (GPUBufferUsage, ...) on
 * globalThis, as a browser has them. `flags` are Dawn's own (the package's README): e.g.
 * `backend=vulkan`, `adapter=NAME`, `enable-dawn-features=...`.
 */
export function installDawn(flags: string[]): GPU {
  Object.assign(globalThis, globals);
  const gpu = create(flags);
  const g = globalThis as { navigator?: object };
  // Node 21+ has a navigator of its own (without gpu); Node 20 has none.
  if (g.navigator) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true, writable: true });
  else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  return gpu;
}

/** The adapter tfjs will get (it asks for high-performance too), described; throws a clear error when there is none. */
export async function describeAdapter(gpu: GPU): Promise<AdapterSummary> {
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) {
    throw new Error(
      'Dawn found no WebGPU adapter. On Linux it needs a Vulkan driver: the NVIDIA driver\'s Vulkan ICD ' +
        '(nvidia_icd.json under /usr/share/vulkan/icd.d or /etc/vulkan/icd.d, or VK_ICD_FILENAMES pointing at one) ' +
        'and a Vulkan loader (libvulkan.so.1; the bundle carries one). Set DAWN_FLAGS=adapter=x to make Dawn list what it sees.',
    );
  }
  const i = adapter.info;
  const l = adapter.limits;
  return {
    vendor: i.vendor,
    architecture: i.architecture,
    device: i.device,
    description: i.description,
    isFallbackAdapter: (i as GPUAdapterInfo & { isFallbackAdapter?: boolean }).isFallbackAdapter,
    limits: { maxStorageBufferBindingSize: l.maxStorageBufferBindingSize, maxBufferSize: l.maxBufferSize, maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize },
    features: [...adapter.features].sort(),
  };
}

/** Dawn's classes, for countDispatches (counter.ts). */
export const dawnClasses = globals as unknown as CountedClasses;
