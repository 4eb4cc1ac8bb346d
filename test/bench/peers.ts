// Peers: what users could use instead. Workloads A (MLP 64-256-256-10, batch 256) and B (causal
// transformer, vocab 65, context 64, d 64, 2 layers, 4 heads, batch 16), with the same math on
// every side (AdamW, weight decay 0.01, clipping at 1, no dropout): tabtrain's engine on the
// CLI's backends (wasm, the default, then the plain-JS cpu one, in this process) against PyTorch
// on the CPU (test/bench/torch_peer.py in Debian's python3-torch, one long-lived process). Rounds
// alternate between tabtrain and PyTorch, so a busy machine slows both alike; first-step time is
// kept apart from steady state. (One tfjs backend at a time: its rounds, then the other's.)
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../../src/engine/backend';
import '../../src/engine/wasm';
import { makeConfig } from '../../src/engine/config';
import { Rng } from '../../src/engine/rng';
import { Trainer } from '../../src/engine/trainer';
import type { Dataset, TextDataset } from '../../src/engine/data/types';
import { tabular } from '../support/synthetic';
import { log, median, now, syncRead } from './measure';

export type Workload = 'A' | 'B';
export const WORKLOADS: Workload[] = ['A', 'B'];
export const WORKLOAD_LABELS: Record<Workload, string> = {
  A: 'A: mlp 64-256-256-10, batch 256',
  B: 'B: transformer vocab 65, ctx 64, d 64, 2 layers, 4 heads, batch 16',
};

/** 64K characters over 65 distinct ones, pseudo-random (speed does not depend on the text). */
function text65(): TextDataset {
  const vocab = Array.from({ length: 65 }, (_, i) => String.fromCharCode(48 + i));
  const rng = Rng.fromSeed(5);
  const ids = Int32Array.from({ length: 65536 }, () => Math.floor(rng.nextFloat() * 65));
  return { kind: 'text', ids, vocab, notes: [], fingerprint: { sha256: 'b'.repeat(64), summary: 'synthetic text, 65 characters', shape: { chars: ids.length } } };
}

function trainerFor(w: Workload): Trainer {
  const ds: Dataset = w === 'A' ? tabular(4096, 64, 10, 7) : text65();
  const model = w === 'A' ? { family: 'mlp', hidden: [256, 256], batchSize: 256 } : { family: 'charlm', contextLength: 64, dModel: 64, numLayers: 2, numHeads: 4, batchSize: 16 };
  const config = makeConfig(ds, { optimizer: 'adamw', lr: 1e-3, weightDecay: 0.01, clipNorm: 1, dropout: 0, logEvery: 10, evalEvery: 1_000_000, steps: 1_000_000, seed: 3, ...model } as Parameters<typeof makeConfig>[1]);
  return Trainer.create({ config, dataset: ds, runId: `bench-peer-${w}` });
}

/** The PyTorch side: one process, one JSON line per request. */
class TorchPeer {
  private lines: AsyncIterator<string>;
  private constructor(private p: ChildProcessWithoutNullStreams) {
    this.lines = createInterface({ input: p.stdout })[Symbol.asyncIterator]();
  }

  static start(): TorchPeer {
    const p = spawn('/usr/bin/python3', [join(import.meta.dirname, 'torch_peer.py')], { stdio: ['pipe', 'pipe', 'pipe'] });
    p.stderr.on('data', (d: Buffer) => log(`torch: ${d.toString().trim()}`));
    return new TorchPeer(p);
  }

  async ask(msg: object): Promise<Record<string, unknown>> {
    this.p.stdin.write(`${JSON.stringify(msg)}\n`);
    const r = await this.lines.next();
    if (r.done) throw new Error('the PyTorch peer exited');
    const out = JSON.parse(r.value) as Record<string, unknown>;
    if (!out.ok) throw new Error(`PyTorch peer: ${String(out.error)}`);
    return out;
  }

  close(): void {
    this.p.stdin.end(`${JSON.stringify({ cmd: 'quit' })}\n`);
  }
}

export interface PeerSide {
  firstStepMs: number;
  /** steps per second, one per round. */
  rounds: number[];
  stepsPerSec: number;
}

export interface PeerResult {
  label: string;
  stepsPerRound: number;
  /** tabtrain on the CLI's default backend (wasm), and on the cpu backend. */
  tabtrainWasm: PeerSide;
  tabtrainCpu: PeerSide;
  torchCpu?: PeerSide & { threads: number; version: string };
  torchError?: string;
  /** median over rounds of tabtrain's steps/s (wasm: the CLI's default) over PyTorch's next to it. */
  cliVsTorchCpu?: number;
  /** the same for the cpu backend. */
  cpuBackendVsTorchCpu?: number;
}

/** Alternating rounds of tabtrain on one backend and PyTorch: steps/s of each, per round. */
async function rounds(w: Workload, backend: 'wasm' | 'cpu', torch: TorchPeer | null, o: { rounds: number; K: number }): Promise<{ a: number[]; b: number[]; first: { tabtrain: number; torch: number } }> {
  const r = await useBackend(backend);
  if (!r.ok) throw new Error(`the ${backend} backend is not available: ${r.reason}`);
  const trainer = trainerFor(w);
  try {
    const mine = async (k: number) => {
      const t0 = now();
      await trainer.train({ target: { steps: trainer.step + k } });
      await syncRead(trainer);
      return now() - t0;
    };
    const theirs = async (k: number) => (torch ? ((await torch.ask({ cmd: 'run', steps: k })).seconds as number) * 1000 : NaN);
    const first = { tabtrain: await mine(1), torch: await theirs(1) };
    await mine(Math.max(2, o.K >> 1));
    await theirs(Math.max(2, o.K >> 1));
    const a: number[] = [];
    const b: number[] = [];
    for (let i = 0; i < o.rounds; i++) {
      // alternate which side goes first, so neither always follows the other's cache state
      const order = i % 2 ? [theirs, mine] : [mine, theirs];
      const ms = [await order[0](o.K), await order[1](o.K)];
      const [t, p] = i % 2 ? [ms[1], ms[0]] : ms;
      a.push((o.K * 1000) / t);
      b.push((o.K * 1000) / p);
    }
    return { a, b, first };
  } finally {
    trainer.dispose();
    tf.disposeVariables();
  }
}

export async function runPeers(o: { rounds: number; steps: Record<Workload, number> }): Promise<Record<Workload, PeerResult | { error: string }>> {
  const out = {} as Record<Workload, PeerResult | { error: string }>;
  for (const w of WORKLOADS) {
    log(`peers: ${WORKLOAD_LABELS[w]}`);
    const K = o.steps[w];
    let torch: TorchPeer | null = null;
    let torchInfo: Record<string, unknown> = {};
    let torchError: string | undefined;
    try {
      torch = TorchPeer.start();
      torchInfo = await torch.ask({ cmd: 'setup', workload: w, seed: 3 });
    } catch (e) {
      torchError = e instanceof Error ? e.message : String(e);
      torch?.close();
      torch = null;
    }
    try {
      const side = (rounds: number[], firstStepMs: number): PeerSide => ({ firstStepMs, rounds, stepsPerSec: median(rounds) });
      const wasm = await rounds(w, 'wasm', torch, { rounds: o.rounds, K });
      const cpu = await rounds(w, 'cpu', torch, { rounds: o.rounds, K });
      const res: PeerResult = { label: WORKLOAD_LABELS[w], stepsPerRound: K, tabtrainWasm: side(wasm.a, wasm.first.tabtrain), tabtrainCpu: side(cpu.a, cpu.first.tabtrain) };
      if (torch) {
        const b = [...wasm.b, ...cpu.b];
        res.torchCpu = { ...side(b, wasm.first.torch), threads: torchInfo.threads as number, version: String(torchInfo.torch) };
        res.cliVsTorchCpu = median(wasm.a.map((x, i) => x / wasm.b[i]));
        res.cpuBackendVsTorchCpu = median(cpu.a.map((x, i) => x / cpu.b[i]));
      } else res.torchError = torchError;
      out[w] = res;
    } catch (e) {
      out[w] = { error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
    } finally {
      torch?.close();
    }
  }
  await useBackend('cpu');
  return out;
}
