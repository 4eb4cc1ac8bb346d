// The GPU bench: tabtrain's engine on tfjs's WebGPU backend in Node, on Dawn (the `webgpu`
// npm package), for a machine with a real GPU. scripts/gpu-bundle.sh bundles this file with
// Node and dawn.node into one file that runs there with nothing installed
// (docs/performance.md "GPU"). Measures, for workloads A and B of the speed issue:
//  - steps/s: the first step (shader compilation) and warm-up apart, then the median of timed
//    rounds; with several sides, rounds are interleaved and their order rotated;
//  - dispatches (and queue submissions) per step, counted on Dawn's own prototypes;
//  - determinism: the same seed trained twice gives the same bits (weights, optimizer state,
//    losses), and a run saved halfway through a real .ckpt round trip and resumed ends bit-
//    identical to the straight run (test/support/resume-check.ts, as the unit tests do).
// Prints one JSON object on stdout (progress on stderr); writes it to $OUT/gpu-result.json
// when $OUT is set, or to --out FILE. Run from source: `npx tsx test/gpu/bench-dawn.ts --help`.
import * as tf from '@tensorflow/tfjs';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { dirname } from 'node:path';
import type { CkptContents } from '../../src/ckpt/types';
import { useBackend } from '../../src/engine/backend';
import { fusedKernels, setFusedKernels } from '../../src/engine/kernels';
import { Trainer } from '../../src/engine/trainer';
import { APP_VERSION } from '../../src/engine/version';
import { log, median, now, syncRead } from '../bench/measure';
import { diffContents, resumeCheck } from '../support/resume-check';
import { countDispatches, type DispatchCounter } from './counter';
import { dawnClasses, describeAdapter, installDawn, type AdapterSummary } from './dawn';
import { parseOptions, USAGE, type GpuBenchOptions } from './options';
import { configFor, datasetFor, trainerFor, WORKLOAD_LABELS, WORKLOADS, type Workload } from './workloads';

/** One way of training a workload on this GPU, timed in rounds interleaved with the other sides. */
export interface GpuSide {
  name: string;
  start(w: Workload, adapter: AdapterSummary): Promise<SideRun>;
}

export interface SideRun {
  /** runs k optimizer steps and returns once the device has finished them. */
  steps(k: number): Promise<void>;
  dispose(): void;
}

const tabtrainSide: GpuSide = {
  name: 'tabtrain',
  async start(w) {
    const trainer = trainerFor(w);
    return {
      async steps(k) {
        await trainer.train({ target: { steps: trainer.step + k } });
        await syncRead(trainer);
      },
      dispose() {
        trainer.dispose();
        tf.disposeVariables();
      },
    };
  },
};

// Hook for jax-js (`@jax-js/jax`, WebGPU with jit): its versions of A and B are written in
// test/bench/jax-*.ts on another branch. Once merged, add a GpuSide here that wraps them
// (start: build the jitted step for the workload; steps(k): run k steps and read one value
// back), and the result gains `vs.<side>` ratios (tabtrain over that side, per round) and
// that side's dispatches per step, counted by the same wrapped prototypes.
const SIDES: GpuSide[] = [tabtrainSide];

export interface SideResult {
  firstStepMs: number;
  /** steps per second, one per timed round. */
  rounds: number[];
  stepsPerSec: number;
  min: number;
  max: number;
  /** compute dispatches per step (median over rounds; the count is the same every round when nothing varies). */
  dispatchesPerStep: number;
  submitsPerStep: number;
}

export interface WorkloadResult {
  label: string;
  stepsPerRound: number;
  sides: Record<string, SideResult | { error: string }>;
  /** median over rounds of tabtrain's steps/s over each other side's in the same round. */
  vs?: Record<string, number>;
}

export interface CheckResult {
  steps: number;
  /** two straight runs from the same seed: every tensor and the position state bit-identical. */
  repeatIdentical: boolean;
  repeatMismatches: string[];
  /** saved at resumeAt (real .ckpt bytes), resumed, trained on: bit-identical to the straight run. */
  resumeAt: number;
  resumeIdentical: boolean;
  resumeMismatches: string[];
  tensors: number;
  firstLoss?: number;
  lastLoss?: number;
  /** sha256 of the final tensors' bytes (names sorted): the same on another machine only if its GPU computes the same bits. */
  weightsSha256: string;
}

const errorOf = (e: unknown) => ({ error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });

async function throughput(w: Workload, o: GpuBenchOptions, counter: DispatchCounter, adapter: AdapterSummary): Promise<WorkloadResult> {
  const K = o.steps[w];
  const res: WorkloadResult = { label: WORKLOAD_LABELS[w], stepsPerRound: K, sides: {} };
  const live: { side: GpuSide; run: SideRun; first: number; rounds: number[]; dispatches: number[]; submits: number[] }[] = [];
  try {
    for (const side of SIDES) {
      try {
        const run = await side.start(w, adapter);
        const t0 = now();
        await run.steps(1);
        const first = now() - t0;
        await run.steps(o.warmSteps[w]);
        live.push({ side, run, first, rounds: [], dispatches: [], submits: [] });
      } catch (e) {
        res.sides[side.name] = errorOf(e);
      }
    }
    for (let i = 0; i < o.rounds; i++) {
      // rotate the order every round, so no side always runs right after another
      for (let j = 0; j < live.length; j++) {
        const s = live[(i + j) % live.length];
        counter.reset();
        const t0 = now();
        await s.run.steps(K);
        const ms = now() - t0;
        s.rounds.push((K * 1000) / ms);
        s.dispatches.push(counter.dispatches / K);
        s.submits.push(counter.submits / K);
      }
    }
    for (const s of live) {
      res.sides[s.side.name] = {
        firstStepMs: s.first, rounds: s.rounds, stepsPerSec: median(s.rounds), min: Math.min(...s.rounds), max: Math.max(...s.rounds),
        dispatchesPerStep: median(s.dispatches), submitsPerStep: median(s.submits),
      };
    }
    const mine = live.find((s) => s.side === tabtrainSide);
    if (mine) {
      for (const s of live) if (s !== mine) (res.vs ??= {})[s.side.name] = median(mine.rounds.map((x, i) => x / s.rounds[i]));
    }
  } finally {
    for (const s of live) s.run.dispose();
  }
  return res;
}

function weightsHash(c: CkptContents): string {
  const h = createHash('sha256');
  for (const t of [...c.tensors].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    h.update(t.name);
    h.update(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  }
  return h.digest('hex');
}

async function determinism(w: Workload, n: number, device: string): Promise<CheckResult> {
  const ds = datasetFor(w);
  const config = configFor(w, ds, { steps: n, logEvery: 1, evalEvery: Math.max(1, n >> 1) });
  const straight = async (): Promise<CkptContents> => {
    const t = Trainer.create({ config, dataset: ds, runId: `gpu-check-${w}`, device });
    try {
      await t.train();
      return await t.snapshot('final');
    } finally {
      t.dispose();
    }
  };
  const a = await straight();
  const b = await straight();
  const d = diffContents(a, b, { evaluations: true });
  const k = n >> 1;
  const [r] = await resumeCheck(ds, config, [k]);
  return {
    steps: n,
    repeatIdentical: d.tensors.length === 0 && d.state.length === 0,
    repeatMismatches: [...d.tensors, ...d.state.map((s) => `state.${s}`)],
    resumeAt: k,
    resumeIdentical: r.mismatches.length === 0 && r.stateMismatches.length === 0,
    resumeMismatches: [...r.mismatches, ...r.stateMismatches.map((s) => `state.${s}`)],
    tensors: a.tensors.length,
    firstLoss: r.firstLoss,
    lastLoss: r.lastLoss,
    weightsSha256: weightsHash(a),
  };
}

function nvidiaSmi(): string | undefined {
  try {
    return execFileSync('nvidia-smi', ['--query-gpu=name,driver_version,memory.total', '--format=csv,noheader'], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

async function main(): Promise<number> {
  // tfjs greets on console.log in Node; stdout carries only the JSON result.
  const writeOut = (s: string) => process.stdout.write(s);
  console.log = console.error;
  if (process.argv.includes('--help')) {
    console.error(USAGE);
    return 0;
  }
  let o: GpuBenchOptions;
  try {
    o = parseOptions(process.argv.slice(2), process.env);
  } catch (e) {
    console.error(`gpu bench: ${e instanceof Error ? e.message : String(e)}`);
    return 2;
  }
  const result: Record<string, unknown> = {
    what: 'tabtrain GPU bench (Node + Dawn + tfjs WebGPU)',
    appVersion: APP_VERSION,
    startedAt: new Date().toISOString(),
    machine: {
      node: process.version, platform: `${process.platform}-${process.arch}`, kernel: release(),
      cpu: `${cpus().length} x ${cpus()[0]?.model ?? '?'}`, memoryGiB: Math.round(totalmem() / 2 ** 30),
      nvidiaSmi: nvidiaSmi(), vkIcdFilenames: process.env.VK_ICD_FILENAMES, bundleNotes: process.env.TABTRAIN_GPU_NOTES,
    },
    options: o,
  };
  let code = 0;
  try {
    const gpu = installDawn(o.dawnFlags);
    const counter = countDispatches(dawnClasses);
    const adapter = await describeAdapter(gpu);
    result.adapter = adapter;
    log(`adapter: ${adapter.vendor} / ${adapter.architecture} / ${adapter.device} (${adapter.description})${adapter.isFallbackAdapter ? ' [software fallback]' : ''}`);
    // registers the 'webgpu' backend now that navigator.gpu exists (see dawn.ts)
    await import('@tensorflow/tfjs-backend-webgpu');
    const r = await useBackend('webgpu');
    if (!r.ok) throw new Error(`tfjs's WebGPU backend did not start on Dawn: ${r.reason}`);
    setFusedKernels(!o.unfused);
    result.fusedKernels = fusedKernels();
    result.sides = SIDES.map((s) => s.name);
    result.jaxJs = { run: false, why: 'no jax-js side in SIDES yet (test/gpu/bench-dawn.ts: the hook for test/bench/jax-*.ts)' };
    const tp: Record<string, WorkloadResult | { error: string }> = {};
    result.throughput = tp;
    for (const w of WORKLOADS) {
      log(`throughput ${WORKLOAD_LABELS[w]}: ${o.rounds} rounds of ${o.steps[w]} steps`);
      try {
        tp[w] = await throughput(w, o, counter, adapter);
        const s = (tp[w] as WorkloadResult).sides.tabtrain;
        if (s && 'stepsPerSec' in s) log(`  tabtrain ${s.stepsPerSec.toFixed(2)} steps/s (${s.min.toFixed(2)}-${s.max.toFixed(2)}), ${s.dispatchesPerStep} dispatches/step, first step ${s.firstStepMs.toFixed(0)} ms`);
      } catch (e) {
        tp[w] = errorOf(e);
        code = 1;
      }
    }
    const checks: Record<string, CheckResult | { error: string } | { skipped: true }> = {};
    result.determinism = checks;
    const device = `${adapter.vendor} ${adapter.architecture} ${adapter.device}`.trim();
    for (const w of WORKLOADS) {
      if (!o.checkSteps[w]) {
        checks[w] = { skipped: true };
        continue;
      }
      log(`determinism ${w}: ${o.checkSteps[w]} steps twice, and resumed at step ${o.checkSteps[w] >> 1}`);
      try {
        const c = await determinism(w, o.checkSteps[w], device);
        checks[w] = c;
        log(`  repeat ${c.repeatIdentical ? 'bit-identical' : `DIFFERS (${c.repeatMismatches.join(', ')})`}; resume ${c.resumeIdentical ? 'bit-identical' : `DIFFERS (${c.resumeMismatches.join(', ')})`}`);
      } catch (e) {
        checks[w] = errorOf(e);
        code = 1;
      }
    }
  } catch (e) {
    result.error = errorOf(e).error;
    log(result.error as string);
    code = 1;
  }
  result.finishedAt = new Date().toISOString();
  const json = `${JSON.stringify(result, null, 2)}\n`;
  writeOut(json);
  if (o.out) {
    mkdirSync(dirname(o.out), { recursive: true });
    writeFileSync(o.out, json);
    log(`wrote ${o.out}`);
  }
  return code;
}

// Dawn keeps the process alive while its GPU object exists (the webgpu package's README): exit explicitly.
main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
