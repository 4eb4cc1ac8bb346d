// A run's curves as plain arrays, one column per step: what the live view draws. Pure data (no
// DOM, no uPlot), so the page state that holds it can be tested in Node.
import type { MetricPoint } from '../engine/state';

/** Column-wise metric history of one run, x = step. `null` where a value was not measured. */
export interface Trace {
  step: number[];
  train: (number | null)[];
  /** the training loss EMA (the engine's, state.ts Metrics.lossEma) at the logged steps. */
  ema: (number | null)[];
  val: (number | null)[];
  acc: (number | null)[];
  lr: (number | null)[];
}

export function emptyTrace(): Trace {
  return { step: [], train: [], ema: [], val: [], acc: [], lr: [] };
}

const val = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? null : v);

/**
 * Adds one point. A second report for the same step (training loss, then an evaluation) merges
 * into the same column; a step earlier than the last one (resumed from an older checkpoint)
 * drops the part of the curve that the run is about to redo.
 */
export function addPoint(t: Trace, p: Omit<MetricPoint, 'epoch'>): void {
  while (t.step.length > 0 && t.step[t.step.length - 1]! > p.step) {
    t.step.pop();
    t.train.pop();
    t.ema.pop();
    t.val.pop();
    t.acc.pop();
    t.lr.pop();
  }
  const last = t.step.length - 1;
  if (last >= 0 && t.step[last] === p.step) {
    t.train[last] = val(p.trainLoss) ?? t.train[last]!;
    t.ema[last] = val(p.lossEma) ?? t.ema[last]!;
    t.val[last] = val(p.valLoss) ?? t.val[last]!;
    t.acc[last] = val(p.valAccuracy) ?? t.acc[last]!;
    t.lr[last] = val(p.lr) ?? t.lr[last]!;
    return;
  }
  t.step.push(p.step);
  t.train.push(val(p.trainLoss));
  t.ema.push(val(p.lossEma));
  t.val.push(val(p.valLoss));
  t.acc.push(val(p.valAccuracy));
  t.lr.push(val(p.lr));
}

export function traceFromHistory(history: MetricPoint[]): Trace {
  const t = emptyTrace();
  for (const p of history) addPoint(t, p);
  return t;
}
