// The JSON training state stored in every checkpoint's `state` metadata (docs/engine.md).
// Everything that is not a tensor: config, position, optimizer scalars, RNG, metrics, lineage.
import { validateConfig, type RunConfig } from './config';
import type { CursorState } from './cursor';
import type { Fingerprint } from './data/types';
import type { RngState } from './rng';
import { ConfigError } from '../errors';

export type CheckpointKind = 'latest' | 'best' | 'periodic' | 'final';

export interface MetricPoint {
  step: number;
  epoch: number;
  lr?: number;
  trainLoss?: number;
  valLoss?: number;
  /** classification only. */
  valAccuracy?: number;
}

export interface Lineage {
  runId: string;
  /** how this run began: from scratch, or fresh from another checkpoint's weights. */
  origin: 'scratch' | 'fresh';
  parent?: { runId: string; step: number; fingerprint: string };
  /** steps at which this run was resumed (appended on each resume). */
  resumedAt: number[];
}

export interface TrainState {
  config: RunConfig;
  step: number;
  cursor: CursorState;
  optimizer: { kind: string; updates: number };
  schedule: { lr: number };
  rng: { algorithm: 'xoshiro128**'; state: RngState };
  metrics: { history: MetricPoint[]; best: MetricPoint | null };
  dataset: { fingerprint: Fingerprint; numTrain: number; numVal: number };
  lineage: Lineage;
  kind: CheckpointKind;
  backend: string;
  device?: string;
  appVersion: string;
  createdAt: string;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isU32 = (v: unknown) => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 0xffffffff;
const isNat = (v: unknown) => Number.isInteger(v) && (v as number) >= 0;

/**
 * Checks a state that came out of a file before the engine trusts it. The format layer has
 * already proved the bytes are what was written; this proves they make sense.
 */
export function validateState(s: unknown): TrainState {
  const fail = (what: string): never => {
    throw new ConfigError('invalid_state', `checkpoint state: ${what}`);
  };
  if (!isObj(s)) fail('not an object');
  const st = s as Record<string, unknown>;
  if (!isObj(st.config)) fail('missing config');
  const cfgErr = validateConfig(st.config as unknown as RunConfig);
  if (cfgErr) fail(`config: ${cfgErr}`);
  if (!isNat(st.step)) fail('step is not a non-negative integer');
  const c = st.cursor as Record<string, unknown>;
  if (!isObj(c) || !isNat(c.epoch) || !isNat(c.index) || !Array.isArray(c.epochRng) || c.epochRng.length !== 4 || !c.epochRng.every(isU32)) {
    fail('cursor must be {epoch, index, epochRng: four u32}');
  }
  const r = st.rng as Record<string, unknown>;
  if (!isObj(r) || r.algorithm !== 'xoshiro128**' || !Array.isArray(r.state) || r.state.length !== 4 || !r.state.every(isU32)) {
    fail('rng must be {algorithm: "xoshiro128**", state: four u32}');
  }
  const o = st.optimizer as Record<string, unknown>;
  if (!isObj(o) || !isNat(o.updates) || typeof o.kind !== 'string') fail('optimizer must be {kind, updates}');
  const m = st.metrics as Record<string, unknown>;
  if (!isObj(m) || !Array.isArray(m.history)) fail('metrics must be {history: [...], best}');
  const d = st.dataset as Record<string, unknown>;
  if (!isObj(d) || !isObj(d.fingerprint) || typeof (d.fingerprint as Record<string, unknown>).sha256 !== 'string') fail('dataset.fingerprint missing');
  const l = st.lineage as Record<string, unknown>;
  if (!isObj(l) || typeof l.runId !== 'string' || !Array.isArray(l.resumedAt)) fail('lineage must be {runId, origin, resumedAt}');
  if (!['latest', 'best', 'periodic', 'final'].includes(st.kind as string)) fail(`unknown checkpoint kind ${String(st.kind)}`);
  return s as unknown as TrainState;
}
