// Peers: what users could use instead. Workloads A (MLP 64-256-256-10, batch 256) and B (causal
// transformer, vocab 65, context 64, d 64, 2 layers, 4 heads, batch 16), with the same math on
// every side (AdamW, weight decay 0.01, clipping at 1, no dropout): tabtrain's engine on the
// CLI's backends (wasm, the default, then the plain-JS cpu one, in this process) against jax-js
// on its wasm backend (test/bench/jax-models.ts, the whole step under jit, in this process) and
// PyTorch on the CPU (test/bench/torch_peer.py in Debian's python3-torch, one long-lived
// process). The sides run in interleaved rounds (order rotated each round), so a busy machine
// slows all alike; first-step time is kept apart from steady state. (One tfjs backend at a
// time: the wasm rounds with jax-js and PyTorch, then the cpu backend's rounds with PyTorch.)
// The browser peers (jax-js on WebGPU, tfjs wasm in the page) are in run.ts's `browserpeers`.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../../src/engine/backend';
import '../../src/engine/wasm';
import { WORKLOAD_LABELS, WORKLOADS, interleaved, trainerFor, type Side, type Workload } from './peer-workloads';
import { jaxInit, jaxTrainer, type JaxTrainer } from './jax-models';
import { log, median, now, syncRead } from './measure';

export { WORKLOADS, WORKLOAD_LABELS, trainerFor, type Workload } from './peer-workloads';

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
  /** jax-js on its wasm backend in Node, jit; its loss after the first step and at the end (it must fall). */
  jaxWasm?: PeerSide & { lossFirst: number; lossLast: number };
  jaxError?: string;
  /** median over rounds of tabtrain-on-wasm's steps/s over jax-js wasm's in the same round. */
  cliVsJaxWasm?: number;
  torchCpu?: PeerSide & { threads: number; version: string };
  torchError?: string;
  /** median over rounds of tabtrain's steps/s (wasm: the CLI's default) over PyTorch's next to it. */
  cliVsTorchCpu?: number;
  /** the same for the cpu backend. */
  cpuBackendVsTorchCpu?: number;
}

/** tabtrain's engine on one backend, as a side. */
async function tabtrainSide(w: Workload, backend: 'wasm' | 'cpu'): Promise<Side & { dispose(): void }> {
  const r = await useBackend(backend);
  if (!r.ok) throw new Error(`the ${backend} backend is not available: ${r.reason}`);
  const trainer = trainerFor(w);
  return {
    name: `tabtrain ${backend}`,
    async run(k) {
      const t0 = now();
      await trainer.train({ target: { steps: trainer.step + k } });
      await syncRead(trainer);
      return now() - t0;
    },
    dispose() {
      trainer.dispose();
      tf.disposeVariables();
    },
  };
}

function torchSide(torch: TorchPeer): Side {
  return { name: 'torch', run: async (k) => ((await torch.ask({ cmd: 'run', steps: k })).seconds as number) * 1000 };
}

/** jax-js as a side; remembers the loss after its first step and its latest one. */
function jaxSide(t: JaxTrainer): Side & { losses: number[] } {
  const losses: number[] = [];
  return {
    name: `jax-js ${t.device}`,
    losses,
    async run(k) {
      const t0 = now();
      losses.push(await t.run(k));
      return now() - t0;
    },
  };
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
    let jax: JaxTrainer | null = null;
    let jaxError: string | undefined;
    try {
      if (!(await jaxInit('wasm'))) throw new Error('jax-js: its wasm backend did not start');
      jax = jaxTrainer(w);
    } catch (e) {
      jaxError = e instanceof Error ? e.message : String(e);
    }
    try {
      const side = (rounds: number[], firstStepMs: number): PeerSide => ({ firstStepMs, rounds, stepsPerSec: median(rounds) });
      const ratio = (a: number[], b: number[]) => median(a.map((x, i) => x / b[i]));
      // wasm rounds: tabtrain on wasm, jax-js on wasm, PyTorch (those present)
      const mine = await tabtrainSide(w, 'wasm');
      const jx = jax ? jaxSide(jax) : null;
      let wasm: Awaited<ReturnType<typeof interleaved>>;
      try {
        wasm = await interleaved([mine, ...(jx ? [jx] : []), ...(torch ? [torchSide(torch)] : [])], { rounds: o.rounds, K, warmMs: 3000, warmMaxMs: 20_000 });
      } finally {
        mine.dispose();
        jax?.dispose();
      }
      const mineCpu = await tabtrainSide(w, 'cpu');
      let cpu: Awaited<ReturnType<typeof interleaved>>;
      try {
        cpu = await interleaved([mineCpu, ...(torch ? [torchSide(torch)] : [])], { rounds: o.rounds, K, warmMs: 1000 });
      } finally {
        mineCpu.dispose();
      }
      const res: PeerResult = { label: WORKLOAD_LABELS[w], stepsPerRound: K, tabtrainWasm: side(wasm.perRound[0], wasm.first[0]), tabtrainCpu: side(cpu.perRound[0], cpu.first[0]) };
      if (jx) {
        res.jaxWasm = { ...side(wasm.perRound[1], wasm.first[1]), lossFirst: jx.losses[0], lossLast: jx.losses[jx.losses.length - 1] };
        res.cliVsJaxWasm = ratio(wasm.perRound[0], wasm.perRound[1]);
        log(`  jax-js wasm ${res.jaxWasm.stepsPerSec.toFixed(2)} steps/s (loss ${res.jaxWasm.lossFirst.toFixed(3)} -> ${res.jaxWasm.lossLast.toFixed(3)}), tabtrain wasm ${res.tabtrainWasm.stepsPerSec.toFixed(2)}`);
      } else res.jaxError = jaxError;
      if (torch) {
        const tw = wasm.perRound[wasm.perRound.length - 1];
        const tc = cpu.perRound[1];
        res.torchCpu = { ...side([...tw, ...tc], wasm.first[wasm.first.length - 1]), threads: torchInfo.threads as number, version: String(torchInfo.torch) };
        res.cliVsTorchCpu = ratio(wasm.perRound[0], tw);
        res.cpuBackendVsTorchCpu = ratio(cpu.perRound[0], tc);
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
