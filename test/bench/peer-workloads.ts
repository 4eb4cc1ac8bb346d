// Workloads A and B of the peers comparison (test/bench/peers.ts in Node, browser-peers.ts in the
// bench worker): tabtrain's trainer for each, with the same math as the other sides (AdamW,
// weight decay 0.01, clipping at 1, no dropout). Browser-safe: no Node imports.
import { makeConfig, type RunConfig } from '../../src/engine/config';
import { Rng } from '../../src/engine/rng';
import { Trainer } from '../../src/engine/trainer';
import type { Dataset, TextDataset } from '../../src/engine/data/types';
import { tabular } from '../support/synthetic';

export type Workload = 'A' | 'B';
export const WORKLOADS: Workload[] = ['A', 'B'];
export const WORKLOAD_LABELS: Record<Workload, string> = {
  A: 'A: mlp 64-256-256-10, batch 256',
  B: 'B: transformer vocab 65, ctx 64, d 64, 2 layers, 4 heads, batch 16',
};

/** 64K characters over 65 distinct ones, pseudo-random (speed does not depend on the text). */
function text65(): TextDataset {
  const vocab = Array.from({ length: 65 }, (_, i) => String.fromCharCode(48 + i));
  const rng = Rng.fromSeed(5);
  const ids = Int32Array.from({ length: 65536 }, () => Math.floor(rng.nextFloat() * 65));
  return { kind: 'text', ids, vocab, notes: [], fingerprint: { sha256: 'b'.repeat(64), summary: 'synthetic text, 65 characters', shape: { chars: ids.length } } };
}

export function datasetFor(w: Workload): Dataset {
  return w === 'A' ? tabular(4096, 64, 10, 7) : text65();
}

/**
 * The workload's run config. Timed runs keep the defaults (a far target, the loss read every 10
 * steps, no evaluation); the GPU bench's determinism checks (test/gpu/) end at `steps`, log every
 * loss and evaluate on the way, so more of the state is compared.
 */
export function configFor(w: Workload, ds: Dataset, o: { steps?: number; evalEvery?: number; logEvery?: number } = {}): RunConfig {
  const model = w === 'A' ? { family: 'mlp', hidden: [256, 256], batchSize: 256 } : { family: 'charlm', contextLength: 64, dModel: 64, numLayers: 2, numHeads: 4, batchSize: 16 };
  const { steps = 1_000_000, evalEvery = 1_000_000, logEvery = 10 } = o;
  return makeConfig(ds, { optimizer: 'adamw', lr: 1e-3, weightDecay: 0.01, clipNorm: 1, dropout: 0, logEvery, evalEvery, steps, seed: 3, ...model } as Parameters<typeof makeConfig>[1]);
}

export function trainerFor(w: Workload, runId = `bench-peer-${w}`): Trainer {
  const ds = datasetFor(w);
  return Trainer.create({ config: configFor(w, ds), dataset: ds, runId });
}

/** One side of a comparison: runs k steps, all their work done, and returns the wall time in ms. */
export interface Side {
  name: string;
  run(k: number): Promise<number>;
}

/**
 * Interleaved rounds: every round runs each side for K steps back to back, the order rotated by
 * one each round, so no side always follows the same one. First a single step of each (its
 * time kept apart: compilation, first allocations), then a warm-up (see below).
 */
export async function interleaved(sides: Side[], o: { rounds: number; K: number; warmMs?: number; warmMaxMs?: number }): Promise<{ first: number[]; perRound: number[][] }> {
  const first: number[] = [];
  for (const s of sides) first.push(await s.run(1));
  // Warm-up: at least K/2 steps, and more until warmMs of stepping; then more while a warm-up
  // chunk still runs over 20% faster than the one before it, up to warmMaxMs. jax-js on wasm ran
  // its first ~40-60 MLP steps 3-10x slower than later ones in Node (measured here; most likely V8
  // tiering up its generated wasm), which a short warm-up would count against it.
  const chunk = Math.max(2, o.K >> 1);
  for (const s of sides) {
    let prev = Infinity;
    let last = await s.run(chunk);
    let spent = last;
    while (spent < (o.warmMs ?? 0) || (last < 0.8 * prev && spent < (o.warmMaxMs ?? 0))) {
      prev = last;
      last = await s.run(chunk);
      spent += last;
    }
  }
  const perRound: number[][] = sides.map(() => []);
  for (let i = 0; i < o.rounds; i++) {
    for (let j = 0; j < sides.length; j++) {
      const at = (i + j) % sides.length;
      perRound[at].push((o.K * 1000) / (await sides[at].run(o.K)));
    }
  }
  return { first, perRound };
}
