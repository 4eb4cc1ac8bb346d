// The app's default checkpoint policy, mapped exactly as src/worker/runs.ts hands it to runSession.
import type { CheckpointPolicy } from '../../src/engine/session';
import { DEFAULT_CHECKPOINTS } from '../../src/worker/api';

export const APP_POLICY: CheckpointPolicy = {
  everySteps: DEFAULT_CHECKPOINTS.everySteps,
  everySeconds: DEFAULT_CHECKPOINTS.everySeconds,
  best: true,
  periodicEvery: DEFAULT_CHECKPOINTS.periodicEvery,
};
export const KEEP_PERIODIC = DEFAULT_CHECKPOINTS.keepPeriodic;
