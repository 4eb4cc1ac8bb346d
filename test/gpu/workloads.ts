// Workloads A and B of the speed issue: the peers' own definitions (test/bench/peer-workloads.ts:
// same data, model, optimizer and seed), so GPU numbers line up with the peers table. That module
// imports only the engine, so the GPU bundle carries nothing more for it.
import { trainerFor as peerTrainer, type Workload } from '../bench/peer-workloads';
import type { Trainer } from '../../src/engine/trainer';

export { WORKLOADS, WORKLOAD_LABELS, configFor, datasetFor, type Workload } from '../bench/peer-workloads';

export function trainerFor(w: Workload): Trainer {
  return peerTrainer(w, `gpu-bench-${w}`);
}
