// Choosing the tfjs backend in the worker, and saying plainly why WebGPU is not in use.
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../engine/backend';
import { startWasm, wasmInfo } from './wasm-files';
import { wasmLabel } from './wasm-threads';
import type { BackendInfo, BackendName } from './protocol';

// After WebGPU, WebAssembly: measured faster than WebGL and far faster than the CPU backend
// for training here (docs/performance.md "Peers").
const ORDER: BackendName[] = ['webgpu', 'wasm', 'webgl', 'cpu'];

/** Why WebGPU cannot start here, or null when an adapter is available; plus the adapter's name. */
async function probeWebGpu(): Promise<{ reason: string | null; adapter?: string }> {
  const gpu = (globalThis.navigator as Navigator & { gpu?: GPU }).gpu;
  if (!gpu) return { reason: 'this browser does not expose WebGPU (navigator.gpu is missing; it needs a recent Chrome, a secure context, and WebGPU not turned off)' };
  try {
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (!adapter) return { reason: 'the browser found no WebGPU adapter (no supported GPU, or the GPU is blocklisted)' };
    const info = adapter.info;
    const adapter_ = [info?.vendor, info?.architecture, info?.description].filter(Boolean).join(' ').trim();
    return { reason: null, adapter: adapter_ || 'unknown adapter' };
  } catch (e) {
    return { reason: `requesting a WebGPU adapter failed: ${e instanceof Error ? e.message : String(e)}` };
  }
}

/** Tries the requested backend, then the next ones in ORDER; reports what runs and why. */
export async function initBackend(requested: BackendName = 'webgpu'): Promise<BackendInfo> {
  let reason: string | undefined;
  let adapter: string | undefined;
  const start = Math.max(0, ORDER.indexOf(requested));
  for (const name of ORDER.slice(start)) {
    if (name === 'webgpu') {
      const probe = await probeWebGpu();
      if (probe.reason) {
        reason = reason ?? probe.reason;
        continue;
      }
      adapter = probe.adapter;
    }
    if (name === 'webgl' && typeof OffscreenCanvas === 'undefined') {
      reason = reason ?? 'WebGL needs OffscreenCanvas in a worker, which this browser lacks';
      continue;
    }
    const r = name === 'wasm' ? await startWasm(() => useBackend(name)) : await useBackend(name);
    if (r.ok) {
      const info: BackendInfo = { requested, backend: tf.getBackend(), ok: name === requested, reason: name === requested ? undefined : reason, adapter: name === 'webgpu' ? adapter : undefined };
      if (name === 'wasm') info.wasm = await wasmInfo();
      return info;
    }
    reason = reason ?? r.reason;
  }
  return { requested, backend: tf.getBackend(), ok: false, reason: reason ?? 'no backend could be started' };
}

/** What a checkpoint records as its device: "webgpu: <adapter>", "wasm: SIMD, 2 threads". */
export function deviceLabel(info: BackendInfo | null): string {
  if (!info) return tf.getBackend();
  const detail = info.adapter ?? (info.wasm ? wasmLabel(info.wasm) : undefined);
  return detail ? `${info.backend}: ${detail}` : info.backend;
}
