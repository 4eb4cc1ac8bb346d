// Active training runs in this worker: the loop, checkpoint writes into IndexedDB, and the
// events the page draws from. One run trains at a time (one GPU); others wait paused.
import type { CkptContents } from '../ckpt/types';
import { getRun, putRun, saveCheckpointContents, spaceWarning, storageEstimate, StoreFullError, type RunRecord } from '../store';
import { confusionMatrix, generateText } from '../engine/insight';
import { runSession } from '../engine/session';
import type { CheckpointKind, StateMeta } from '../engine/state';
import { DivergedError, type Trainer } from '../engine/trainer';
import { stepDelay } from './faults';
import type { CheckpointSettings, CheckpointSummary, RunEvent, RunStatus } from './protocol';

type Listener = (e: RunEvent) => void;

export interface ActiveRun {
  id: string;
  trainer: Trainer;
  settings: CheckpointSettings;
  listeners: Set<Listener>;
  stopRequest: 'pause' | 'stop' | null;
  done: Promise<void>;
  /** releases the run's Web Lock (locks.ts) when the loop ends. */
  release: () => void;
  /** the nearly-full warning was given in this session (once is enough). */
  spaceWarned?: boolean;
}

export const active = new Map<string, ActiveRun>();

/** Statuses that could not be stored (full disk): listRuns shows these over the stored record. */
export const unsavedStatus = new Map<string, { status: RunStatus; lastError?: string }>();

/** A macrotask without the 4 ms clamp of nested setTimeout: lets comlink calls (pause, stop) in. */
const yieldToEvents = () =>
  new Promise<void>((resolve) => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => resolve();
    ch.port2.postMessage(null);
  });

/** After each step: yield; in development builds, sleep instead when a test set a step delay (faults.ts). */
const afterStep = () => (import.meta.env.DEV ? (stepDelay() ?? yieldToEvents()) : yieldToEvents());

function emit(run: ActiveRun, e: RunEvent): void {
  for (const l of run.listeners) {
    try {
      l(e);
    } catch {
      run.listeners.delete(l); // the page went away
    }
  }
}

async function updateRecord(id: string, patch: Partial<RunRecord>): Promise<void> {
  const rec = await getRun(id);
  if (!rec) return;
  await putRun({ ...rec, ...patch, updatedAt: new Date().toISOString() });
}

/**
 * Writes one checkpoint. Checkpoints are written in the background (runSession's `overlap`), so
 * the trainer may be steps ahead by now: step, epoch and best come from the snapshot's state.
 */
async function saveCkpt(run: ActiveRun, contents: CkptContents, kind: CheckpointKind): Promise<void> {
  const state = contents.state as unknown as StateMeta;
  const best = state.metrics.best;
  const meta = {
    id: globalThis.crypto.randomUUID(),
    runId: run.id,
    kind,
    step: state.step,
    epoch: state.cursor.epoch,
    createdAt: new Date().toISOString(),
    valLoss: kind === 'best' ? (best?.valLoss ?? undefined) : undefined,
  };
  const saved = await saveCheckpointContents(meta, contents, { keepPeriodic: run.settings.keepPeriodic });
  await updateRecord(run.id, { step: state.step, epoch: state.cursor.epoch, best });
  const c: CheckpointSummary = { ...saved.meta };
  emit(run, { type: 'checkpoint', runId: run.id, checkpoint: c });
  if (!run.spaceWarned) {
    const warning = spaceWarning(await storageEstimate(), saved.meta.bytes);
    if (warning) {
      run.spaceWarned = true;
      emit(run, { type: 'warning', runId: run.id, message: warning });
    }
  }
}

/** Starts the training loop of a created or resumed trainer; returns at once. */
export function launch(id: string, trainer: Trainer, settings: CheckpointSettings, release: () => void, listener?: Listener): ActiveRun {
  for (const other of active.values()) other.stopRequest = other.stopRequest ?? 'pause';
  const run: ActiveRun = { id, trainer, settings, listeners: new Set(listener ? [listener] : []), stopRequest: null, done: Promise.resolve(), release };
  active.set(id, run);
  run.done = loop(run);
  return run;
}

async function loop(run: ActiveRun): Promise<void> {
  const t = run.trainer;
  // Wait for any other run in this worker to reach its pause checkpoint first.
  for (const other of [...active.values()]) if (other !== run) await other.done;
  const setStatus = async (status: RunStatus, message?: string) => {
    try {
      await updateRecord(run.id, { status, step: t.step, epoch: t.epoch, best: t.best, lastError: message });
      unsavedStatus.delete(run.id);
    } catch {
      unsavedStatus.set(run.id, { status, lastError: message });
      // Storage refuses writes (full disk): the page still hears it, and the stored record
      // (still 'running') reads as interrupted after a reload, which is true.
    }
    emit(run, { type: 'status', runId: run.id, status, message });
  };
  await setStatus('running');
  for (const w of t.warnings) emit(run, { type: 'warning', runId: run.id, message: w });
  const window: { step: number; time: number }[] = [];
  let lastEmit = 0;
  try {
    const result = await runSession(t, {
      policy: { everySteps: run.settings.everySteps, everySeconds: run.settings.everySeconds, best: true, periodicEvery: run.settings.periodicEvery },
      save: (c, kind) => saveCkpt(run, c, kind),
      // Snapshot on the device at the step, read back and store while the next steps train.
      overlap: true,
      shouldStop: () => run.stopRequest !== null,
      afterStep,
      onProgress: (p) => {
        const now = performance.now();
        window.push({ step: p.step, time: now });
        while (window.length > 20) window.shift();
        const span = window.length > 1 ? (now - window[0].time) / 1000 : 0;
        const rate = span > 0 ? (p.step - window[0].step) / span : 0;
        const eval_ = p.valLoss !== undefined;
        if (p.trainLoss === undefined && !eval_ && now - lastEmit < 250) return;
        lastEmit = now;
        emit(run, {
          type: 'progress', runId: run.id, step: p.step, epoch: p.epoch, totalSteps: p.totalSteps, stepsPerEpoch: p.stepsPerEpoch, lr: p.lr,
          trainLoss: p.trainLoss, lossEma: p.lossEma, valLoss: p.valLoss, valAccuracy: p.valAccuracy, stepsPerSecond: rate,
          etaSeconds: rate > 0 && Number.isFinite(p.totalSteps) ? (p.totalSteps - p.step) / rate : null,
        });
        if (eval_) void insights(run);
      },
    });
    if (result === 'stopped') {
      await saveCkpt(run, await t.snapshot(run.stopRequest === 'stop' ? 'final' : 'latest'), run.stopRequest === 'stop' ? 'final' : 'latest');
      await setStatus(run.stopRequest === 'stop' ? 'finished' : 'paused');
    } else {
      // early stopping is the engine's decision (trainer.ts); the run says why it ended early
      await setStatus('finished', t.stopReason ? `stopped early at step ${t.step}: ${t.stopReason.message}` : undefined);
    }
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    if (e instanceof StoreFullError) await setStatus('paused', `training paused: ${message}`);
    else if (e instanceof DivergedError) await setStatus('diverged', `${message}; the last good checkpoint is kept`);
    else await setStatus('failed', message);
  } finally {
    active.delete(run.id);
    t.dispose();
    run.release();
  }
}

/** Confusion matrix or a text sample after an evaluation; never blocks training for long. */
async function insights(run: ActiveRun): Promise<void> {
  const t = run.trainer;
  const step = t.step;
  try {
    if (t.dataset.kind === 'text') {
      const text = await generateText(t, 60, step);
      if (text !== null) emit(run, { type: 'sample', runId: run.id, step, text });
    } else {
      const m = await confusionMatrix(t);
      if (m) emit(run, { type: 'confusion', runId: run.id, step, ...m });
    }
  } catch {
    /* the run was disposed meanwhile: nothing to show */
  }
}
