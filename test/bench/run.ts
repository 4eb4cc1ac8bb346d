// `npm run bench`: tabtrain side by side with a bare tfjs loop and model.fit, checkpoint cost,
// checkpoint I/O vs raw IndexedDB, resume vs fresh start, main-thread long tasks, tensor growth
// and scaling, in headless Chromium (WebGPU on SwiftShader; WebGL and CPU for comparison) and
// in Node (tfjs CPU backend). Prints a table; writes bench-results/latest.json and
// bench-results/scaling.html. Progress goes to stderr. See docs/performance.md.
//
// Environment: BENCH_QUICK=1 (a short smoke run), BENCH_ONLY=a,b (phases: throughput,
// overhead, overlap, io, scaling, resume, webgl, cpu, node, peers, browserpeers), CHROMIUM_PATH.
import { execSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { peersChart } from './peers-chart';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { openBrowser, startServer, type BrowserSession } from '../browser/harness';
import type { BenchApi } from './bench.worker';
import { log, median, type ThroughputResult } from './measure';
import { DATA_SIZES, FAMILIES, IO, MAIN, SIZES, type BenchCase, type Family } from './models';
import type { BackendResults, BrowserPeerResult, Results, ResumeLoad, ResumeResult } from './report';
import { browserPeerTable, computeRatios, peerGoals, detailTables, peerTable, ratioTable, scalingHtml } from './report';
import type { BrowserSide } from './browser-peers';
import { WORKLOAD_LABELS, WORKLOADS, interleaved, type Side } from './peer-workloads';

const QUICK = process.env.BENCH_QUICK === '1';
const ONLY = process.env.BENCH_ONLY ? new Set(process.env.BENCH_ONLY.split(',')) : null;
const want = (phase: string) => !ONLY || ONLY.has(phase);
const OUT = join(process.cwd(), 'bench-results');

const errorOf = (e: unknown) => ({ error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
const per = <T>(mlp: T, cnn: T, charlm: T): Record<Family, T> => ({ mlp, cnn, charlm });

// Sizes of each measurement: the whole run has to fit in ~15 minutes on 2 cores, where
// SwiftShader runs a small MLP step in ~45 ms, a small CNN in ~250 ms, a small charlm in ~500 ms.
const S = {
  gpuThroughput: { rounds: per(QUICK ? 2 : 14, QUICK ? 1 : 12, QUICK ? 1 : 8), K: per(20, 10, 10), warm: per(10, 5, 5) },
  overheadRounds: per(QUICK ? 1 : 3, 1, 1),
  // Checkpoint I/O medians moved by +-0.1 from run to run with 15 repetitions here; 60 hold to a few %.
  ioReps: QUICK ? 2 : 60,
  scalingSteps: QUICK ? 2 : 5,
  resumeSeq: (QUICK ? ['resume', 'fresh'] : ['resume', 'fresh', 'fresh', 'resume', 'resume', 'fresh']) as ('fresh' | 'resume')[],
  otherThroughput: { rounds: per(QUICK ? 1 : 8, QUICK ? 1 : 4, QUICK ? 1 : 4), K: per(30, 10, 10), warm: per(10, 5, 5) },
  // Peers in the page: on SwiftShader tabtrain's B step takes ~4 s (723 dispatches), jax-js's ~0.5 s.
  browserPeers: { rounds: QUICK ? 1 : 5, K: { A: QUICK ? 3 : 10, B: QUICK ? 2 : 4 } },
  node: { rounds: per(QUICK ? 1 : 8, QUICK ? 1 : 4, QUICK ? 1 : 4), K: per(30, 10, 10), growth: 2000 },
};

const started = Date.now();
const results: Results = {
  schema: 1, startedAt: new Date().toISOString(), durationSec: 0, machine: {}, settings: { quick: QUICK, only: ONLY ? [...ONLY] : null, ...S },
  browser: {}, node: {}, dawn: { run: false, why: 'it runs apart from this bench, on a GPU machine: `npm run gpu-bundle` builds the one file that carries it (docs/performance.md, GPU); no GPU machine was lent to this task, so it was dry-run on SwiftShader only' },
  ratios: {}, ratiosByBackend: {}, goals: {}, notes: [], errors: [],
};

interface Window {
  family: string;
  phase: string;
  backend: string;
  start: number;
  end: number;
}
const windows: Window[] = [];
const longTasks: { start: number; duration: number }[] = [];
let observerOk = true;

let session: BrowserSession | null = null;
let baseUrl = '';

function call<K extends keyof BenchApi>(method: K, ...args: Parameters<BenchApi[K]>): Promise<Awaited<ReturnType<BenchApi[K]>>> {
  return session!.page.evaluate(([m, a]) => (window as unknown as { bench: Record<string, (...x: unknown[]) => unknown> }).bench[m](...a), [method, args] as [string, unknown[]]) as Promise<Awaited<ReturnType<BenchApi[K]>>>;
}

async function openPage(query = ''): Promise<void> {
  await collectLongTasks();
  await session!.page.goto(`${baseUrl}/test/bench/bench.html${query}`);
  await session!.page.waitForFunction(() => (window as unknown as { benchReady?: boolean }).benchReady === true);
}

/** Long tasks of the current page, before it goes away. */
async function collectLongTasks(): Promise<void> {
  if (!session) return;
  try {
    const r = await session.page.evaluate(() => {
      const w = window as unknown as { longTasks?: { start: number; duration: number }[]; longTaskObserver?: boolean };
      return { tasks: w.longTasks ?? [], ok: w.longTaskObserver !== false };
    });
    longTasks.push(...r.tasks);
    if (!r.ok) observerOk = false;
  } catch {
    /* no page yet */
  }
}

/** Runs a training call, remembering its time window for the long-task count. */
async function timed<T>(family: string, phase: string, backend: string, f: () => Promise<T>): Promise<T> {
  const start = await call('absNow');
  try {
    return await f();
  } finally {
    windows.push({ family, phase, backend, start, end: await call('absNow') });
  }
}

async function throughputPhase(b: BackendResults, cfg: typeof S.otherThroughput, withApp: (f: Family) => boolean): Promise<void> {
  for (const f of FAMILIES) {
    log(`${b.backend}: throughput ${MAIN[f].label} (tabtrain vs bare loop vs model.fit, ${cfg.rounds[f]} rounds x ${cfg.K[f]} steps)`);
    try {
      const r = await timed(f, 'throughput', b.backend, () => call('throughput', MAIN[f], { warmSteps: cfg.warm[f], rounds: cfg.rounds[f], stepsPerRound: cfg.K[f], withApp: withApp(f) }));
      b.throughput[f] = r as ThroughputResult;
      log(`  tabtrain ${r.tabtrain.samplesPerSec.toFixed(0)} samples/s, bare ${r.bare.samplesPerSec.toFixed(0)}, fit ${r.fit?.samplesPerSec.toFixed(0) ?? 'n/a'}; first step ${r.tabtrain.firstMs.toFixed(0)} ms`);
    } catch (e) {
      b.throughput[f] = errorOf(e);
      results.errors.push(`${b.backend} throughput ${f}: ${errorOf(e).error}`);
    }
  }
}

async function selectBackend(name: string): Promise<BackendResults> {
  const r = await call('backend', name);
  const b: BackendResults = { backend: name, ok: r.ok, reason: r.reason, throughput: {} };
  if (!r.ok) {
    results.errors.push(`chromium ${name}: ${r.reason ?? 'could not start'} (got ${r.backend})`);
    log(`chromium ${name}: NOT AVAILABLE: ${r.reason}`);
  }
  return b;
}

async function webgpuPhases(): Promise<void> {
  const b = await selectBackend('webgpu');
  results.browser.webgpu = b;
  if (!b.ok) return;
  results.machine.adapter = await call('adapter');
  if (want('throughput')) await throughputPhase(b, { rounds: S.gpuThroughput.rounds, K: S.gpuThroughput.K, warm: S.gpuThroughput.warm }, (f) => f === 'mlp');

  if (want('overlap')) {
    log('webgpu: overlapped checkpoints are bit-exact (runSession overlap vs foreground snapshots)');
    try {
      b.overlapCheck = await timed('mlp', 'overlap', 'webgpu', () => call('overlapCheck', MAIN.mlp, 40, 10));
      log(`  ${JSON.stringify(b.overlapCheck)}`);
    } catch (e) {
      b.overlapCheck = errorOf(e);
    }
  }

  if (want('overhead')) {
    b.overhead = {};
    for (const f of FAMILIES) {
      log(`webgpu: checkpoint overhead ${MAIN[f].label} (app policy; none / blocking / overlapped, ${S.overheadRounds[f]} rounds)`);
      try {
        const r = await timed(f, 'overhead', 'webgpu', () => call('overhead', MAIN[f], { warmSteps: 10, rounds: S.overheadRounds[f] }));
        b.overhead[f] = r;
        const f3 = (v: number | undefined) => (v === undefined ? '-' : v.toFixed(3));
        log(`  overhead blocking ${f3(r.overhead.blocking)}, overlapped ${f3(r.overhead.overlapped)} (direct ${f3(r.direct.blocking)} / ${f3(r.direct.overlapped)}); max stall ${f3(r.maxStallSteps.blocking)} / ${f3(r.maxStallSteps.overlapped)} steps`);
      } catch (e) {
        b.overhead[f] = errorOf(e);
        results.errors.push(`webgpu overhead ${f}: ${errorOf(e).error}`);
      }
    }
  }

  if (want('io')) {
    b.ckptIo = {};
    for (const f of FAMILIES) {
      log(`webgpu: checkpoint I/O vs raw IndexedDB, ${IO[f].label}`);
      try {
        const r = await call('ckptIo', IO[f], S.ioReps);
        b.ckptIo[f] = { ...r, samples: undefined } as never;
        log(`  write ${r.write.ckptMBps.toFixed(0)} vs raw ${r.write.rawMBps.toFixed(0)} MB/s, read ${r.read.ckptMBps.toFixed(0)} vs raw ${r.read.rawMBps.toFixed(0)} MB/s (${(r.bytes / 1e6).toFixed(1)} MB)`);
      } catch (e) {
        b.ckptIo[f] = errorOf(e);
        results.errors.push(`webgpu ckptIo ${f}: ${errorOf(e).error}`);
      }
    }
  }

  if (want('scaling')) {
    b.scaling = [];
    for (const f of FAMILIES) {
      const cases: BenchCase[] = [...SIZES[f], ...DATA_SIZES[f].map((d) => ({ ...MAIN[f], label: `${MAIN[f].label}, data ${d}`, dataSize: d }))];
      for (const c of QUICK ? cases.slice(0, 2) : cases) {
        log(`webgpu: scaling ${c.label}`);
        try {
          b.scaling.push(await timed(f, 'scaling', 'webgpu', () => call('scaling', c, S.scalingSteps)));
        } catch (e) {
          b.scaling.push({ label: c.label, ...errorOf(e) });
          results.errors.push(`webgpu scaling ${c.label}: ${errorOf(e).error}`);
        }
      }
    }
  }

  if (want('resume')) {
    b.resume = {};
    const f: Family = 'mlp';
    const c = MAIN[f];
    log(`webgpu: page load to first step, fresh vs resume (${c.label}); each load is a new page, worker and WebGPU device`);
    try {
      const setup = await call('resumeSetup', c, 20);
      const loads: ResumeLoad[] = [];
      // A first fresh load warms Vite's module cache and the browser's; it is not counted.
      for (const [i, mode] of (['fresh', ...S.resumeSeq] as const).entries()) {
        const q = `?mode=${mode}&backend=webgpu&id=${encodeURIComponent(setup.id)}&case=${encodeURIComponent(JSON.stringify(c))}`;
        await openPage(q);
        await session!.page.waitForFunction(() => (window as unknown as { firstStep?: unknown }).firstStep !== undefined, null, { timeout: 180_000 });
        const r = await session!.page.evaluate(() => (window as unknown as { firstStep: { error?: string; pageStart: number; marks: Record<string, number> } }).firstStep);
        if (r.error) throw new Error(r.error);
        const phases = Object.fromEntries(Object.entries(r.marks).map(([k, v]) => [k, v - r.pageStart]));
        loads.push({ mode, totalMs: phases.firstStep, phases, ...(i === 0 ? { warmup: true } : {}) });
        log(`  ${mode}${i === 0 ? ' (warm-up)' : ''}: ${phases.firstStep.toFixed(0)} ms (${Object.entries(phases).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ')})`);
      }
      const med = (m: string) => {
        const xs = loads.filter((l) => !l.warmup && l.mode === m).map((l) => l.totalMs).sort((x, y) => x - y);
        return xs.length % 2 ? xs[xs.length >> 1] : (xs[xs.length / 2 - 1] + xs[xs.length / 2]) / 2;
      };
      const res: ResumeResult = { label: c.label, family: f, backend: 'webgpu', ckptBytes: setup.bytes, loads, freshMs: med('fresh'), resumeMs: med('resume'), ratio: med('resume') / med('fresh') };
      b.resume[f] = res;
    } catch (e) {
      b.resume[f] = errorOf(e);
      results.errors.push(`webgpu resume: ${errorOf(e).error}`);
    }
    await openPage();
  }
}

/**
 * Workloads A and B in the page: tabtrain's engine on WebGPU against jax-js on WebGPU (jit), in
 * interleaved rounds, with WebGPU dispatches per step counted the same way on both; then
 * tabtrain's engine on tfjs's wasm backend in the page. A side that cannot start is recorded
 * with its full error, never with a number.
 */
async function browserPeersPhase(): Promise<void> {
  results.browserPeers = {};
  const cfg = S.browserPeers;
  for (const w of WORKLOADS) {
    const K = cfg.K[w];
    const r: BrowserPeerResult = { label: WORKLOAD_LABELS[w], stepsPerRound: K, rounds: cfg.rounds, dispatchCounter: await call('dispatchCounter') };
    results.browserPeers[w] = r;
    const side = (name: BrowserSide): Side => ({ name, run: (k) => call('peerRun', name, k) });
    const errs: Record<string, string> = {};
    try {
      // WebGPU: tabtrain and jax-js, interleaved
      const gpuSides: BrowserSide[] = [];
      for (const name of ['tabtrain-webgpu', 'jax-webgpu'] as const) {
        log(`browser peers ${w}: opening ${name}`);
        const o = await call('peerOpen', name, w);
        if (o.ok) gpuSides.push(name);
        else {
          errs[name] = o.reason ?? 'unknown';
          log(`  ${name} did not start: ${o.reason}`);
        }
      }
      if (gpuSides.length) {
        log(`browser peers ${w}: ${gpuSides.join(' vs ')}, ${cfg.rounds} rounds x ${K} steps`);
        const res = await timed(w, 'browserpeers', 'webgpu', () => interleaved(gpuSides.map(side), { rounds: cfg.rounds, K }));
        for (const [i, name] of gpuSides.entries()) {
          const perStep = await call('peerDispatches', name); // over the last round's steps
          const entry = { firstStepMs: res.first[i], rounds: res.perRound[i], stepsPerSec: median(res.perRound[i]), dispatchesPerStep: perStep };
          if (name === 'tabtrain-webgpu') r.tabtrainWebgpu = entry;
          else {
            const losses = await call('peerLosses', name);
            r.jaxWebgpu = { ...entry, lossFirst: losses[0], lossLast: losses[losses.length - 1] };
          }
          log(`  ${name}: ${entry.stepsPerSec.toFixed(2)} steps/s, ${perStep.toFixed(1)} dispatches/step, first step ${entry.firstStepMs.toFixed(0)} ms`);
          await call('peerClose', name);
        }
        if (r.tabtrainWebgpu && r.jaxWebgpu) {
          r.throughputVsJaxWebgpu = median(r.tabtrainWebgpu.rounds.map((x, i) => x / r.jaxWebgpu!.rounds[i]));
          r.dispatchesVsJax = r.tabtrainWebgpu.dispatchesPerStep / r.jaxWebgpu.dispatchesPerStep;
        }
      }
      // tfjs wasm in the page (tabtrain's engine on backend 'wasm')
      log(`browser peers ${w}: tabtrain on tfjs wasm in the page`);
      const o = await call('peerOpen', 'tabtrain-wasm', w);
      if (o.ok) {
        const res = await timed(w, 'browserpeers', 'wasm', () => interleaved([side('tabtrain-wasm')], { rounds: cfg.rounds, K }));
        r.tabtrainWasm = { firstStepMs: res.first[0], rounds: res.perRound[0], stepsPerSec: median(res.perRound[0]) };
        log(`  tabtrain-wasm: ${r.tabtrainWasm.stepsPerSec.toFixed(2)} steps/s`);
        await call('peerClose', 'tabtrain-wasm');
      } else errs['tabtrain-wasm'] = o.reason ?? 'unknown';
    } catch (e) {
      errs.phase = errorOf(e).error;
    }
    if (Object.keys(errs).length) {
      r.errors = errs;
      for (const [k, v] of Object.entries(errs)) results.errors.push(`browser peers ${w} ${k}: ${v}`);
    }
  }
}

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  let commit = 'unknown';
  try {
    commit = execSync('git rev-parse --short HEAD', { encoding: 'utf8' }).trim();
  } catch {
    /* not a git checkout */
  }
  const c = cpus();
  results.machine = {
    cpus: c.length, cpuModel: c[0]?.model, memoryGiB: +(totalmem() / 2 ** 30).toFixed(1), node: process.version, platform: `${process.platform} ${process.arch}`,
    gpu: 'none (WebGPU through SwiftShader, a software Vulkan implementation on the CPU)', commit,
  };
  const browserPhases = ['throughput', 'overhead', 'overlap', 'io', 'scaling', 'resume', 'webgl', 'cpu', 'browserpeers'];
  if (browserPhases.some(want)) {
    log('starting Vite and Chromium');
    const { server, url } = await startServer();
    baseUrl = url;
    try {
      session = await openBrowser();
      await openPage();
      results.machine.userAgent = await session.page.evaluate(() => navigator.userAgent);
      results.machine.tfjs = await call('tfjsVersion');
      await webgpuPhases();
      for (const name of ['webgl', 'cpu'] as const) {
        if (!want(name)) continue;
        const b = await selectBackend(name);
        results.browser[name] = b;
        if (b.ok) await throughputPhase(b, S.otherThroughput, () => false);
      }
      if (want('browserpeers')) await browserPeersPhase();
      await collectLongTasks();
    } catch (e) {
      results.errors.push(`browser: ${errorOf(e).error}`);
      log(`browser part failed: ${errorOf(e).error}`);
      if (session) log(session.logs.slice(-20).join('\n'));
    } finally {
      await session?.close();
      await server.close();
    }
    // Long tasks: count those that overlap a training window.
    const during = longTasks
      .map((t) => ({ ...t, w: windows.find((w) => t.start < w.end && t.start + t.duration > w.start) }))
      .filter((t) => t.w)
      .map((t) => ({ start: t.start, duration: t.duration, phase: `${t.w!.backend} ${t.w!.phase} ${t.w!.family}` }));
    const byFamily: Record<string, number> = {};
    for (const f of FAMILIES) {
      if (!windows.some((w) => w.backend === 'webgpu' && w.family === f)) continue;
      byFamily[f] = longTasks.filter((t) => windows.some((w) => w.backend === 'webgpu' && w.family === f && t.start < w.end && t.start + t.duration > w.start)).length;
    }
    results.longTasks = {
      observer: observerOk, byFamily, duringTraining: during, outside: longTasks.length - during.length,
      trainingSeconds: windows.reduce((a, w) => a + (w.end - w.start) / 1000, 0),
    };
  }
  if (want('node')) {
    log('node: tfjs CPU backend in this process');
    const { runNode } = await import('./node');
    try {
      results.node.cpu = await runNode({ quick: QUICK, stepsPerRound: S.node.K, rounds: S.node.rounds, growthSteps: QUICK ? 200 : S.node.growth });
    } catch (e) {
      results.errors.push(`node: ${errorOf(e).error}`);
    }
  }
  if (want('peers')) {
    log('peers: workloads A and B, tabtrain\'s CLI engine against PyTorch on the CPU');
    const { runPeers } = await import('./peers');
    try {
      results.peers = await runPeers({ rounds: QUICK ? 1 : 5, steps: { A: QUICK ? 3 : 20, B: QUICK ? 2 : 5 } });
    } catch (e) {
      results.errors.push(`peers: ${errorOf(e).error}`);
    }
  }
  results.durationSec = (Date.now() - started) / 1000;
  results.machine.summary = `${results.machine.cpus} x ${results.machine.cpuModel}, ${results.machine.memoryGiB} GiB, no GPU (SwiftShader), ${String(results.machine.userAgent ?? '').match(/Chrome\/[\d.]+/)?.[0] ?? 'no Chromium'}, Node ${process.version}`;
  results.notes.push(
    'ratios: WebGPU (SwiftShader) in Chromium, the app\'s backend; ratiosByBackend has the throughput ratios of every backend.',
    'throughput ratios: median over rounds of (tabtrain samples/s) / (baseline samples/s), both sides run back to back in each round, order rotated.',
    'checkpoint_overhead and max_checkpoint_stall_steps: runSession with overlap: true (background writes); the *_blocking keys: runSession\'s default (what src/worker/runs.ts uses today).',
    'checkpoint_overhead*: from the time the training loop was blocked at each checkpoint step (overlapped: plus the background write time as an upper bound), at the policy\'s checkpoint rate; checkpoint_overhead_ab*: from segments with vs without checkpoints, which on this shared 2-core machine are far noisier than the effect (see noneSpread).',
    'throughput_vs_model_fit: tfjs-layers has no attention layer, so no charlm.',
    'resume_time_vs_fresh_start: engine level in a bench page (load + decode + Trainer.resume + 1 step vs Trainer.create + 1 step), both from a fresh page load; mlp only (each page load compiles the shaders again).',
    'tensor_growth_over_2000_steps: Node, tfjs CPU backend, tiny MLP, with the app checkpoint policy (checkpoints to files); WebGPU growth over the checkpoint runs is in browser.webgpu.overhead.*.memory.',
  );
  computeRatios(results);
  writeFileSync(join(OUT, 'latest.json'), JSON.stringify(results, null, 1));
  writeFileSync(join(OUT, 'scaling.html'), scalingHtml(results));
  if (results.peers || results.browserPeers) writeFileSync(join(OUT, 'peers.svg'), peersChart(results as Parameters<typeof peersChart>[0]));
  console.log(`\ntabtrain bench, ${results.startedAt}, ${results.durationSec.toFixed(0)} s on ${results.machine.summary}\n`);
  console.log(ratioTable(results));
  if (results.peers) console.log(`\nPeers (CPU, this machine):\n${peerTable(results)}`);
  if (results.browserPeers) console.log(`\nPeers in Chromium (WebGPU on SwiftShader, tfjs wasm):\n${browserPeerTable(results)}`);
  if (results.peers || results.browserPeers) console.log(`\nPeer ratios:\n${peerGoals(results)}`);
  console.log('\n' + detailTables(results));
  if (results.errors.length) console.log(`\nErrors:\n${results.errors.map((e) => `- ${e}`).join('\n')}`);
  console.log(`\nWrote ${join('bench-results', 'latest.json')} and ${join('bench-results', 'scaling.html')}. Node on Dawn (real GPU): not run, ${results.dawn.why}.`);
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
