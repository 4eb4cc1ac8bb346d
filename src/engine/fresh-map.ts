// Fresh from weights by meaning: which parts of a parent checkpoint's tensors a new model takes.
// An axis a model family indexes by something in the data (FamilyDef.axes: a class, a vocabulary
// entry, an input feature) is mapped by name, so a head unit keeps the weights of its class
// wherever the class now sorts, an embedding row follows its character, a first-layer row its
// input column. Every other axis must match in size. Pure (no tfjs): the page's plan and the
// trainer's copy are the same computation. docs/engine.md "Fresh from weights by meaning".
import { formatShape } from '../ckpt/errors';
import type { AxisDef } from './models/types';
import type { AxisKey } from './schema';

/** One expected tensor's fate. */
export interface TensorPlan {
  /** `model.<name>`. */
  name: string;
  status: 'loaded' | 'partial' | 'reinitialised';
  reason: string;
  /** for an axis mapped by meaning: how many of its entries came from the parent, and which did not. */
  rows?: { axis: number; by: AxisKey; loaded: number; total: number; fresh: string[]; dropped: string[] };
}

export interface FreshReport {
  /** every expected tensor, in model order. */
  tensors: TensorPlan[];
  /** fully loaded (names). */
  loaded: string[];
  /** partly loaded: some rows from the parent, the rest initialised. */
  partial: { name: string; reason: string }[];
  reinitialised: { name: string; reason: string }[];
  /** parent `model.*` tensors the new model has no place for. */
  ignored: string[];
  /**
   * Per parameter (no `model.` prefix), the rows carried over by meaning, per mapped axis: what
   * --freeze-known freezes (an element is frozen when its index on every listed axis is known).
   */
  known: Record<string, { axis: number; index: number[] }[]>;
}

/** Names along a keyed axis, for the parent and the new data; undefined where unknown. */
export type KeysFn = (by: AxisKey) => string[] | undefined;

const WORD: Record<AxisKey, [string, string]> = { class: ['class', 'classes'], vocab: ['character', 'characters'], feature: ['input column', 'input columns'] };
const show = (xs: string[]) => xs.slice(0, 6).map((x) => JSON.stringify(x)).join(', ') + (xs.length > 6 ? `, ... (${xs.length})` : '');

interface Mapped {
  plan: TensorPlan;
  /** per axis: new index -> parent index, or -1 (initialised). Absent when nothing loads. */
  maps?: Int32Array[];
  /** the axes mapped by name. */
  byName?: number[];
}

/** Plans one tensor. `parent` is the parent's shape, or undefined when it has no such tensor. */
function planTensor(name: string, shape: readonly number[], parent: readonly number[] | undefined, axes: AxisDef[], parentKeys: KeysFn, newKeys: KeysFn): Mapped {
  const full = `model.${name}`;
  const reinit = (reason: string): Mapped => ({ plan: { name: full, status: 'reinitialised', reason } });
  if (!parent) return reinit('not in the checkpoint');
  const differs = `shape differs: checkpoint has ${formatShape(parent)}, model expects ${formatShape(shape)}`;
  if (parent.length !== shape.length) return reinit(differs);
  const maps: Int32Array[] = [];
  const notes: string[] = [];
  let rows: TensorPlan['rows'];
  const byName: number[] = [];
  for (let d = 0; d < shape.length; d++) {
    const ax = axes.find((a) => a.axis === d);
    const was = ax ? parentKeys(ax.by) : undefined;
    const now = ax ? newKeys(ax.by) : undefined;
    if (ax && was && now && was.length === parent[d] && now.length === shape[d]) {
      const at = new Map(was.map((k, i) => [k, i]));
      const m = Int32Array.from(now, (k) => at.get(k) ?? -1);
      maps.push(m);
      byName.push(d);
      const fresh = now.filter((k) => !at.has(k));
      const kept = new Set(now);
      const dropped = was.filter((k) => !kept.has(k));
      const [one, many] = WORD[ax.by];
      // the report's rows: the first axis with new entries (a first kernel of a model without
      // hidden layers has two: input columns and classes)
      if (!rows || (rows.loaded === rows.total && fresh.length)) rows = { axis: d, by: ax.by, loaded: now.length - fresh.length, total: now.length, fresh, dropped };
      if (fresh.length === now.length) return reinit(`none of its ${many} are in the checkpoint${sameShape(parent, shape) ? '' : ` (${differs})`}`);
      notes.push(`by ${one}`);
      if (fresh.length) notes.push(`${fresh.length} new ${fresh.length === 1 ? one : many} initialised: ${show(fresh)}`);
      if (dropped.length) notes.push(`${dropped.length} ${dropped.length === 1 ? one : many} of the checkpoint dropped: ${show(dropped)}`);
      if (!fresh.length && !dropped.length && m.some((v, i) => v !== i)) notes.push('reordered');
      continue;
    }
    if (parent[d] !== shape[d]) {
      const transposed = shape.length === 2 && parent[0] === shape[1] && parent[1] === shape[0];
      if (transposed) return reinit(`fits only transposed: checkpoint has ${formatShape(parent)}, model expects ${formatShape(shape)}; not loaded, a transposed matrix would mean other things`);
      if (ax && !(was && now)) return reinit(`${differs}; the checkpoint does not record its ${WORD[ax.by][1]}, so they cannot be matched by name`);
      return reinit(differs);
    }
    if (ax && !was && now) notes.push(`by position: the checkpoint does not record its ${WORD[ax.by][1]}`);
    maps.push(Int32Array.from({ length: shape[d]! }, (_, i) => i));
  }
  const partial = rows !== undefined && rows.loaded < rows.total;
  const reason = partial
    ? `${rows!.loaded} of ${rows!.total} ${WORD[rows!.by][1]} loaded, ${notes.filter((x) => !x.startsWith('by ')).join('; ')}`
    : notes.length ? `loaded ${notes.join('; ')}` : 'same name and shape';
  return { plan: { name: full, status: partial ? 'partial' : 'loaded', reason, ...(rows ? { rows } : {}) }, maps, byName };
}

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/** A tensor given by name and shape (data where it is to be copied). */
export interface ShapedTensor {
  name: string;
  shape: readonly number[];
}

/**
 * The plan for a fresh run: `parent` are the checkpoint's `model.*` tensors, `expected` the new
 * model's (with `model.` prefix), `axes` the family's keyed axes for the new spec.
 */
export function planFresh(parent: readonly ShapedTensor[], expected: readonly ShapedTensor[], axes: AxisDef[], parentKeys: KeysFn, newKeys: KeysFn): FreshReport & { maps: Map<string, Int32Array[]> } {
  const have = new Map<string, readonly number[]>();
  for (const t of parent) if (t.name.startsWith('model.') && !have.has(t.name)) have.set(t.name, t.shape);
  const want = new Set(expected.map((t) => t.name));
  const report: FreshReport & { maps: Map<string, Int32Array[]> } = { tensors: [], loaded: [], partial: [], reinitialised: [], ignored: [], known: {}, maps: new Map() };
  for (const t of expected) {
    const n = t.name.slice('model.'.length);
    const own = axes.filter((a) => a.param === n);
    const { plan, maps, byName } = planTensor(n, t.shape, have.get(t.name), own, parentKeys, newKeys);
    report.tensors.push(plan);
    if (plan.status === 'loaded') report.loaded.push(plan.name);
    else if (plan.status === 'partial') report.partial.push({ name: plan.name, reason: plan.reason });
    else report.reinitialised.push({ name: plan.name, reason: plan.reason });
    if (!maps) continue;
    report.maps.set(plan.name, maps);
    // Known rows: along each axis mapped by meaning, the indices that came from the parent.
    if (byName?.length) report.known[n] = byName.map((axis) => ({ axis, index: [...maps[axis]!.keys()].filter((i) => maps[axis]![i]! >= 0) }));
  }
  for (const name of have.keys()) if (!want.has(name)) report.ignored.push(name);
  return report;
}

/**
 * The new tensor's values: `init` (its fresh initialisation) with every element whose index maps
 * on every axis taken from the parent's `src`. Exact copies (no arithmetic).
 */
export function copyMapped(init: Float32Array, shape: readonly number[], src: Float32Array, srcShape: readonly number[], maps: Int32Array[]): Float32Array {
  const out = new Float32Array(init);
  const rank = shape.length;
  const srcStride = new Array<number>(rank).fill(1);
  for (let d = rank - 2; d >= 0; d--) srcStride[d] = srcStride[d + 1]! * srcShape[d + 1]!;
  const idx = new Array<number>(rank).fill(0);
  for (let o = 0; o < out.length; o++) {
    let s = 0;
    for (let d = 0; d < rank; d++) {
      const m = maps[d]![idx[d]!]!;
      if (m < 0) {
        s = -1;
        break;
      }
      s += m * srcStride[d]!;
    }
    if (s >= 0) out[o] = src[s]!;
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d]! < shape[d]!) break;
      idx[d] = 0;
    }
  }
  return out;
}
