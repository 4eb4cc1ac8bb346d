// Which checkpoints of one run to delete after a save (docs/storage.md, "Retention").
// Pure: the store reads the run's metadata and the set of stored blobs inside a transaction,
// calls this, and deletes what it returns in the same transaction.

import { CHECKPOINT_DEFAULTS } from '../engine/defaults';
import type { CheckpointKind } from '../engine/state';
import { StoreError } from './tx';

export interface Retention {
  /** periodic checkpoints kept per run (the most recently saved); default 3. */
  keepPeriodic?: number;
}

/** How many periodic checkpoints a run keeps unless it says otherwise (engine/defaults.ts). */
export const DEFAULT_KEEP_PERIODIC = CHECKPOINT_DEFAULTS.keepPeriodic;

/** The fields retention looks at. `seq` is the store's save counter (higher = saved later). */
export interface RetainedMeta {
  id: string;
  kind: CheckpointKind;
  step: number;
  createdAt: string;
  seq?: number;
}

/**
 * Save order, newest first. Retention goes by when a checkpoint was SAVED (seq), not by its
 * step: a run rewound to an older checkpoint saves lower steps than stale ones, and the new
 * save must still be the one kept. Records without seq (none today) fall back to step, time.
 */
export function bySaveOrder(a: RetainedMeta, b: RetainedMeta): number {
  return (b.seq ?? 0) - (a.seq ?? 0) || b.step - a.step || (b.createdAt < a.createdAt ? -1 : b.createdAt > a.createdAt ? 1 : 0);
}

export function keepPeriodicOf(r: Retention | undefined): number {
  const k = r?.keepPeriodic ?? DEFAULT_KEEP_PERIODIC;
  if (!Number.isInteger(k) || k < 0) throw new StoreError('invalid', `retention.keepPeriodic must be a non-negative integer, got ${String(k)}`);
  return k;
}

/**
 * Ids to delete among one run's checkpoints. `complete` holds the ids whose bytes are stored.
 * Keeps the newest-saved `latest`, `best` and `final`, and the `keep` newest-saved `periodic`.
 * Metadata without bytes is garbage (invisible to readers) and goes. Never deletes the run's
 * last complete checkpoint, whatever the rules say (e.g. keepPeriodic 0 with only periodic ones).
 * Ids in `protect` are kept too (counted against their kind's limit all the same).
 */
export function planRetention(metas: RetainedMeta[], complete: ReadonlySet<string>, keep: number, protect: ReadonlySet<string> = new Set()): string[] {
  const limit: Record<CheckpointKind, number> = { latest: 1, best: 1, final: 1, periodic: keep };
  const seen: Record<string, number> = {};
  const doomed: string[] = [];
  const kept: RetainedMeta[] = [];
  for (const m of [...metas].sort(bySaveOrder)) {
    if (!complete.has(m.id)) {
      doomed.push(m.id);
      continue;
    }
    seen[m.kind] = (seen[m.kind] ?? 0) + 1;
    // Unknown kinds (a newer app version) are kept: deleting what we do not understand is worse.
    // `protect`: kept whatever the rules say (the start of a branch that has not saved yet).
    if (m.kind in limit && seen[m.kind] > limit[m.kind] && !protect.has(m.id)) doomed.push(m.id);
    else kept.push(m);
  }
  if (kept.length === 0) {
    const last = [...metas].sort(bySaveOrder).find((m) => complete.has(m.id));
    if (last) doomed.splice(doomed.indexOf(last.id), 1);
  }
  return doomed;
}
