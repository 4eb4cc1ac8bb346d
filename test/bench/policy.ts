// The app's default checkpoint policy, mapped exactly as src/worker/runs.ts hands it to runSession.
// From the engine's defaults (the worker's DEFAULT_CHECKPOINTS copies them), not from
// src/worker/api.ts: that reaches the worker's browser-only wasm file imports, which Node cannot load.
import type { CheckpointPolicy } from '../../src/engine/session';
import { CHECKPOINT_DEFAULTS as DEFAULT_CHECKPOINTS } from '../../src/engine/defaults';

export const APP_POLICY: CheckpointPolicy = {
  everySteps: DEFAULT_CHECKPOINTS.everySteps,
  everySeconds: DEFAULT_CHECKPOINTS.everySeconds,
  best: true,
  periodicEvery: DEFAULT_CHECKPOINTS.periodicEvery,
};
export const KEEP_PERIODIC = DEFAULT_CHECKPOINTS.keepPeriodic;
