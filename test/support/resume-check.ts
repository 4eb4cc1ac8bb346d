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

export function diffContents(a: CkptContents, b: CkptContents): { tensors: string[]; state: string[] } {
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
  // metrics: the history, best, loss EMA and evaluations since the best must resume exactly too
  for (const key of ['step', 'cursor', 'rng', 'optimizer', 'metrics'] as const) {
    if (JSON.stringify(sa[key]) !== JSON.stringify(sb[key])) state.push(key);
  }
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
    const d = diffContents(ref, final);
    results.push({ k, mismatches: d.tensors, stateMismatches: d.state, tensors: ref.tensors.length, firstLoss: losses[0], lastLoss: losses[losses.length - 1] });
  }
  return results;
}
