// Starting, resuming and running a training session: the part the worker and the CLI share
// (checkpoint policy, resume/fresh decisions), so neither front end carries engine logic.
import { compareFingerprints } from '../ckpt/compat';
import type { CkptContents } from '../ckpt/types';
import { makeConfig, type ConfigOverrides, type RunConfig, type Target } from './config';
import type { Dataset } from './data/types';
import { validateState, type CheckpointKind, type StateMeta } from './state';
import { Trainer, type Progress } from './trainer';

/** What a person may change when resuming; everything else comes from the checkpoint. */
export interface ResumeOverrides {
  steps?: number;
  epochs?: number;
  lr?: number;
  batchSize?: number;
  /** stretch a cosine schedule over the new length (otherwise it stays at its floor past the old end). */
  reschedule?: boolean;
}

/** The stored config with the allowed changes applied, and a warning for each deliberate change. */
export function resumeConfig(saved: RunConfig, o: ResumeOverrides): { config: RunConfig; warnings: string[] } {
  const warnings: string[] = [];
  const config: RunConfig = structuredClone(saved);
  if (o.steps !== undefined || o.epochs !== undefined) config.target = { steps: o.steps, epochs: o.epochs };
  if (o.lr !== undefined && o.lr !== saved.optimizer.lr) {
    warnings.push(`learning rate changed from ${saved.optimizer.lr} to ${o.lr}: the run will no longer match an uninterrupted one`);
    config.optimizer = { ...config.optimizer, lr: o.lr };
  }
  if (o.batchSize !== undefined && o.batchSize !== saved.batchSize) {
    warnings.push(`batch size changed from ${saved.batchSize} to ${o.batchSize}: the position inside the epoch is kept in samples, and the run will no longer match an uninterrupted one`);
    config.batchSize = o.batchSize;
  }
  if (o.reschedule && config.schedule.kind === 'cosine' && config.target.steps !== undefined) {
    warnings.push(`cosine schedule stretched from ${config.schedule.totalSteps} to ${config.target.steps} steps`);
    config.schedule = { ...config.schedule, totalSteps: config.target.steps };
  }
  return { config, warnings };
}

import { ResumeRefused } from '../errors'; // one kind of the error family (src/errors.ts)
export { ResumeRefused };

/**
 * Resume a run from a checkpoint on this dataset. A changed dataset is refused unless `force`:
 * the optimizer moments, schedule and data order belong to the old data; fresh-from-weights is
 * the right flow (how Python trainers handle a changed dataset; docs/engine.md "Resume or fresh"). A different architecture is always refused.
 */
export function resumeSession(ckpt: CkptContents, ds: Dataset, o: ResumeOverrides & { force?: boolean; device?: string } = {}): Trainer {
  const state = validateState(ckpt.state);
  const fp = compareFingerprints(state.dataset.fingerprint, ds.fingerprint);
  if (!fp.same && !o.force) throw new ResumeRefused(fp.message);
  const { config, warnings } = resumeConfig(state.config, o);
  const t = Trainer.resume(ckpt, ds, config, o.device);
  t.warnings.push(...warnings);
  return t;
}

/** A new run that takes only the weights from `ckpt`; the model keeps the checkpoint's architecture,
 *  resized where the data demands (new classes, bigger vocabulary). */
export function freshSession(ckpt: CkptContents, ds: Dataset, o: ConfigOverrides, data: RunConfig['data'] = {}, device?: string): Trainer {
  const state: StateMeta = validateState(ckpt.state);
  const config = makeConfig(ds, { family: state.config.model.family, ...o }, data, state.config.model);
  return Trainer.create({ config, dataset: ds, freshFrom: ckpt, device });
}

export interface CheckpointPolicy {
  /** write `latest` every N steps (0 = never by steps). */
  everySteps: number;
  /** ...and also whenever this many seconds passed since the last write (0 = never by time). */
  everySeconds: number;
  /** also write `best` when the validation loss improves. */
  best: boolean;
  /** write a `periodic` checkpoint every N steps (0 = never); the store keeps the last K. */
  periodicEvery?: number;
}

export type SaveFn = (contents: CkptContents, kind: CheckpointKind) => Promise<void>;

/**
 * Trains to the target, saving by the policy, and a `final` checkpoint at the end. Returns
 * 'stopped' when shouldStop() asked for it (the caller decides whether to save then).
 */
export async function runSession(
  t: Trainer,
  opts: {
    policy: CheckpointPolicy;
    save: SaveFn;
    target?: Target;
    onProgress?: (p: Progress) => void;
    shouldStop?: () => boolean;
    now?: () => number;
    /** extra work after each step, e.g. yielding to the worker's message loop. */
    afterStep?: () => Promise<void> | void;
    /**
     * Write `latest`/`periodic`/`best` checkpoints in the background: the snapshot (device
     * copies + state) is taken at the step as always, then the readback and `save` run while
     * the next steps train, one write at a time (a checkpoint due while the previous one is
     * still writing waits for it). A failed write is thrown from the next step, and everything
     * is written before runSession returns; the `final` checkpoint is written in the foreground.
     * `save` then runs some steps after the snapshot: it must take the step, epoch and metrics
     * from `contents.state`, not from the live trainer. Off by default.
     */
    overlap?: boolean;
  },
): Promise<'done' | 'stopped'> {
  const now = opts.now ?? (() => Date.now());
  let lastSave = now();
  let lastSavedStep = t.step;
  let bestStep = t.best?.step ?? -1;
  let inFlight: Promise<void> = Promise.resolve();
  let failed: { error: unknown } | null = null;
  const write = async (kind: CheckpointKind) => {
    if (!opts.overlap) return opts.save(await t.snapshot(kind), kind);
    await inFlight;
    if (failed) throw failed.error;
    // snapshot() takes the device copies and the state synchronously, before its first await:
    // the checkpoint holds exactly this step even though training goes on meanwhile.
    const contents = t.snapshot(kind);
    inFlight = contents.then((c) => opts.save(c, kind)).catch((error: unknown) => void (failed ??= { error }));
  };
  let result: 'done' | 'stopped';
  try {
    result = await t.train({
      target: opts.target,
      onProgress: opts.onProgress,
      shouldStop: opts.shouldStop,
      afterStep: async () => {
        if (failed) throw failed.error;
        const p = opts.policy;
        const bySteps = p.everySteps > 0 && t.step - lastSavedStep >= p.everySteps;
        const byTime = p.everySeconds > 0 && now() - lastSave >= p.everySeconds * 1000;
        if (bySteps || byTime) {
          await write('latest');
          lastSave = now();
          lastSavedStep = t.step;
        }
        if (p.periodicEvery && t.step % p.periodicEvery === 0) await write('periodic');
        if (p.best && t.best && t.best.step !== bestStep && t.best.step === t.step) {
          bestStep = t.step;
          await write('best');
        }
        await opts.afterStep?.();
      },
    });
  } finally {
    // Never leave a background write running past the session (the caller disposes the trainer).
    await inFlight;
  }
  if (failed) throw (failed as { error: unknown }).error;
  if (result === 'done') await opts.save(await t.snapshot('final'), 'final');
  return result;
}
