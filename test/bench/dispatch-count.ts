// Counts WebGPU compute dispatches in this worker: GPUComputePassEncoder.prototype's
// dispatchWorkgroups and dispatchWorkgroupsIndirect are wrapped once, before any backend
// encodes anything, so tfjs's WebGPU backend (tabtrain's engine) and jax-js are counted by the
// same counter, the same way. Read it before and after some steps of one side (the sides run
// one at a time, each ending on a readback, so every dispatch in between is that side's).
let count = 0;
let installed = false;

export function installDispatchCounter(): boolean {
  if (installed) return true;
  const P = (globalThis as { GPUComputePassEncoder?: { prototype: GPUComputePassEncoder } }).GPUComputePassEncoder?.prototype;
  if (!P) return false;
  const direct = P.dispatchWorkgroups;
  const indirect = P.dispatchWorkgroupsIndirect;
  P.dispatchWorkgroups = function (this: GPUComputePassEncoder, ...a: Parameters<GPUComputePassEncoder['dispatchWorkgroups']>) {
    count++;
    return direct.apply(this, a);
  };
  P.dispatchWorkgroupsIndirect = function (this: GPUComputePassEncoder, ...a: Parameters<GPUComputePassEncoder['dispatchWorkgroupsIndirect']>) {
    count++;
    return indirect.apply(this, a);
  };
  installed = true;
  return true;
}

export const dispatchCount = (): number => count;
