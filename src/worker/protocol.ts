// The types that cross the page <-> worker boundary (plain structured-cloneable data only).
// The API object itself lives in src/worker/api.ts; the page gets its type from there.
import type { ConfigOverrides } from '../engine/config';
import type { DroppedColumn, TaskKind } from '../engine/data/types';
import type { CheckpointMeta, RunRecord, RunStatus } from '../store';
import type { CheckpointKind, MetricPoint } from '../engine/state';
import type { ConfusionSummary } from '../engine/insight';

export type BackendName = 'webgpu' | 'wasm' | 'webgl' | 'cpu';

export interface BackendInfo {
  /** what was asked for. */
  requested: BackendName;
  /** what actually runs. */
  backend: string;
  /** true when `backend === requested`. */
  ok: boolean;
  /** why the requested backend is not running, in plain words. */
  reason?: string;
  /** e.g. "google swiftshader (vulkan)" for WebGPU. */
  adapter?: string;
  /** on the wasm backend: SIMD, the threads XNNPACK uses, and whether the page is isolated. */
  wasm?: { simd: boolean; threads: number; isolated: boolean };
}

/** How the dataset should be read: the choices a person makes in the preview. */
export interface DataChoices {
  label?: string;
  task?: TaskKind;
}

export interface ClassCount {
  name: string;
  count: number;
}

/** What the app understood of a dropped dataset, shown before training. */
export interface DatasetPreview {
  hash: string;
  name: string;
  kind: 'tabular' | 'image' | 'text';
  summary: string;
  bytes: number;
  choices: DataChoices;
  notes: string[];
  /** tabular */
  columns?: string[];
  label?: string;
  task?: TaskKind | 'lm';
  features?: string[];
  dropped?: DroppedColumn[];
  rows?: number;
  /** first rows as raw strings (header + up to 5 rows). */
  sampleRows?: string[][];
  /** classification */
  classes?: ClassCount[];
  /** text */
  characters?: number;
  vocabulary?: string[];
  sampleText?: string;
  /** images: a few thumbnails as RGBA (height x width x 4) per class. */
  imageSize?: { height: number; width: number; channels: number };
  thumbnails?: { label: string; width: number; height: number; rgba: Uint8ClampedArray }[];
}

export interface CheckpointSettings {
  /** write `latest` every N steps... */
  everySteps: number;
  /** ...and at least every T seconds (so a reload loses at most about T seconds). */
  everySeconds: number;
  /** keep the last K periodic checkpoints. */
  keepPeriodic: number;
  /** write a periodic checkpoint every N steps (0 = never). */
  periodicEvery: number;
}

export interface StartRunRequest {
  datasetHash: string;
  choices: DataChoices;
  overrides: ConfigOverrides;
  checkpoints: CheckpointSettings;
  name?: string;
  /** fresh runs: freeze the rows carried over by meaning (engine/freeze-rows.ts). */
  freezeKnown?: boolean;
}

export type { RunStatus };

/** A stored run as the page sees it: the store's record. */
export interface RunSummary extends RunRecord {
  /** another tab holds this run's lock and trains it now: show it busy, offer take-over later. */
  busyElsewhere?: boolean;
}

/** A stored checkpoint's metadata, as the store keeps it. */
export type CheckpointSummary = CheckpointMeta;

/** One live update of a training run. */
export type RunEvent =
  | {
      type: 'progress';
      runId: string;
      step: number;
      epoch: number;
      totalSteps: number;
      stepsPerEpoch: number;
      lr: number;
      trainLoss?: number;
      /** the training loss EMA (engine Progress.lossEma), with trainLoss. */
      lossEma?: number;
      valLoss?: number;
      valAccuracy?: number;
      stepsPerSecond: number;
      etaSeconds: number | null;
    }
  | { type: 'status'; runId: string; status: RunStatus; message?: string }
  | { type: 'checkpoint'; runId: string; checkpoint: CheckpointSummary }
  | { type: 'warning'; runId: string; message: string }
  /** text models: a sample of generated text. */
  | { type: 'sample'; runId: string; step: number; text: string }
  /** classifiers: the confusion summary on the validation split (rows = true class), bounded in size (engine/insight.ts). */
  | ({ type: 'confusion'; runId: string; step: number } & ConfusionSummary);

/** What the page shows of an imported or stored checkpoint without training. */
export interface CheckpointInspection {
  id?: string;
  kind: CheckpointKind;
  step: number;
  epoch: number;
  family: string;
  spec: Record<string, unknown>;
  parameters: number;
  tensors: { name: string; shape: number[] }[];
  datasetSummary: string;
  datasetHash: string;
  /** the data schema in one line (engine/schema.ts describeSchema). */
  schema: string;
  runId: string;
  lineage: string;
  backend: string;
  device?: string;
  createdAt: string;
  appVersion: string;
  history: MetricPoint[];
  best: MetricPoint | null;
}

/** What starting fresh (or resuming) from a checkpoint on a dataset would do. */
import type { TensorPlan } from '../engine/fresh-map';

export interface FreshPlanView {
  sameDataset: boolean;
  /** the fingerprint message: why fresh is recommended when the data changed. */
  message: string;
  /** what changed in the data since the checkpoint, in words ('same data' when nothing did). */
  change: string;
  recommend: 'resume' | 'fresh';
  /** null when resume is possible; otherwise why not (architecture mismatch names the tensors). */
  resumeBlocked: string | null;
  loaded: string[];
  /** partly loaded by meaning (some rows from the checkpoint), with which. */
  partial: { name: string; reason: string }[];
  reinitialised: { name: string; reason: string }[];
  ignored: string[];
  /** every tensor's fate in model order (engine/fresh-map.ts TensorPlan). */
  tensors: TensorPlan[];
}
