// The worker API as the page sees it: its type comes from the implementation (STYLE.md: one
// typed worker API), wrapped by comlink so every call is async.
import type { Remote } from 'comlink';
import type { TrainerApi } from '../worker/api';
import type { RunEvent } from '../worker/protocol';

export type Api = Remote<TrainerApi>;
export type OnEvent = (e: RunEvent) => void;
export type { ModelFamily as Family } from '../engine/models';
export type Defaults = Awaited<ReturnType<TrainerApi['defaults']>>;
export type DatasetListing = Awaited<ReturnType<TrainerApi['listDatasets']>>[number];
export type ImportResult = Awaited<ReturnType<TrainerApi['importCheckpoint']>>;
export type { ResumeOverrides } from '../engine/session';
