// The page's handle on the training worker.
import { wrap, type Remote } from 'comlink';
import type { TrainerApi } from './api';

export function createTrainerClient(): { api: Remote<TrainerApi>; worker: Worker } {
  const worker = new Worker(new URL('./trainer.worker.ts', import.meta.url), { type: 'module', name: 'tabtrain-trainer' });
  return { api: wrap<TrainerApi>(worker), worker };
}

/** comlink rebuilds thrown errors as plain Errors with the worker's name and message; keep them readable. */
export function rebuildError(e: unknown): Error {
  if (e instanceof Error) return e;
  const o = e as { name?: string; message?: string };
  const err = new Error(o?.message ?? String(e));
  if (o?.name) err.name = o.name;
  return err;
}
