// The browser side of the peers comparison, in the bench worker: tabtrain's engine (tfjs) on
// WebGPU and on wasm, and jax-js on WebGPU with the whole step under jit (jax-models.ts), each
// a "side" the runner (run.ts, phase `browserpeers`) opens, runs for k steps in interleaved
// rounds, counts dispatches of, and closes. Dispatches are counted by one counter wrapped
// around GPUComputePassEncoder.prototype before any backend starts (dispatch-count.ts).
import * as tf from '@tensorflow/tfjs';
import { dispatchCount, installDispatchCounter } from './dispatch-count';
import { useBackend } from '../../src/engine/backend';
import type { Trainer } from '../../src/engine/trainer';
import { jaxInit, jaxTrainer, type JaxTrainer } from './jax-models';
import { now, syncRead } from './measure';
import { trainerFor, type Workload } from './peer-workloads';

const counterInstalled = installDispatchCounter();

export type BrowserSide = 'tabtrain-webgpu' | 'tabtrain-wasm' | 'jax-webgpu';

interface Open {
  run(k: number): Promise<number>;
  close(): void;
  losses: number[];
  /** WebGPU dispatches per step in the side's latest peerRun. */
  lastDispatchesPerStep?: number;
}
const open = new Map<BrowserSide, Open>();

const errText = (e: unknown) => (e instanceof Error ? `${e.name}: ${e.message}` : String(e));

function tabtrainOpen(t: Trainer): Open {
  return {
    losses: [],
    async run(k) {
      await t.train({ target: { steps: t.step + k } });
      await syncRead(t);
      return 0;
    },
    close() {
      t.dispose();
      tf.disposeVariables();
    },
  };
}

function jaxOpen(t: JaxTrainer): Open {
  const losses: number[] = [];
  return {
    losses,
    async run(k) {
      losses.push(await t.run(k));
      return 0;
    },
    close: () => t.dispose(),
  };
}

export const peerApi = {
  dispatchCounter: () => counterInstalled,
  /** Opens a side for workload w; ok false with the reason (the full error) when it cannot start. */
  async peerOpen(side: BrowserSide, w: Workload): Promise<{ ok: boolean; reason?: string }> {
    open.get(side)?.close();
    open.delete(side);
    try {
      if (side === 'jax-webgpu') {
        if (!(await jaxInit('webgpu'))) return { ok: false, reason: 'jax-js: init("webgpu") did not list webgpu among its devices' };
        open.set(side, jaxOpen(jaxTrainer(w)));
      } else {
        const backend = side === 'tabtrain-webgpu' ? 'webgpu' : 'wasm';
        const r = await useBackend(backend);
        if (!r.ok) return { ok: false, reason: `tfjs ${backend}: ${r.reason ?? 'not available'}` };
        open.set(side, tabtrainOpen(trainerFor(w)));
      }
      return { ok: true };
    } catch (e) {
      return { ok: false, reason: errText(e) };
    }
  },
  /** k steps of an open side, ending on a readback; wall time in ms. */
  async peerRun(side: BrowserSide, k: number): Promise<number> {
    const s = open.get(side);
    if (!s) throw new Error(`peer side ${side} is not open`);
    const c0 = dispatchCount();
    const t0 = now();
    await s.run(k);
    const ms = now() - t0;
    s.lastDispatchesPerStep = (dispatchCount() - c0) / k;
    return ms;
  },
  /**
   * WebGPU dispatches per step in the side's latest peerRun (the runner reads it after the last
   * steady-state round, so no extra steps are run just to count; a readback's own dispatches,
   * if any, are spread over that round's steps on both sides alike).
   */
  peerDispatches(side: BrowserSide): number {
    const s = open.get(side);
    if (!s || s.lastDispatchesPerStep === undefined) throw new Error(`peer side ${side} has not run`);
    return s.lastDispatchesPerStep;
  },
  peerLosses: (side: BrowserSide): number[] => open.get(side)?.losses ?? [],
  peerClose(side: BrowserSide): void {
    open.get(side)?.close();
    open.delete(side);
  },
};
