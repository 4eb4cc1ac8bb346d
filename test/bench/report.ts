// The bench's results file, its ratios, the printed table and the scaling chart page.
import type { GrowthResult, OverheadResult, ScalingPoint, ThroughputResult } from './measure';
import { median } from './measure';

export interface CkptIoResult {
  label: string;
  family: string;
  bytes: number;
  tensors: number;
  reps: number;
  write: Record<string, number>;
  read: Record<string, number>;
  writeRatio: number;
  readRatio: number;
}

export interface ResumeLoad {
  mode: 'fresh' | 'resume';
  /** page navigation start to the first step read back, ms. */
  totalMs: number;
  /** phase boundaries in ms since navigation start. */
  phases: Record<string, number>;
  warmup?: boolean;
}

export interface ResumeResult {
  label: string;
  family: string;
  backend: string;
  ckptBytes: number;
  loads: ResumeLoad[];
  freshMs: number;
  resumeMs: number;
  ratio: number;
}

export interface LongTaskResult {
  observer: boolean;
  /** long tasks inside each family's training windows (WebGPU). */
  byFamily: Record<string, number>;
  /** all long tasks seen on the bench page during any training, with their durations. */
  duringTraining: { start: number; duration: number; phase: string }[];
  /** long tasks outside training (page start-up), for information. */
  outside: number;
  trainingSeconds: number;
}

export interface BackendResults {
  backend: string;
  ok: boolean;
  reason?: string;
  throughput: Record<string, ThroughputResult | { error: string }>;
  overhead?: Record<string, OverheadResult | { error: string }>;
  ckptIo?: Record<string, CkptIoResult | { error: string }>;
  resume?: Record<string, ResumeResult | { error: string }>;
  overlapCheck?: unknown;
  scaling?: (ScalingPoint | { label: string; error: string })[];
  growth?: GrowthResult | { error: string };
  stepOverhead?: { label: string; tabtrainMs: number; bareMs: number; ratio: number; overheadUs: number; rounds: number } | { error: string };
}

import type { PeerResult, PeerSide } from './peers';

/** Workload A or B in the page (run.ts browserPeersPhase): the WebGPU sides and tfjs wasm. */
export interface BrowserPeerResult {
  label: string;
  stepsPerRound: number;
  rounds: number;
  /** whether the dispatch counter could wrap GPUComputePassEncoder in the worker. */
  dispatchCounter: boolean;
  tabtrainWebgpu?: PeerSide & { dispatchesPerStep: number };
  jaxWebgpu?: PeerSide & { dispatchesPerStep: number; lossFirst: number; lossLast: number };
  /** tabtrain's engine on tfjs's wasm backend in the page. */
  tabtrainWasm?: PeerSide;
  /** median over rounds of tabtrain WebGPU steps/s over jax-js WebGPU's in the same round. */
  throughputVsJaxWebgpu?: number;
  /** tabtrain's WebGPU dispatches per step over jax-js's. */
  dispatchesVsJax?: number;
  /** sides that did not start or failed, with the full error. */
  errors?: Record<string, string>;
}

export interface Results {
  schema: 1;
  startedAt: string;
  durationSec: number;
  machine: Record<string, unknown>;
  settings: Record<string, unknown>;
  browser: Record<string, BackendResults>;
  node: Record<string, BackendResults>;
  dawn: { run: false; why: string };
  longTasks?: LongTaskResult;
  /** workloads A and B against PyTorch on the CPU (test/bench/peers.ts). */
  peers?: Record<string, PeerResult | { error: string }>;
  /** workloads A and B in Chromium: tabtrain vs jax-js on WebGPU, tfjs wasm (run.ts). */
  browserPeers?: Record<string, BrowserPeerResult>;
  ratios: Record<string, Record<string, number>>;
  ratiosByBackend: Record<string, Record<string, Record<string, number>>>;
  goals: Record<string, { goal: string; met: Record<string, boolean> }>;
  notes: string[];
  errors: string[];
}

function ok<T>(x: T | undefined): x is Exclude<T, { error: string }> {
  return !!x && !(typeof x === 'object' && 'error' in x);
}

/** The median of the per-round ratios: each round ran both sides back to back. */
export function pairedRatio(a: number[], b: number[]): number {
  return median(a.map((x, i) => x / b[i]));
}

export function quantile(xs: number[], q: number): number {
  const s = xs.slice().sort((a, b) => a - b);
  if (!s.length) return NaN;
  const i = (s.length - 1) * q;
  const lo = Math.floor(i);
  return s[lo] + (s[Math.min(lo + 1, s.length - 1)] - s[lo]) * (i - lo);
}

/** The interquartile range of the per-round ratios, as "p25-p75". */
function iqr(a: number[], b: number[]): string {
  const r = a.map((x, i) => x / b[i]);
  return r.length > 1 ? `${quantile(r, 0.25).toFixed(2)}-${quantile(r, 0.75).toFixed(2)}` : '-';
}

export const GOALS: Record<string, { goal: string; test: (v: number) => boolean }> = {
  throughput_vs_bare_loop: { goal: '>= 0.97', test: (v) => v >= 0.97 },
  throughput_vs_model_fit: { goal: '>= 1.0', test: (v) => v >= 1.0 },
  checkpoint_overhead: { goal: '<= 0.02', test: (v) => v <= 0.02 },
  max_checkpoint_stall_steps: { goal: '<= 1', test: (v) => v <= 1 },
  ckpt_write_vs_raw_idb: { goal: '>= 0.8', test: (v) => v >= 0.8 },
  ckpt_read_vs_raw_idb: { goal: '>= 0.8', test: (v) => v >= 0.8 },
  resume_time_vs_fresh_start: { goal: '<= 1.2', test: (v) => v <= 1.2 },
  main_thread_long_tasks: { goal: '0', test: (v) => v === 0 },
  tensor_growth_over_2000_steps: { goal: '0', test: (v) => v === 0 },
  checkpoint_overhead_blocking: { goal: '<= 0.02', test: (v) => v <= 0.02 },
  max_checkpoint_stall_steps_blocking: { goal: '<= 1', test: (v) => v <= 1 },
  checkpoint_overhead_ab: { goal: '<= 0.02', test: (v) => v <= 0.02 },
  checkpoint_overhead_ab_blocking: { goal: '<= 0.02', test: (v) => v <= 0.02 },
  // peers (by workload A, B); throughput_vs_jax_webgpu has its goal (>= 1.0) on a real GPU only
  dispatches_per_step_vs_jax: { goal: '<= 1', test: (v) => v <= 1 },
  throughput_vs_jax_wasm: { goal: '>= 1.0', test: (v) => v >= 1.0 },
};

function throughputRatios(b: BackendResults): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = { throughput_vs_bare_loop: {}, throughput_vs_model_fit: {} };
  for (const [fam, r] of Object.entries(b.throughput)) {
    if (!ok(r)) continue;
    out.throughput_vs_bare_loop[fam] = pairedRatio(r.tabtrain.rounds, r.bare.rounds);
    if (r.fit) out.throughput_vs_model_fit[fam] = pairedRatio(r.tabtrain.rounds, r.fit.rounds);
  }
  return out;
}

/** Fills results.ratios (WebGPU in Chromium), ratiosByBackend and goals. */
export function computeRatios(res: Results): void {
  const ratios: Record<string, Record<string, number>> = {};
  const gpu = res.browser.webgpu;
  if (gpu?.ok) {
    Object.assign(ratios, throughputRatios(gpu));
    for (const k of ['checkpoint_overhead', 'max_checkpoint_stall_steps', 'checkpoint_overhead_blocking', 'max_checkpoint_stall_steps_blocking', 'checkpoint_overhead_ab', 'checkpoint_overhead_ab_blocking']) ratios[k] = {};
    for (const [fam, r] of Object.entries(gpu.overhead ?? {})) {
      if (!ok(r)) continue;
      const put = (key: string, v: number | undefined) => {
        if (v !== undefined && Number.isFinite(v)) ratios[key][fam] = v;
      };
      put('checkpoint_overhead', r.direct.overlapped);
      put('max_checkpoint_stall_steps', r.maxStallSteps.overlapped);
      put('checkpoint_overhead_blocking', r.direct.blocking);
      put('max_checkpoint_stall_steps_blocking', r.maxStallSteps.blocking);
      put('checkpoint_overhead_ab', r.overhead.overlapped);
      put('checkpoint_overhead_ab_blocking', r.overhead.blocking);
    }
    ratios.ckpt_write_vs_raw_idb = {};
    ratios.ckpt_read_vs_raw_idb = {};
    for (const [fam, r] of Object.entries(gpu.ckptIo ?? {})) {
      if (!ok(r)) continue;
      ratios.ckpt_write_vs_raw_idb[fam] = r.writeRatio;
      ratios.ckpt_read_vs_raw_idb[fam] = r.readRatio;
    }
    ratios.resume_time_vs_fresh_start = {};
    for (const [fam, r] of Object.entries(gpu.resume ?? {})) if (ok(r)) ratios.resume_time_vs_fresh_start[fam] = r.ratio;
  }
  if (res.longTasks) ratios.main_thread_long_tasks = { ...res.longTasks.byFamily };
  const growth = res.node.cpu?.growth;
  if (ok(growth)) ratios.tensor_growth_over_2000_steps = { mlp: growth.growth };
  if (res.peers) {
    ratios.cli_throughput_vs_torch_cpu = {};
    for (const [w, r] of Object.entries(res.peers)) if (ok(r) && r.cliVsTorchCpu !== undefined) ratios.cli_throughput_vs_torch_cpu[w] = r.cliVsTorchCpu;
    ratios.throughput_vs_jax_wasm = {};
    for (const [w, r] of Object.entries(res.peers)) if (ok(r) && r.cliVsJaxWasm !== undefined) ratios.throughput_vs_jax_wasm[w] = r.cliVsJaxWasm;
  }
  if (res.browserPeers) {
    ratios.throughput_vs_jax_webgpu = {};
    ratios.dispatches_per_step_vs_jax = {};
    for (const [w, r] of Object.entries(res.browserPeers)) {
      if (r.throughputVsJaxWebgpu !== undefined) ratios.throughput_vs_jax_webgpu[w] = r.throughputVsJaxWebgpu;
      if (r.dispatchesVsJax !== undefined) ratios.dispatches_per_step_vs_jax[w] = r.dispatchesVsJax;
    }
  }
  res.ratios = ratios;

  res.ratiosByBackend = {};
  for (const [name, b] of [...Object.entries(res.browser).map(([k, v]) => [`chromium-${k}`, v] as const), ...Object.entries(res.node).map(([k, v]) => [`node-${k}`, v] as const)]) {
    if (b.ok) res.ratiosByBackend[name] = throughputRatios(b);
  }
  res.goals = {};
  for (const [k, fams] of Object.entries(ratios)) {
    const g = GOALS[k];
    if (!g) continue;
    res.goals[k] = { goal: g.goal, met: Object.fromEntries(Object.entries(fams).map(([f, v]) => [f, g.test(v)])) };
  }
}

// ---------------------------------------------------------------------------------------------
// The printed table

const fmt = (v: number | undefined, d = 3): string => (v === undefined || !Number.isFinite(v) ? '-' : Math.abs(v) >= 1000 ? v.toFixed(0) : v.toFixed(d));

function table(head: string[], rows: (string | number)[][]): string {
  const cells = [head, ...rows.map((r) => r.map(String))];
  const w = head.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  // Numbers right-aligned, text left-aligned (a column is numeric when all its cells are).
  const numeric = head.map((_, i) => cells.slice(1).every((r) => /^(-?[\d.]+|-|n\/a)$/.test(r[i] ?? '')));
  const line = (r: string[]) => '| ' + r.map((c, i) => (numeric[i] ? c.padStart(w[i]) : c.padEnd(w[i]))).join(' | ') + ' |';
  return [line(head), '|' + w.map((n, i) => '-'.repeat(numeric[i] ? n + 1 : n + 2) + (numeric[i] ? ':' : '')).join('|') + '|', ...cells.slice(1).map(line)].join('\n');
}

export function ratioTable(res: Results): string {
  const fams = ['mlp', 'cnn', 'charlm'];
  // ratios by workload (A, B: peers) have a table of their own (peerTable)
  const byFamily = Object.entries(res.ratios).filter(([, v]) => Object.keys(v).every((f) => fams.includes(f)));
  const rows = byFamily.map(([k, v]) => {
    const g = GOALS[k];
    const met = Object.entries(v).map(([f, x]) => (g?.test(x) ? '' : f)).filter(Boolean);
    const status = Object.keys(v).length === 0 ? 'n/a' : met.length ? `MISSED (${met.join(', ')})` : 'met';
    return [k, ...fams.map((f) => (f in v ? fmt(v[f], k.includes('tasks') || k.includes('growth') ? 0 : 3) : 'n/a')), g?.goal ?? '', status];
  });
  return table(['ratio (WebGPU, Chromium)', ...fams, 'goal', 'status'], rows);
}

const spreadOf = (xs: number[]) => (xs.length > 1 ? `${fmt(quantile(xs, 0.25), 2)}-${fmt(quantile(xs, 0.75), 2)}` : '-');

/** Workloads A and B in Node: steps/s of each side (median, with the spread over rounds) and the ratios. */
export function peerTable(res: Results): string {
  if (!res.peers) return '';
  const rows = Object.entries(res.peers).map(([w, r]) => {
    if (!ok(r)) return [w, 'error', '-', '-', '-', '-', '-', '-', '-', '-', '-', r.error];
    const t = r.torchCpu;
    const j = r.jaxWasm;
    const notes = [
      t ? `torch ${t.version}, ${t.threads} threads` : `no torch: ${r.torchError ?? '?'}`,
      j ? `jax-js loss ${fmt(j.lossFirst, 3)} -> ${fmt(j.lossLast, 3)}` : `no jax-js: ${r.jaxError ?? '?'}`,
      `first step ms: tabtrain wasm ${fmt(r.tabtrainWasm.firstStepMs, 0)}${j ? `, jax-js ${fmt(j.firstStepMs, 0)}` : ''}${t ? `, torch ${fmt(t.firstStepMs, 0)}` : ''}`,
    ].join('; ');
    return [
      r.label, fmt(r.tabtrainWasm.stepsPerSec, 2), spreadOf(r.tabtrainWasm.rounds), fmt(r.tabtrainCpu.stepsPerSec, 2), j ? fmt(j.stepsPerSec, 2) : '-', j ? spreadOf(j.rounds) : '-',
      t ? fmt(t.stepsPerSec, 2) : '-', t ? spreadOf(t.rounds) : '-', fmt(r.cliVsJaxWasm, 3), fmt(r.cliVsTorchCpu, 3), fmt(r.cpuBackendVsTorchCpu, 3), notes,
    ];
  });
  return table(['workload', 'tabtrain wasm (CLI) steps/s', 'p25-p75', 'tabtrain cpu steps/s', 'jax-js wasm steps/s', 'p25-p75', 'PyTorch CPU steps/s', 'p25-p75', 'throughput_vs_jax_wasm', 'cli_throughput_vs_torch_cpu', 'cpu backend vs torch', 'notes'], rows);
}

/** The peers' goals (ratios by workload), one line each: met or missed per workload. */
export function peerGoals(res: Results): string {
  const lines: string[] = [];
  for (const k of ['dispatches_per_step_vs_jax', 'throughput_vs_jax_wasm', 'throughput_vs_jax_webgpu', 'cli_throughput_vs_torch_cpu']) {
    const v = res.ratios[k];
    if (!v || !Object.keys(v).length) continue;
    const g = GOALS[k];
    const each = Object.entries(v).map(([w, x]) => `${w} ${fmt(x, 3)}${g ? (g.test(x) ? ' met' : ' MISSED') : ''}`);
    lines.push(`${k}${g ? ` (goal ${g.goal})` : k === 'throughput_vs_jax_webgpu' ? ' (goal >= 1.0 on a real GPU; SwiftShader: reported only)' : ' (reported)'}: ${each.join(', ')}`);
  }
  return lines.join('\n');
}

/** Workloads A and B in Chromium: tabtrain vs jax-js on WebGPU (steps/s, dispatches/step), tfjs wasm. */
export function browserPeerTable(res: Results): string {
  if (!res.browserPeers) return '';
  const rows = Object.entries(res.browserPeers).map(([, r]) => {
    const t = r.tabtrainWebgpu;
    const j = r.jaxWebgpu;
    const notes = [
      `first step ms: ${t ? `tabtrain ${fmt(t.firstStepMs, 0)}` : ''}${j ? `, jax-js ${fmt(j.firstStepMs, 0)}` : ''}${r.tabtrainWasm ? `, wasm ${fmt(r.tabtrainWasm.firstStepMs, 0)}` : ''}`,
      j ? `jax-js loss ${fmt(j.lossFirst, 3)} -> ${fmt(j.lossLast, 3)}` : '',
      ...Object.entries(r.errors ?? {}).map(([k, v]) => `${k} FAILED: ${v.slice(0, 160)}`),
    ].filter(Boolean).join('; ');
    return [
      r.label, t ? fmt(t.stepsPerSec, 2) : '-', t ? spreadOf(t.rounds) : '-', j ? fmt(j.stepsPerSec, 2) : '-', j ? spreadOf(j.rounds) : '-', fmt(r.throughputVsJaxWebgpu, 3),
      t ? fmt(t.dispatchesPerStep, 1) : '-', j ? fmt(j.dispatchesPerStep, 1) : '-', fmt(r.dispatchesVsJax, 3), r.tabtrainWasm ? fmt(r.tabtrainWasm.stepsPerSec, 2) : '-', r.tabtrainWasm ? spreadOf(r.tabtrainWasm.rounds) : '-', notes,
    ];
  });
  return table(['workload', 'tabtrain WebGPU steps/s', 'p25-p75', 'jax-js WebGPU steps/s', 'p25-p75', 'throughput_vs_jax_webgpu', 'tabtrain dispatches/step', 'jax-js dispatches/step', 'dispatches_per_step_vs_jax', 'tfjs wasm (page) steps/s', 'p25-p75', 'notes'], rows);
}

export function detailTables(res: Results): string {
  const out: string[] = [];
  const thr: (string | number)[][] = [];
  for (const [where, group] of [['chromium', res.browser], ['node', res.node]] as const) {
    for (const b of Object.values(group)) {
      for (const r of Object.values(b.throughput ?? {})) {
        if (!ok(r)) continue;
        thr.push([
          `${where} ${r.backend}`, r.label, fmt(r.tabtrain.firstMs, 0), fmt(r.tabtrain.warmMsPerStep, 1), fmt(r.tabtrain.samplesPerSec, 0), fmt(r.bare.samplesPerSec, 0),
          r.fit ? fmt(r.fit.samplesPerSec, 0) : 'n/a', r.app ? fmt(r.app.samplesPerSec, 0) : '-', fmt(pairedRatio(r.tabtrain.rounds, r.bare.rounds)),
          iqr(r.tabtrain.rounds, r.bare.rounds), r.fit ? fmt(pairedRatio(r.tabtrain.rounds, r.fit.rounds)) : 'n/a', r.fit ? iqr(r.tabtrain.rounds, r.fit.rounds) : '-', `${r.tabtrain.rounds.length}x${r.stepsPerRound}`,
          r.kernels && !r.kernels.error ? `${r.kernels.tabtrain}/${r.kernels.bare}${r.kernels.sameKernels ? '(same)' : '(DIFFER)'}/${r.kernels.fitPerStep?.toFixed(0) ?? '-'}` : '-',
        ]);
      }
    }
  }
  out.push('Throughput, samples/s in steady state (warm-up apart: first step incl. shader compilation, then ms/step of the next steps)');
  out.push(table(['backend', 'model', 'first step ms', 'warm ms/step', 'tabtrain', 'bare loop', 'model.fit', 'app loop', 'vs bare', 'IQR', 'vs fit', 'IQR', 'rounds x steps', 'kernels/step t/b/fit'], thr));

  const gpu = res.browser.webgpu;
  const ov = Object.values(gpu?.overhead ?? {}).filter(ok);
  if (ov.length) {
    out.push('\nCheckpoints (WebGPU, the app policy: latest every 50 steps or 10 s, periodic every 500; saveCheckpointContents into IndexedDB, as the app worker does).');
    out.push('direct = throughput lost at the policy rate, from the time the loop was blocked at checkpoint steps (+ overlapped: the time of a foreground write, as a bound); A/B = the same from segments with vs without checkpoints (median over rounds; noisy).');
    out.push(table(
      ['model', 'ms/step', 'interval', 'segment x rounds', 'ckpts b/o', 'direct blocking', 'direct overlapped', 'A/B blocking', 'A/B overlapped', 'max stall blocking', 'max stall overlapped', 'stall ms b/o', 'write ms', 'noise (steps)', 'none spread'],
      ov.map((r) => [
        r.label, fmt(r.stepMs, 1), fmt(r.intervalSteps, 0), `${r.segmentSteps} x ${r.rounds}`, `${r.modes.blocking.checkpoints}/${r.modes.overlapped.checkpoints}`,
        fmt(r.direct.blocking, 4), fmt(r.direct.overlapped, 4), fmt(r.overhead.blocking), fmt(r.overhead.overlapped),
        fmt(r.maxStallSteps.blocking, 2), fmt(r.maxStallSteps.overlapped, 2), `${fmt(r.maxStallMs.blocking, 1)}/${fmt(r.maxStallMs.overlapped, 1)}`, fmt(r.writeMs, 1), fmt(r.noiseStallSteps, 2), fmt(r.noneSpread, 2),
      ]),
    ));
  }
  const io = Object.values(gpu?.ckptIo ?? {}).filter(ok);
  if (io.length) {
    out.push('\nCheckpoint I/O vs raw IndexedDB (median of alternated repetitions, each after a 50 ms pause; MB/s, ms): saveCheckpointContents / loadCheckpointContents (checksum checked) vs one put / get');
    out.push(table(['model', 'bytes', 'ckpt write', 'raw put', 'write ratio', 'ckpt read', 'raw get', 'read ratio', 'save ms', 'put ms', 'load ms', 'get ms'],
      io.map((r) => [r.label, r.bytes, fmt(r.write.ckptMBps, 1), fmt(r.write.rawMBps, 1), fmt(r.writeRatio), fmt(r.read.ckptMBps, 1), fmt(r.read.rawMBps, 1), fmt(r.readRatio), fmt(r.write.ckpt, 1), fmt(r.write.raw, 1), fmt(r.read.ckpt, 1), fmt(r.read.raw, 1)])));
  }
  const rs = Object.values(gpu?.resume ?? {}).filter(ok);
  if (rs.length) {
    out.push('\nPage load to first step (engine level, WebGPU; median of alternated loads, ms)');
    out.push(table(['model', 'fresh', 'resume', 'ratio', 'loads'], rs.map((r) => [r.label, fmt(r.freshMs, 0), fmt(r.resumeMs, 0), fmt(r.ratio), r.loads.filter((l) => !l.warmup).map((l) => `${l.mode[0]}:${l.totalMs.toFixed(0)}`).join(' ')])));
  }
  const gr: (string | number)[][] = [];
  for (const [where, group] of [['chromium', res.browser], ['node', res.node]] as const) {
    for (const b of Object.values(group)) {
      if (ok(b.growth)) gr.push([`${where} ${b.growth.backend}`, b.growth.label, b.growth.steps, b.growth.checkpoints, `${b.growth.numTensors[0]} -> ${b.growth.numTensors[1]}`, b.growth.growth, `${b.growth.numBytes[0]} -> ${b.growth.numBytes[1]}`, `${b.growth.numBytesInGPU[0] ?? '-'} -> ${b.growth.numBytesInGPU[1] ?? '-'}`]);
    }
  }
  for (const r of ov) gr.push([`chromium ${r.backend}`, `${r.label} (checkpoint runs)`, r.memory.steps, r.modes.blocking.checkpoints + r.modes.overlapped.checkpoints, `${r.memory.numTensors[0]} -> ${r.memory.numTensors[1]}`, r.memory.numTensors[1] - r.memory.numTensors[0], '-', `${r.memory.numBytesInGPU[0] ?? '-'} -> ${r.memory.numBytesInGPU[1] ?? '-'}`]);
  if (gr.length) {
    out.push('\nTensor growth (tf.memory(), runSession with checkpoints)');
    out.push(table(['backend', 'model', 'steps', 'ckpts', 'numTensors', 'growth', 'numBytes', 'GPU bytes'], gr));
  }
  const so = res.node.cpu?.stepOverhead;
  if (ok(so)) {
    out.push(`\nEngine CPU cost per step (Node CPU, ${so.label}, dispatch-bound, median of ${so.rounds} alternated rounds): tabtrain ${so.tabtrainMs.toFixed(3)} ms, bare loop ${so.bareMs.toFixed(3)} ms: ${so.overheadUs.toFixed(0)} us more per step (bare/tabtrain ${so.ratio.toFixed(3)})`);
  }
  if (res.longTasks) {
    const lt = res.longTasks;
    out.push(`\nMain-thread long tasks (> 50 ms) while the worker trained: ${lt.duringTraining.length} in ${lt.trainingSeconds.toFixed(0)} s of training` +
      `${lt.observer ? '' : ' (PerformanceObserver longtask unsupported!)'}; ${lt.outside} outside training (page start-up)`);
  }
  const sc: (string | number)[][] = [];
  for (const [where, group] of [['chromium', res.browser], ['node', res.node]] as const) {
    for (const b of Object.values(group)) {
      for (const p of b.scaling ?? []) {
        if (!ok(p)) continue;
        sc.push([`${where} ${p.backend}`, p.label, p.params, p.dataSize, fmt(p.createMs, 1), fmt(p.firstStepMs, 0), fmt(p.stepMs, 1), fmt(p.samplesPerSec, 0), p.ckptBytes, fmt(p.snapshotMs, 1), fmt(p.saveMs, 1)]);
      }
    }
  }
  if (sc.length) {
    out.push('\nScaling (see bench-results/scaling.html)');
    out.push(table(['backend', 'model', 'params', 'data', 'create ms', 'first step ms', 'ms/step', 'samples/s', 'ckpt bytes', 'snapshot ms', 'save ms'], sc));
  }
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------
// The chart page: self-contained HTML with inline SVG (no scripts, no CDN)

interface Series {
  name: string;
  color: string;
  dash?: boolean;
  points: [number, number][];
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function niceLogTicks(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) out.push(10 ** e);
  return out;
}

function fmtTick(v: number): string {
  if (v >= 1e6) return `${v / 1e6}M`;
  if (v >= 1e3) return `${v / 1e3}k`;
  return String(v);
}

/** A log-log line chart as an SVG string. */
export function lineChart(title: string, xLabel: string, yLabel: string, series: Series[]): string {
  const W = 560;
  const H = 340;
  const m = { l: 64, r: 140, t: 30, b: 46 };
  const pts = series.flatMap((s) => s.points).filter(([x, y]) => x > 0 && y > 0);
  if (!pts.length) return `<p>${esc(title)}: no data</p>`;
  const xs = pts.map((p) => p[0]);
  const ys = pts.map((p) => p[1]);
  const xt = niceLogTicks(Math.min(...xs), Math.max(...xs));
  const yt = niceLogTicks(Math.min(...ys), Math.max(...ys));
  const [x0, x1] = [Math.log10(xt[0]), Math.log10(xt[xt.length - 1])];
  const [y0, y1] = [Math.log10(yt[0]), Math.log10(yt[yt.length - 1])];
  const X = (v: number) => m.l + ((Math.log10(v) - x0) / (x1 - x0 || 1)) * (W - m.l - m.r);
  const Y = (v: number) => H - m.b - ((Math.log10(v) - y0) / (y1 - y0 || 1)) * (H - m.t - m.b);
  const g: string[] = [];
  g.push(`<text x="${W / 2 - m.r / 2}" y="18" text-anchor="middle" font-weight="bold">${esc(title)}</text>`);
  for (const t of xt) g.push(`<line x1="${X(t)}" x2="${X(t)}" y1="${m.t}" y2="${H - m.b}" stroke="#ddd"/><text x="${X(t)}" y="${H - m.b + 16}" text-anchor="middle">${fmtTick(t)}</text>`);
  for (const t of yt) g.push(`<line x1="${m.l}" x2="${W - m.r}" y1="${Y(t)}" y2="${Y(t)}" stroke="#ddd"/><text x="${m.l - 6}" y="${Y(t) + 4}" text-anchor="end">${fmtTick(t)}</text>`);
  g.push(`<text x="${(m.l + W - m.r) / 2}" y="${H - 8}" text-anchor="middle">${esc(xLabel)} (log)</text>`);
  g.push(`<text transform="translate(14 ${(m.t + H - m.b) / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)} (log)</text>`);
  series.forEach((s, i) => {
    const p = s.points.filter(([x, y]) => x > 0 && y > 0).sort((a, b) => a[0] - b[0]);
    if (!p.length) return;
    g.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2"${s.dash ? ' stroke-dasharray="6 4"' : ''} points="${p.map(([x, y]) => `${X(x).toFixed(1)},${Y(y).toFixed(1)}`).join(' ')}"/>`);
    for (const [x, y] of p) g.push(`<circle cx="${X(x).toFixed(1)}" cy="${Y(y).toFixed(1)}" r="3" fill="${s.color}"><title>${esc(s.name)}: ${fmtTick(Number(x.toPrecision(3)))}, ${Number(y.toPrecision(3))}</title></circle>`);
    const ly = m.t + 10 + i * 18;
    g.push(`<line x1="${W - m.r + 10}" x2="${W - m.r + 34}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="2"${s.dash ? ' stroke-dasharray="6 4"' : ''}/><text x="${W - m.r + 38}" y="${ly + 4}">${esc(s.name)}</text>`);
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">${g.join('')}</svg>`;
}

const COLORS: Record<string, string> = { mlp: '#1f77b4', cnn: '#d62728', charlm: '#2ca02c' };

export function scalingHtml(res: Results): string {
  const groups: { name: string; dash: boolean; points: ScalingPoint[] }[] = [];
  for (const [where, group] of [['chromium', res.browser], ['node', res.node]] as const) {
    for (const b of Object.values(group)) {
      const pts = (b.scaling ?? []).filter(ok);
      if (pts.length) groups.push({ name: where === 'node' ? `node ${b.backend}` : b.backend, dash: where === 'node', points: pts });
    }
  }
  // Model-size points are those on the family's default dataset size; dataset-size points share the main model.
  const series = (pick: (p: ScalingPoint) => [number, number] | null, filter: (p: ScalingPoint) => boolean) =>
    groups.flatMap((g) =>
      ['mlp', 'cnn', 'charlm'].map((f) => ({
        name: `${f} ${g.name}`, color: COLORS[f], dash: g.dash,
        points: g.points.filter((p) => p.family === f && filter(p)).map(pick).filter((x): x is [number, number] => x !== null),
      })),
    ).filter((s) => s.points.length);
  const bySize = (p: ScalingPoint) => !p.label.includes('data');
  const byData = (p: ScalingPoint) => p.label.includes('data') || false;
  const charts = [
    lineChart('Throughput vs model size', 'parameters', 'samples/s', series((p) => [p.params, p.samplesPerSec], bySize)),
    lineChart('Checkpoint size vs model size', 'parameters', 'bytes', series((p) => [p.params, p.ckptBytes], bySize)),
    lineChart('Checkpoint time vs model size', 'parameters', 'ms (snapshot + save)', series((p) => [p.params, p.ckptMs], bySize)),
    lineChart('Throughput vs dataset size', 'samples in the dataset', 'samples/s', series((p) => [p.dataSize, p.samplesPerSec], byData)),
    lineChart('Dataset upload (Trainer.create) vs dataset size', 'samples in the dataset', 'ms', series((p) => [p.dataSize, p.createMs], byData)),
    lineChart('Checkpoint time vs dataset size', 'samples in the dataset', 'ms', series((p) => [p.dataSize, p.ckptMs], byData)),
  ];
  const rows = groups.flatMap((g) => g.points.map((p) => `<tr><td>${esc(g.name)}</td><td>${esc(p.label)}</td><td>${p.params}</td><td>${p.dataSize}</td><td>${p.createMs.toFixed(1)}</td><td>${p.firstStepMs.toFixed(0)}</td><td>${p.stepMs.toFixed(1)}</td><td>${p.samplesPerSec.toFixed(0)}</td><td>${p.ckptBytes}</td><td>${p.snapshotMs.toFixed(1)}</td><td>${p.saveMs.toFixed(1)}</td></tr>`));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>tabtrain scaling</title>
<style>body{font-family:sans-serif;max-width:1200px;margin:1em auto;padding:0 1em}svg{border:1px solid #eee;margin:4px}table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}td:first-child,td:nth-child(2){text-align:left}</style>
</head><body>
<h1>tabtrain scaling</h1>
<p>From <code>npm run bench</code> at ${esc(res.startedAt)} on ${esc(String(res.machine.summary ?? ''))}. Solid lines: Chromium (WebGPU on SwiftShader, a software GPU on the CPU);
dashed: Node on the tfjs CPU backend. Absolute speeds here say nothing about a real GPU. Checkpoint time = snapshot (device copies + readback) + save (Chromium: saveCheckpointContents
into IndexedDB, as the app's worker does: one copy into the stored form, an xxHash32 checksum instead of SHA-256; Node: encodeCkpt + a file write + rename, as the CLI does). Model sizes run on each family's default dataset; dataset sizes on each family's default model.</p>
${charts.join('\n')}
<h2>Numbers</h2>
<table><tr><th>where</th><th>model</th><th>params</th><th>dataset</th><th>create ms</th><th>first step ms</th><th>ms/step</th><th>samples/s</th><th>ckpt bytes</th><th>snapshot ms</th><th>save ms</th></tr>
${rows.join('\n')}
</table>
</body></html>
`;
}
