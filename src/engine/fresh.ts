// Fresh from weights: the plan for a parent checkpoint onto a new model and dataset (by meaning,
// fresh-map.ts), and the copy of what the plan loads. The worker's plan preview and the trainer
// use the same function, so the page shows exactly what a fresh run does.
import type { CkptContents } from '../ckpt/types';
import type { Dataset, ParseOptions } from './data/types';
import { planFresh, copyMapped, type FreshReport, type KeysFn } from './fresh-map';
import { axesOf, familyDef, modelTensors, type ModelSpec } from './models';
import type { AxisKey, DataSchema } from './schema';
import { keysOf } from './schema';
import type { HostTensor, StateMeta } from './state';

/** The names along each kind of axis in a dataset. */
export function datasetKeys(ds: Dataset): KeysFn {
  return (by: AxisKey) => {
    if (by === 'vocab') return ds.kind === 'text' ? ds.vocab : undefined;
    if (by === 'feature') return ds.kind === 'tabular' ? ds.featureNames : undefined;
    if (ds.kind === 'text') return undefined;
    return ds.classes.length ? ds.classes : undefined;
  };
}

/**
 * The names along each kind of axis in a checkpoint: from its schema (state version 2), else
 * from `dataset.labels` (class names or vocabulary, by the family's kind of data), else unknown.
 */
export function stateKeys(state: StateMeta): KeysFn {
  const schema: DataSchema | undefined = state.dataset.schema;
  if (schema) return (by) => keysOf(schema, by);
  const text = familyDef(state.config.model.family).data === 'text';
  const labels = state.dataset.labels;
  return (by) => (labels && labels.length && ((by === 'vocab') === text) && by !== 'feature' ? labels : undefined);
}

/**
 * What a fresh run of `spec` on `ds` takes from `parent` (no tensor data read). `state` null:
 * plain weights (no tabtrain state), whose rows have no names: tensors load by shape only.
 */
export function freshPlanFor(parent: CkptContents, state: StateMeta | null, spec: ModelSpec, ds: Dataset) {
  const model = parent.tensors.filter((t) => t.name.startsWith('model.'));
  return planFresh(model, modelTensors(spec), axesOf(spec), state ? stateKeys(state) : () => undefined, datasetKeys(ds));
}

/** Without the copy maps: what a report shows (plain data, crosses the worker boundary). */
export function reportOf(plan: ReturnType<typeof planFresh>): FreshReport {
  const { maps: _maps, ...report } = plan;
  return report;
}

/** Copies what the plan loads from `parent` into `params` / `buffers` (their fresh init otherwise). */
export function applyFreshPlan(plan: ReturnType<typeof planFresh>, parent: CkptContents, params: Map<string, HostTensor>, buffers: Map<string, HostTensor>): void {
  const byName = new Map(parent.tensors.map((t) => [t.name, t]));
  for (const [name, maps] of plan.maps) {
    const n = name.slice('model.'.length);
    const into = params.has(n) ? params : buffers;
    const cur = into.get(n)!;
    const src = byName.get(name)!;
    into.set(n, { shape: cur.shape, data: copyMapped(cur.data, cur.shape, src.data as Float32Array, src.shape, maps) });
  }
}

/** The report in lines for people (the CLI's stderr; the page renders the same fields). */
export function freshReportLines(r: FreshReport): string[] {
  const lines = [`fresh from weights: loaded ${r.loaded.length} tensors, partly loaded ${r.partial.length}, re-initialised ${r.reinitialised.length}`];
  for (const t of r.tensors) {
    const what = t.status === 'loaded' ? 'loaded' : t.status === 'partial' ? 'partly loaded' : 're-initialised';
    lines.push(`  ${what} ${t.name}${t.reason === 'same name and shape' ? '' : `: ${t.reason}`}`);
  }
  for (const n of r.ignored) lines.push(`  not used ${n}`);
  return lines;
}

/**
 * Parse options that encode new data with a parent checkpoint's statistics (fresh from weights):
 * its numeric columns' mean and std, and a regression label's. Categories and class lists are
 * the new data's own (their weights map by name).
 */
export function parentEncoding(state: StateMeta): Pick<ParseOptions, 'parentColumns' | 'parentLabelStats'> {
  const s = state.dataset.schema;
  if (s?.kind !== 'tabular') return {};
  return { parentColumns: s.columns, ...(s.labelStats ? { parentLabelStats: s.labelStats } : {}) };
}
