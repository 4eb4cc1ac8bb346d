// The bit-exact resume check, shared by the Node tests and the in-browser worker tests:
// train N steps straight; for each k, train k steps, save through the real .ckpt bytes, load
// into a new Trainer and train on to N; then compare every tensor byte for byte.
import { decodeCkpt, encodeCkpt } from '../../src/ckpt/format';
import type { CkptContents } from '../../src/ckpt/types';
import type { RunConfig } from '../../src/engine/config';
import type { Dataset } from '../../src/engine/data/types';
import type { StateMeta } from '../../src/engine/state';
import { Trainer } from '../../src/engine/trainer';

export interface ResumeResult {
  k: number;
  /** names of tensors whose bytes differ (empty = bit-identical). */
  mismatches: string[];
  /** position fields that differ between the two runs' final states. */
  stateMismatches: string[];
  tensors: number;
  firstLoss?: number;
  lastLoss?: number;
}

/**
 * The metrics a resumed run must reproduce. Always: the training-loss part (every logged loss,
 * its EMA and LR, and the current EMA), which evaluations never touch. With `evaluations`: all
 * of them (validation points, best, evaluations since the best). A pause (Ctrl-C, the worker's
 * Pause, a nearer target given to train()) must reproduce all of them; a run that *ended* (the
 * CLI's `train --steps k`, then `resume --steps N`) had its final evaluation at k, which the
 * straight run does not have, so only the training part can match there.
 */
function metricsOf(s: StateMeta, evaluations: boolean): unknown {
  if (evaluations) return s.metrics;
  const logged = s.metrics.history.filter((p) => p.trainLoss !== undefined).map(({ step, epoch, lr, trainLoss, lossEma }) => ({ step, epoch, lr, trainLoss, lossEma }));
  return { logged, lossEma: s.metrics.lossEma };
}

export function diffContents(a: CkptContents, b: CkptContents, opts: { evaluations?: boolean } = {}): { tensors: string[]; state: string[] } {
  const tensors: string[] = [];
  const bm = new Map(b.tensors.map((t) => [t.name, t]));
  for (const t of a.tensors) {
    const o = bm.get(t.name);
    if (!o) {
      tensors.push(`${t.name} (missing)`);
      continue;
    }
    const x = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    const y = new Uint8Array(o.data.buffer, o.data.byteOffset, o.data.byteLength);
    if (x.length !== y.length || x.some((v, i) => v !== y[i])) tensors.push(t.name);
  }
  if (a.tensors.length !== b.tensors.length) tensors.push(`count ${a.tensors.length} vs ${b.tensors.length}`);
  const sa = a.state as unknown as StateMeta;
  const sb = b.state as unknown as StateMeta;
  const state: string[] = [];
  for (const key of ['step', 'cursor', 'rng', 'optimizer'] as const) {
    if (JSON.stringify(sa[key]) !== JSON.stringify(sb[key])) state.push(key);
  }
  if (JSON.stringify(metricsOf(sa, opts.evaluations ?? false)) !== JSON.stringify(metricsOf(sb, opts.evaluations ?? false))) state.push('metrics');
  return { tensors, state };
}

export async function roundTrip(c: CkptContents): Promise<CkptContents> {
  return decodeCkpt(await encodeCkpt(c));
}

export async function resumeCheck(ds: Dataset, config: RunConfig, ks: number[]): Promise<ResumeResult[]> {
  const straight = Trainer.create({ config, dataset: ds, runId: 'straight' });
  await straight.train();
  const ref = await straight.snapshot('final');
  const losses = straight.history.filter((h) => h.trainLoss !== undefined).map((h) => h.trainLoss!);
  straight.dispose();
  const results: ResumeResult[] = [];
  for (const k of ks) {
    const first = Trainer.create({ config, dataset: ds, runId: 'split' });
    await first.train({ target: { steps: k } });
    const saved = await roundTrip(await first.snapshot('latest'));
    first.dispose();
    const second = Trainer.resume(saved, ds);
    await second.train();
    const final = await second.snapshot('final');
    second.dispose();
    const d = diffContents(ref, final, { evaluations: true }); // a pause: every metric must match
    results.push({ k, mismatches: d.tensors, stateMismatches: d.state, tensors: ref.tensors.length, firstLoss: losses[0], lastLoss: losses[losses.length - 1] });
  }
  return results;
}
