import type { CkptTensor } from '../ckpt/types';
import type { StateMeta } from '../engine/state';
import { describeSchema, featureNames, vocabChars } from '../engine/schema';
import { missingSchemaNote } from '../engine/version';

/**
 * `inspect --json`'s top-level `schema`: the stored schema, plus `classes` (classification) and
 * `vocabulary` as characters in id order (text; the state keeps code points), or
 * {missing: why} for an older checkpoint.
 */
export function schemaView(s: StateMeta): Record<string, unknown> {
  const schema = s.dataset.schema;
  if (!schema) return { missing: missingSchemaNote(s.stateVersion, false) };
  if (schema.kind === 'text') return { ...schema, codePoints: schema.vocabulary, vocabulary: vocabChars(schema) };
  if (schema.kind === 'tabular') return { ...schema, features: featureNames(schema) };
  return { ...schema };
}


const fmt = (v: number | undefined, digits = 4) => (v === undefined || v === null ? '-' : Number(v).toFixed(digits));

/**
 * The run's stretches, when part of it trained outside tabtrain (lineage.segments, written by the
 * Python package): each from one resume point to the next, by framework.
 */
function segmentLines(s: StateMeta): string[] {
  const outside = s.lineage.segments ?? [];
  if (!outside.length) return [];
  const starts = [...new Set([0, ...s.lineage.resumedAt, ...outside.map((g) => g.fromStep)])].sort((a, b) => a - b);
  const lines: string[] = ['segments:'];
  starts.forEach((from, i) => {
    const to = i + 1 < starts.length ? starts[i + 1]! : s.step;
    if (to <= from) return;
    const g = outside.find((x) => x.fromStep === from);
    lines.push(g ? `  steps ${from}-${g.toStep}: ${g.framework}${g.version ? ` ${g.version}` : ''}, ${g.processes} process${g.processes === 1 ? '' : 'es'} on ${g.device}` : `  steps ${from}-${to}: tabtrain`);
  });
  return lines;
}

/** A human summary of a checkpoint: architecture, position, metrics, lineage; no training. */
export function describeCheckpoint(path: string, s: StateMeta, tensors: CkptTensor[]): string {
  const model = tensors.filter((t) => t.name.startsWith('model.'));
  const params = model.reduce((n, t) => n + t.shape.reduce((a, b) => a * b, 1), 0);
  const { model: spec, ...cfg } = s.config;
  const lines = [
    `${path}: ${s.kind} checkpoint, tabtrain ${s.appVersion}, ${s.backend}${s.device ? ` (${s.device})` : ''}, ${s.createdAt}`,
    `model: ${spec.family} ${JSON.stringify(spec)}`,
    `parameters: ${params} in ${model.length} tensors; optimizer state: ${tensors.length - model.length} tensors`,
    `position: step ${s.step}, epoch ${s.cursor.epoch}, sample ${s.cursor.index} of ${s.dataset.numTrain} in the epoch`,
    `optimizer: ${JSON.stringify(cfg.optimizer)}, ${s.optimizer.updates} updates; schedule ${JSON.stringify(cfg.schedule)}, lr now ${s.schedule.lr}`,
    `training: batch ${cfg.batchSize}, seed ${cfg.seed}, target ${JSON.stringify(cfg.target)}, val fraction ${cfg.valFraction}, clip ${cfg.clipNorm}${cfg.freeze.length ? `, frozen ${cfg.freeze.join(' ')}` : ''}${cfg.freezeRows ? `, frozen rows (--freeze-known) of ${Object.keys(cfg.freezeRows).join(', ')}` : ''}`,
    `dataset: ${s.dataset.fingerprint.summary} (sha256 ${s.dataset.fingerprint.sha256.slice(0, 16)}...), ${s.dataset.numTrain} train / ${s.dataset.numVal} validation`,
    `schema: ${describeSchema(s)}`,
    `lineage: run ${s.lineage.runId}, ${s.lineage.origin === 'fresh' && s.lineage.parent ? `fresh from run ${s.lineage.parent.runId} at step ${s.lineage.parent.step}` : s.lineage.origin === 'fresh' ? 'fresh from plain weights (no parent run)' : 'from scratch'}${s.lineage.resumedAt.length ? `, resumed at steps ${s.lineage.resumedAt.join(', ')}` : ''}`,
    ...segmentLines(s),
    `best: ${s.metrics.best ? `step ${s.metrics.best.step} val_loss ${fmt(s.metrics.best.valLoss)}${s.metrics.best.valAccuracy === undefined ? '' : ` val_acc ${fmt(s.metrics.best.valAccuracy, 3)}`}` : '-'}`,
    `loss EMA: ${fmt(s.metrics.lossEma)} (smoothed training loss)${s.config.patience !== undefined || s.config.stopIfLoss ? `; early stopping: ${[s.config.patience !== undefined ? `patience ${s.config.patience} (${s.metrics.sinceBest ?? 0} evaluations since the best)` : '', s.config.stopIfLoss ? `stop if the loss EMA is above ${s.config.stopIfLoss.above} by step ${s.config.stopIfLoss.byStep}` : ''].filter(Boolean).join(', ')}` : ''}`,
    `history (last 10 of ${s.metrics.history.length}):`,
    ...s.metrics.history.slice(-10).map((h) => `  step ${h.step} epoch ${h.epoch} loss ${fmt(h.trainLoss)}${h.lossEma === undefined ? '' : ` ema ${fmt(h.lossEma)}`} val_loss ${fmt(h.valLoss)}${h.valAccuracy === undefined ? '' : ` val_acc ${fmt(h.valAccuracy, 3)}`}`),
  ];
  return lines.join('\n');
}
