// Workloads A and B of the speed issue, exactly as test/bench/peers.ts builds them (same data,
// model, optimizer and seed), so GPU numbers line up with the peers table. Kept here rather
// than imported: peers.ts also loads the wasm backend and spawns PyTorch, which the GPU bundle
// neither needs nor carries.
import { makeConfig, type RunConfig } from '../../src/engine/config';
import type { Dataset, TextDataset } from '../../src/engine/data/types';
import { Rng } from '../../src/engine/rng';
import { Trainer } from '../../src/engine/trainer';
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
 * The workload's run config. The bench's timed runs keep the defaults (a far target, the loss
 * read every 10 steps, no evaluation: as peers.ts); the determinism checks end at `steps`,
 * log every loss and evaluate on the way, so more of the state is compared.
 */
export function configFor(w: Workload, ds: Dataset, o: { steps?: number; evalEvery?: number; logEvery?: number } = {}): RunConfig {
  const model = w === 'A' ? { family: 'mlp', hidden: [256, 256], batchSize: 256 } : { family: 'charlm', contextLength: 64, dModel: 64, numLayers: 2, numHeads: 4, batchSize: 16 };
  const { steps = 1_000_000, evalEvery = 1_000_000, logEvery = 10 } = o;
  return makeConfig(ds, { optimizer: 'adamw', lr: 1e-3, weightDecay: 0.01, clipNorm: 1, dropout: 0, logEvery, evalEvery, steps, seed: 3, ...model } as Parameters<typeof makeConfig>[1]);
}

export function trainerFor(w: Workload): Trainer {
  const ds = datasetFor(w);
  return Trainer.create({ config: configFor(w, ds), dataset: ds, runId: `gpu-bench-${w}` });
}
