// The page's handle on the training worker.
import { wrap, type Remote } from 'comlink';
import type { TrainerApi } from './api';
import { installErrorTransfer } from './wire-errors';

export function createTrainerClient(): { api: Remote<TrainerApi>; worker: Worker } {
  installErrorTransfer(); // errors thrown in the worker arrive as their TabtrainError kind
  const worker = new Worker(new URL('./trainer.worker.ts', import.meta.url), { type: 'module', name: 'tabtrain-trainer' });
  return { api: wrap<TrainerApi>(worker), worker };
}
