// Switch for the engine's own WebGPU kernels (src/engine/optim/fused-webgpu.ts and
// src/engine/fused/: clipping, softmax cross-entropy, dense, layer norm, attention). On by default; off
// gives tfjs' one-kernel-per-op path, for comparison and as a way out if a GPU mis-runs them.
// A run resumed with the other setting continues, but not bit-identically (like a backend change).

let fused = true;

export function setFusedKernels(on: boolean): void {
  fused = on;
}

export function fusedKernels(): boolean {
  return fused;
}
