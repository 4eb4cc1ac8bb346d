// The page's shared state, in one store: the stored runs (with their live step and status), what
// the page saw of each run's training, the dataset in the preview, the run in the live view, and
// how many checkpoints each run wrote since the page opened. App writes it (worker events through
// `applyEvent`, run lists through `withLiveSteps`); the run list, live view, checkpoint browser,
// interrupted-run banners and storage panel subscribe to the slices they draw. Pure data: no DOM.
import type { DatasetPreview, RunEvent, RunSummary } from '../worker/protocol';
import { createStore, type Store } from './store';
import { addPoint, emptyTrace, type Trace } from './trace';

type Progress = Extract<RunEvent, { type: 'progress' }>;
export type Confusion = Extract<RunEvent, { type: 'confusion' }>;

/** Everything the page keeps about a run's live state (per run, so switching views is instant). */
export interface RunLive {
  /**
   * The curves. Append-only and shared between versions of this record: `addPoint` extends it in
   * place (copying a long run's curves on every event would cost more than drawing them), while
   * the record around it is new on every change, which is what subscribers compare.
   */
  trace: Trace;
  last: Progress | null;
  sample: { step: number; text: string } | null;
  confusion: Confusion | null;
  warnings: readonly string[];
  /** true once the trace holds the run's history from its newest checkpoint (or live events from step 0). */
  seeded: boolean;
}

export function emptyLive(): RunLive {
  return { trace: emptyTrace(), last: null, sample: null, confusion: null, warnings: [], seeded: false };
}

export interface PageState {
  /** Every stored run in listRuns' order (newest first), live step and status patched in. */
  runs: readonly RunSummary[];
  /** What the page saw of each run's training since it opened (or seeded from a checkpoint). */
  lives: ReadonlyMap<string, RunLive>;
  /** The dataset in the preview: the next run trains on it. */
  preview: DatasetPreview | null;
  /** The run in the live view (pressed in the run list); it may since have been deleted. */
  selected: string | null;
  /** Checkpoints written per run since the page opened: a change means "list them again". */
  checkpointWrites: ReadonlyMap<string, number>;
}

export type PageStore = Store<PageState>;

export function createPageStore(): PageStore {
  return createStore<PageState>({ runs: [], lives: new Map(), preview: null, selected: null, checkpointWrites: new Map() });
}

export function runById(s: PageState, id: string | null): RunSummary | undefined {
  return id === null ? undefined : s.runs.find((r) => r.id === id);
}

/** A patch replacing run `id`'s live record by `fn(current)` (an empty one if there is none). */
export function patchLive(s: PageState, id: string, fn: (l: RunLive) => Partial<RunLive>): Pick<PageState, 'lives'> {
  const old = s.lives.get(id) ?? emptyLive();
  return { lives: new Map(s.lives).set(id, { ...old, ...fn(old) }) };
}

/** A patch dropping run `id`'s live record (deleted, or imported again: its history starts over). */
export function dropLive(s: PageState, id: string): Pick<PageState, 'lives'> {
  const lives = new Map(s.lives);
  lives.delete(id);
  return { lives };
}

/** A patch changing one run's summary; no change when the run is not listed (yet). */
export function patchRun(s: PageState, id: string, patch: Partial<RunSummary>): Partial<PageState> {
  if (!s.runs.some((r) => r.id === id)) return {};
  return { runs: s.runs.map((r) => (r.id === id ? { ...r, ...patch } : r)) };
}

/** What one event from the worker changes in the page state. */
export function applyEvent(s: PageState, e: RunEvent): Partial<PageState> {
  switch (e.type) {
    case 'progress':
      return {
        ...patchRun(s, e.runId, { step: e.step, epoch: e.epoch, totalSteps: e.totalSteps }),
        ...patchLive(s, e.runId, (l) => {
          addPoint(l.trace, { step: e.step, lr: e.lr, trainLoss: e.trainLoss, lossEma: e.lossEma, valLoss: e.valLoss, valAccuracy: e.valAccuracy });
          return { last: e };
        }),
      };
    case 'status':
      return patchRun(s, e.runId, { status: e.status, lastError: e.message });
    case 'checkpoint':
      return { checkpointWrites: new Map(s.checkpointWrites).set(e.runId, (s.checkpointWrites.get(e.runId) ?? 0) + 1) };
    case 'warning':
      return patchLive(s, e.runId, (l) => (l.warnings.includes(e.message) ? {} : { warnings: [...l.warnings, e.message] }));
    case 'sample':
      return patchLive(s, e.runId, () => ({ sample: { step: e.step, text: e.text } }));
    case 'confusion':
      return patchLive(s, e.runId, () => ({ confusion: e }));
  }
}

/**
 * Runs as listed from storage, for the state. The stored record lags the live events by up to a
 * checkpoint interval: a running run keeps the newer step the page already saw.
 */
export function withLiveSteps(listed: RunSummary[], lives: ReadonlyMap<string, RunLive>): RunSummary[] {
  return listed.map((r) => {
    const last = lives.get(r.id)?.last;
    return last && r.status === 'running' && last.step > r.step ? { ...r, step: last.step, epoch: last.epoch } : r;
  });
}
