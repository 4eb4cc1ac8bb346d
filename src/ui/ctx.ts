// What the panels share: the worker API, the one proxied event handler, the page state (store),
// and the page-wide reactions (error banner, status line, refreshes). app.ts builds it; panels
// only use it.
import type { ProxyMarked } from 'comlink';
import { StoreError } from '../errors';
import type { DataChoices, RunSummary } from '../worker/protocol';
import type { Api, OnEvent } from './api';
import type { PageStore } from './page-state';
import type { RunFormValues } from './run-form';

export interface Ctx {
  api: Api;
  /** The page state: runs, live progress, the previewed dataset, the selection (page-state.ts). */
  store: PageStore;
  /** Passed to every call that trains; writes its events into the page state. */
  onEvent: OnEvent & ProxyMarked;
  error(e: unknown): void;
  /** Hides the error banner (a new attempt is under way). */
  clearError(): void;
  say(msg: string): void;
  /** A run started or resumed: refresh the list, show it live, show its warnings. */
  runStarted(runId: string, warnings?: string[]): Promise<void>;
  refreshRuns(): Promise<void>;
  refreshStorage(): void;
  /** The form's training settings (no model sizes), when the form is loaded for `datasetHash`. */
  formTraining(datasetHash: string): RunFormValues | null;
}

/** How a run parsed its dataset, so a plan on the same data reads it the same way. */
export function choicesOf(run: RunSummary | undefined): DataChoices {
  const d = run?.config?.data;
  return d ? { label: d.label, task: d.task } : {};
}

/** Where a checkpoint lives: rolling kinds (latest, best) get a new id on every write. */
export interface CheckpointSlot {
  runId: string;
  kind: string;
}

/** latest, best and final are slots: a newer save of the kind replaces the file (retention keeps one). */
export const isRolling = (kind: string): boolean => kind !== 'periodic';

/**
 * Calls `fn` with the id of the checkpoint now in `slot` (or `id` for a periodic one). While a
 * run trains, its `latest` and `best` are replaced every few seconds, and a resumed run that
 * finishes replaces `final`: a call that lands just after a replacement is retried once with
 * the new id.
 */
export async function withCheckpoint<T>(api: Api, id: string, slot: CheckpointSlot | undefined, fn: (id: string) => Promise<T>): Promise<T> {
  const rolling = slot && isRolling(slot.kind);
  const current = async () => {
    if (!rolling) return id;
    const list = await api.listCheckpoints(slot.runId);
    const same = list.filter((c) => c.kind === slot.kind).sort((a, b) => b.step - a.step)[0];
    return same?.id ?? id;
  };
  try {
    return await fn(await current());
  } catch (e) {
    if (!rolling || !checkpointGone(e)) throw e;
    return fn(await current());
  }
}

/** The worker could not find the checkpoint (it arrives as a StoreError: src/worker/wire-errors.ts). */
function checkpointGone(e: unknown): boolean {
  return e instanceof StoreError && e.code === 'not_found' && e.details.what === 'checkpoint';
}
