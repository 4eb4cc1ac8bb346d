// What the panels share: the worker API, the one proxied event handler, and the page-wide
// reactions (error banner, status line, refreshes). app.ts builds it; panels only use it.
import type { ProxyMarked } from 'comlink';
import type { DataChoices, DatasetPreview, RunSummary } from '../worker/protocol';
import type { Api, OnEvent } from './api';
import type { RunFormValues } from './run-form';

export interface Ctx {
  api: Api;
  /** Passed to every call that trains; routes events to the run list and the live view. */
  onEvent: OnEvent & ProxyMarked;
  error(e: unknown): void;
  say(msg: string): void;
  /** A run started or resumed: refresh the list, show it live, show its warnings. */
  runStarted(runId: string, warnings?: string[]): Promise<void>;
  refreshRuns(): Promise<void>;
  refreshStorage(): void;
  /** The dataset in the preview, if any. */
  preview(): DatasetPreview | null;
  /** The form's training settings (no model sizes), when the form is loaded for `datasetHash`. */
  formTraining(datasetHash: string): RunFormValues | null;
  run(id: string): RunSummary | undefined;
}

/** How a run parsed its dataset, so a plan on the same data reads it the same way. */
export function choicesOf(run: RunSummary | undefined): DataChoices {
  const d = run?.config?.data;
  return d ? { label: d.label, task: d.task } : {};
}
