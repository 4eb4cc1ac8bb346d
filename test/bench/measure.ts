// Measurements shared by the bench worker (Chromium) and the Node part. Every comparison runs
// its sides in the same process, interleaved in rounds with the order rotated each round, so
// noise (other processes, thermal, GC) hits all sides alike. Nothing here asserts a timing.
import * as tf from '@tensorflow/tfjs';
import type { CkptContents } from '../../src/ckpt/types';
import { runSession, type CheckpointPolicy } from '../../src/engine/session';
import type { CheckpointKind, StateMeta } from '../../src/engine/state';
import { Trainer } from '../../src/engine/trainer';
import { BareLoop, FitModel, benchConfig, fitApplies, makeDataset, paramCount, type BenchCase } from './models';

export const now = (): number => performance.now();
const t0 = Date.now();
/** Progress on stderr, with the seconds since the bench started. */
export const log = (msg: string): void => console.error(`[bench ${((Date.now() - t0) / 1000).toFixed(0).padStart(4)}s] ${msg}`);

/** Waits until the device has run everything queued: reads back one small parameter. */
export async function syncRead(t: Trainer): Promise<void> {
  let best: tf.Variable | null = null;
  for (const v of t.vars.values()) if (!best || v.size < best.size) best = v;
  await best!.data();
}

export function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = xs.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** A macrotask without the 4 ms clamp: the app's worker yields like this after every step. */
export const yieldToEvents = (): Promise<void> =>
  typeof MessageChannel === 'undefined'
    ? new Promise<void>((r) => setTimeout(r, 0))
    : new Promise<void>((resolve) => {
        const ch = new MessageChannel();
        ch.port1.onmessage = () => {
          ch.port1.close();
          resolve();
        };
        ch.port2.postMessage(null);
      });

export interface Side {
  /** first step (or first fit() epoch) including shader compilation, ms. */
  firstMs: number;
  /** steps in that first call (1, or the fit epoch's batches). */
  firstSteps: number;
  /** the next warm-up steps, ms per step. */
  warmMsPerStep: number;
  /** steady state: steps and total ms over all rounds, and samples/s. */
  steps: number;
  ms: number;
  samplesPerSec: number;
  /** per-round samples/s, to show the spread. */
  rounds: number[];
}

export interface ThroughputResult {
  label: string;
  family: string;
  backend: string;
  params: number;
  batchSize: number;
  stepsPerRound: number;
  tabtrain: Side;
  bare: Side;
  fit?: Side;
  /** tabtrain as the app's worker runs it: runSession, no checkpoints, a yield after every step. */
  app?: Side;
  vsBare: number;
  vsFit?: number;
  appVsBare?: number;
  /**
   * Kernels one training step dispatches (tf.profile, after warm-up): tabtrain's and the bare
   * loop's lists compared name by name; model.fit's count per batch.
   */
  kernels?: { tabtrain: number; bare: number; sameKernels: boolean; fitPerStep?: number; error?: string };
}

/**
 * tabtrain's Trainer vs the bare loop vs model.fit on one model, same backend, same process.
 * Warm-up (first step: shader compilation on WebGPU) is timed apart from the steady state.
 */
export async function compareThroughput(c: BenchCase, o: { warmSteps: number; rounds: number; stepsPerRound: number; withApp?: boolean }): Promise<ThroughputResult> {
  const ds = makeDataset(c.family, c.dataSize);
  const config = benchConfig(c, ds);
  const B = config.batchSize;
  const K = o.stepsPerRound;
  const trainer = Trainer.create({ config, dataset: ds, runId: 'bench-throughput' });
  const bare = new BareLoop(config, ds);
  const fit = fitApplies(c.family) ? new FitModel(config, ds, K) : null;
  // Every timed call ends with a readback that waits for all queued device work, so no side's
  // steps spill into the next side's time (train() itself syncs only every logEvery steps).
  const syncBare = () => bare.vars[Object.keys(bare.vars).sort((a, b) => bare.vars[a].size - bare.vars[b].size)[0]].data();
  type Runner = { name: 'tabtrain' | 'bare' | 'fit' | 'app'; first: () => Promise<number>; warm: () => Promise<void>; round: () => Promise<void> };
  const runners: Runner[] = [
    {
      name: 'tabtrain',
      first: async () => {
        await trainer.train({ target: { steps: trainer.step + 1 } });
        await syncRead(trainer);
        return 1;
      },
      warm: async () => {
        await trainer.train({ target: { steps: trainer.step + o.warmSteps } });
        await syncRead(trainer);
      },
      round: async () => {
        await trainer.train({ target: { steps: trainer.step + K } });
        await syncRead(trainer);
      },
    },
    {
      name: 'bare',
      first: async () => {
        await bare.run(1);
        await syncBare();
        return 1;
      },
      warm: async () => {
        await bare.run(o.warmSteps);
        await syncBare();
      },
      round: async () => {
        await bare.run(K);
        await syncBare();
      },
    },
  ];
  // fit() resolves after reading the epoch's logs back: already a full sync.
  if (fit) runners.push({ name: 'fit', first: async () => (await fit.run(), K), warm: async () => void (await fit.run()), round: async () => void (await fit.run()) });
  if (o.withApp) {
    runners.push({
      name: 'app',
      first: async () => 1,
      warm: async () => undefined,
      round: async () => {
        const end = trainer.step + K;
        await runSession(trainer, { policy: { everySteps: 0, everySeconds: 0, best: false }, save: async () => undefined, shouldStop: () => trainer.step >= end, afterStep: yieldToEvents });
        await syncRead(trainer);
      },
    });
  }
  const sides = new Map<string, Side>();
  for (const r of runners) {
    let t0 = now();
    const firstSteps = await r.first();
    const firstMs = now() - t0;
    t0 = now();
    await r.warm();
    const warmN = r.name === 'fit' ? K : r.name === 'app' ? 0 : o.warmSteps;
    const warmMsPerStep = warmN ? (now() - t0) / warmN : NaN;
    sides.set(r.name, { firstMs, firstSteps, warmMsPerStep, steps: 0, ms: 0, samplesPerSec: 0, rounds: [] });
  }
  const kernels = await compareKernels(trainer, bare, fit, K);
  for (let round = 0; round < o.rounds; round++) {
    // Rotate the order so no side always runs right after the same other one.
    const order = runners.map((_, i) => runners[(i + round) % runners.length]);
    for (const r of order) {
      const t0 = now();
      await r.round();
      const ms = now() - t0;
      const s = sides.get(r.name)!;
      s.steps += K;
      s.ms += ms;
      s.rounds.push((K * B) / (ms / 1000));
    }
  }
  for (const s of sides.values()) s.samplesPerSec = (s.steps * B) / (s.ms / 1000);
  const result: ThroughputResult = {
    label: c.label, family: c.family, backend: tf.getBackend(), params: paramCount(config.model), batchSize: B, stepsPerRound: K,
    tabtrain: sides.get('tabtrain')!, bare: sides.get('bare')!, fit: sides.get('fit'), app: sides.get('app'),
    vsBare: sides.get('tabtrain')!.samplesPerSec / sides.get('bare')!.samplesPerSec,
  };
  result.kernels = kernels;
  if (result.fit) result.vsFit = result.tabtrain.samplesPerSec / result.fit.samplesPerSec;
  if (result.app) result.appVsBare = result.app.samplesPerSec / result.bare.samplesPerSec;
  trainer.dispose();
  bare.dispose();
  fit?.dispose();
  return result;
}

/** One profiled step of each side (after their warm-up): the device work they dispatch. */
async function compareKernels(trainer: Trainer, bare: BareLoop, fit: FitModel | null, K: number): Promise<ThroughputResult['kernels']> {
  try {
    await trainer.train({ target: { steps: trainer.step + 2 } });
    await bare.run(2);
    const a = await tf.profile(() => trainer.stepOnce());
    const b = await tf.profile(() => bare.step());
    const names = (p: { kernels: { name: string }[] }) => p.kernels.map((k) => k.name).sort().join(',');
    const out: NonNullable<ThroughputResult['kernels']> = { tabtrain: a.kernels.length, bare: b.kernels.length, sameKernels: names(a) === names(b) };
    if (fit) out.fitPerStep = (await tf.profile(async () => void (await fit.run()))).kernels.length / K;
    return out;
  } catch (e) {
    return { tabtrain: 0, bare: 0, sameKernels: false, error: String(e) };
  }
}

// ---------------------------------------------------------------------------------------------
// Checkpoint overhead and stalls

export type SaveImpl = (contents: CkptContents, kind: CheckpointKind) => Promise<{ bytes: number }>;

export type CkptMode = 'blocking' | 'overlapped';

export interface CkptEvent {
  mode: CkptMode;
  /** the step the snapshot was taken at (from its state). */
  step: number;
  kind: CheckpointKind;
  bytes: number;
  /** step the trainer had reached when the save finished. */
  doneAtStep: number;
  /** the save (saveCheckpointContents in the browser), ms (the readback before it is not included). */
  saveMs: number;
}

export interface ModeStats {
  steps: number;
  ms: number;
  samplesPerSec: number;
  checkpoints: number;
  /** per segment, in round order: samples/s, ms, checkpoints written. */
  segments: number[];
  segmentMs: number[];
  segmentCkpts: number[];
  /** per segment: ms of each `logEvery`-step window, in order (where the time went). */
  segmentWindows: number[][];
}

type ByMode<T> = Partial<Record<CkptMode, T>>;

export interface OverheadResult {
  label: string;
  family: string;
  backend: string;
  policy: CheckpointPolicy;
  rounds: number;
  /** steps per segment (1.5 checkpoint intervals) and the policy's interval in steps. */
  segmentSteps: number;
  intervalSteps: number;
  /** median ms per step (from the no-checkpoint windows of `logEvery` steps). */
  stepMs: number;
  modes: Record<'none' | CkptMode, ModeStats>;
  /**
   * Throughput lost at the policy's checkpoint rate: per round, the checkpointed segment's
   * extra time over the no-checkpoint segment next to it, per checkpoint; median over rounds.
   */
  overhead: ByMode<number>;
  perRound: ByMode<number[]>;
  /**
   * The same loss computed from the time the training loop was blocked at checkpoint steps
   * (blocking: the whole checkpoint), plus, overlapped, `writeMs` as an upper bound of the
   * worker time the background write takes between steps.
   */
  direct: ByMode<number>;
  /** median ms of a foreground write (saveCheckpointContents in the browser) in the blocking mode. */
  writeMs: number;
  /** (total ms with - total ms without) / checkpoints, over all rounds. */
  extraMsPerCkpt: ByMode<number>;
  /** per checkpoint: the time the training loop was blocked at its step, in steps; and the max. */
  stalls: ByMode<number[]>;
  maxStallSteps: ByMode<number>;
  maxStallMs: ByMode<number>;
  /** per checkpoint: the excess time of the `logEvery`-windows from its step until its write
   *  finished (catches a background write slowing the steps after it), in steps. */
  windowStalls: ByMode<number[]>;
  /** the largest such excess in the windows of no-checkpoint segments: the noise floor. */
  noiseStallSteps: number;
  /** max/min - 1 of the no-checkpoint segments' samples/s: how noisy the machine was. */
  noneSpread: number;
  events: CkptEvent[];
  /** tf.memory() after the warm-up and at the end (before dispose), and the steps between. */
  memory: { steps: number; numTensors: [number, number]; numBytesInGPU: [number | undefined, number | undefined] };
}

/**
 * Checkpoint overhead as the app trains: runSession with a yield after every step, the given
 * policy and `save` (saveCheckpointContents into IndexedDB in the browser). Segments without
 * checkpoints, with blocking writes (runSession's default) and with overlapped writes (its
 * `overlap` option) rotate on one trainer. A segment lasts one checkpoint interval of the policy
 * (everySteps, or everySeconds at the measured step time), so each holds one checkpoint.
 */
export async function checkpointOverhead(c: BenchCase, policy: CheckpointPolicy, save: SaveImpl, o: { warmSteps: number; rounds: number; modes?: CkptMode[] }): Promise<OverheadResult> {
  const ds = makeDataset(c.family, c.dataSize);
  const config = benchConfig(c, ds);
  const t = Trainer.create({ config, dataset: ds, runId: `bench-ckpt-${c.family}` });
  const L = config.logEvery;
  const modes: CkptMode[] = o.modes ?? ['blocking', 'overlapped'];
  const none: CheckpointPolicy = { everySteps: 0, everySeconds: 0, best: false, periodicEvery: 0 };
  const events: CkptEvent[] = [];
  const pre = new Map<number, number>();
  const post = new Map<number, number>();
  const seg = async (p: CheckpointPolicy, steps: number, mode: CkptMode | 'none') => {
    const end = t.step + steps;
    const t0 = now();
    await runSession(t, {
      policy: p,
      overlap: mode === 'overlapped',
      save: async (contents, kind) => {
        const s0 = now();
        const r = await save(contents, kind);
        events.push({ mode: mode as CkptMode, step: (contents.state as unknown as StateMeta).step, kind, bytes: r.bytes, doneAtStep: t.step, saveMs: now() - s0 });
      },
      shouldStop: () => t.step >= end,
      onProgress: (pr) => pre.set(pr.step, now()),
      afterStep: async () => {
        post.set(t.step, now());
        await yieldToEvents();
      },
    });
    return now() - t0;
  };
  // Warm-up: shaders, then one checkpoint each way (first IndexedDB open, readback paths),
  // then the step time that sizes the segments.
  await seg(none, o.warmSteps, 'none');
  for (const m of modes) await seg({ ...none, everySteps: L }, L, m);
  if (t.step % L) await seg(none, L - (t.step % L), 'none');
  const warmStepMs = (await seg(none, 2 * L, 'none')) / (2 * L);
  events.length = 0;
  // A segment is 1.5 checkpoint intervals: one checkpoint, then room for a background write.
  const intervalSteps = Math.min(policy.everySteps || Infinity, policy.everySeconds ? (policy.everySeconds * 1000) / warmStepMs : Infinity);
  const segmentSteps = Math.max(2 * L, Math.ceil((1.5 * intervalSteps) / L) * L);
  const mem0 = tf.memory() as Mem;
  const step0 = t.step;
  const all: ('none' | CkptMode)[] = ['none', ...modes];
  const fresh = (): ModeStats => ({ steps: 0, ms: 0, samplesPerSec: NaN, checkpoints: 0, segments: [], segmentMs: [], segmentCkpts: [], segmentWindows: [] });
  const stats: Record<'none' | CkptMode, ModeStats> = { none: fresh(), blocking: fresh(), overlapped: fresh() };
  const windows: Record<'none' | CkptMode, Set<number>> = { none: new Set(), blocking: new Set(), overlapped: new Set() };
  const B = config.batchSize;
  for (let r = 0; r < o.rounds; r++) {
    for (let i = 0; i < all.length; i++) {
      const m = all[(i + r) % all.length];
      const start = t.step;
      const before = events.length;
      const ms = await seg(m === 'none' ? none : policy, segmentSteps, m);
      const st = stats[m];
      st.steps += segmentSteps;
      st.ms += ms;
      st.segments.push((segmentSteps * B) / (ms / 1000));
      st.segmentMs.push(ms);
      st.segmentCkpts.push(events.length - before);
      const wins: number[] = [];
      for (let s = start + L; s <= start + segmentSteps; s += L) {
        windows[m].add(s);
        wins.push(Math.round((post.get(s) ?? NaN) - (post.get(s - L) ?? NaN)));
      }
      st.segmentWindows.push(wins);
    }
    log(`  ${c.family} checkpoint round ${r + 1}/${o.rounds} done (step ${t.step})`);
  }
  const mem1 = tf.memory() as Mem;
  for (const m of all) {
    stats[m].samplesPerSec = (stats[m].steps * B) / (stats[m].ms / 1000);
    stats[m].checkpoints = events.filter((e) => e.mode === m).length;
  }
  const win = (s: number) => (post.get(s) ?? NaN) - (post.get(s - L) ?? NaN);
  const noneWindows = [...windows.none].map(win).filter(Number.isFinite);
  const stepMs = median(noneWindows) / L;
  const blocked = (s: number) => (post.get(s) ?? NaN) - (pre.get(s) ?? NaN);
  const usualBlocked = median([...windows.none].map(blocked).filter(Number.isFinite));
  const excess = (s: number) => Math.max(0, win(s) - stepMs * L) / stepMs;
  // Checkpoints per ms of training under the policy (latest by steps or time, plus periodic).
  const rateAt = (msPerStep: number) =>
    1 / Math.min(policy.everySteps ? policy.everySteps * msPerStep : Infinity, policy.everySeconds ? policy.everySeconds * 1000 : Infinity) +
    (policy.periodicEvery ? 1 / (policy.periodicEvery * msPerStep) : 0);
  // Extra time e per checkpoint at rate lambda costs e*lambda / (1 + e*lambda) of the throughput.
  const lost = (extraPerCkpt: number, msPerStep: number) => (extraPerCkpt * rateAt(msPerStep)) / (1 + extraPerCkpt * rateAt(msPerStep));
  const result: OverheadResult = {
    label: c.label, family: c.family, backend: tf.getBackend(), policy, rounds: o.rounds, segmentSteps, intervalSteps, stepMs, modes: stats,
    overhead: {}, perRound: {}, direct: {}, extraMsPerCkpt: {}, stalls: {}, maxStallSteps: {}, maxStallMs: {}, writeMs: NaN, windowStalls: {},
    noiseStallSteps: Math.max(0, ...noneWindows.map((w) => Math.max(0, w - median(noneWindows)) / stepMs)),
    noneSpread: stats.none.segments.length > 1 ? Math.max(...stats.none.segments) / Math.min(...stats.none.segments) - 1 : NaN,
    events,
    memory: { steps: t.step - step0, numTensors: [mem0.numTensors, mem1.numTensors], numBytesInGPU: [mem0.numBytesInGPU, mem1.numBytesInGPU] },
  };
  for (const m of modes) {
    const ev = events.filter((e) => e.mode === m);
    const st = stats[m];
    const none_ = stats.none;
    // Per round: the extra time of the checkpointed segment over the no-checkpoint one
    // (same step count), per checkpoint in it, turned into the policy's throughput loss.
    const perRound = st.segmentMs
      .map((ms, r) => (st.segmentCkpts[r] > 0 ? lost((ms - none_.segmentMs[r]) / st.segmentCkpts[r], none_.segmentMs[r] / segmentSteps) : NaN))
      .filter(Number.isFinite);
    result.perRound[m] = perRound;
    result.overhead[m] = perRound.length ? median(perRound) : NaN;
    const stalls = [...new Set(ev.map((e) => e.step))].map((s) => Math.max(0, blocked(s) - usualBlocked) / stepMs);
    result.stalls[m] = stalls;
    result.maxStallSteps[m] = stalls.length ? Math.max(...stalls) : 0;
    const meanBlockedMs = stalls.length ? (stalls.reduce((a, b) => a + b, 0) / stalls.length) * stepMs : 0;
    result.maxStallMs[m] = stalls.length ? Math.max(...stalls) * stepMs : 0;
    result.extraMsPerCkpt[m] = st.checkpoints ? (st.ms - none_.ms) / st.checkpoints : NaN;
    // Overlapped: the background write's worker time is not visible in the loop's timestamps.
    // Bound it by a foreground write of the same kind: saveCheckpointContents while nothing
    // else runs (the blocking mode's save time, which also counts the waits on IndexedDB).
    // (The overlapped mode's own save time would count the training steps run meanwhile.)
    const fg = events.filter((e) => e.mode === 'blocking');
    const writeMs = median((fg.length ? fg : ev).map((e) => e.saveMs));
    result.writeMs = writeMs;
    result.direct[m] = lost(meanBlockedMs + (m === 'overlapped' && Number.isFinite(writeMs) ? writeMs : 0), stepMs);
    result.windowStalls[m] = ev.map((e) => {
      let total = 0;
      const last = Math.max(Math.ceil(e.step / L) * L, Math.ceil(e.doneAtStep / L) * L);
      for (let s = Math.ceil(e.step / L) * L; s <= last; s += L) if (windows[m].has(s)) total += excess(s);
      return total;
    });
  }
  t.dispose();
  return result;
}

type Mem = tf.MemoryInfo & { numBytesInGPU?: number };

// ---------------------------------------------------------------------------------------------
// Tensor growth

export interface GrowthResult {
  label: string;
  backend: string;
  steps: number;
  /** tf.memory() after step `from` and after step `from + steps`. */
  from: number;
  numTensors: [number, number];
  numBytes: [number, number];
  /** GPU bytes in use (WebGPU / WebGL only; undefined elsewhere). */
  numBytesInGPU: [number | undefined, number | undefined];
  growth: number;
  checkpoints: number;
  ms: number;
}

/** numTensors/bytes growth over `steps` steps of runSession with checkpoints (a leak check). */
export async function tensorGrowth(c: BenchCase, steps: number, policy: CheckpointPolicy, save: SaveImpl): Promise<GrowthResult> {
  const ds = makeDataset(c.family, c.dataSize);
  const config = benchConfig(c, ds);
  const t = Trainer.create({ config, dataset: ds, runId: 'bench-growth' });
  const from = 10;
  await t.train({ target: { steps: from } });
  const m0 = tf.memory() as Mem;
  let checkpoints = 0;
  const t0 = now();
  await runSession(t, {
    policy,
    save: async (contents, kind) => {
      checkpoints++;
      await save(contents, kind);
    },
    shouldStop: () => t.step >= from + steps,
    afterStep: async () => {
      if (t.step % 500 === 0) log(`  growth: step ${t.step}, ${tf.memory().numTensors} tensors`);
      await yieldToEvents();
    },
  });
  const ms = now() - t0;
  const m1 = tf.memory() as Mem;
  t.dispose();
  return {
    label: c.label, backend: tf.getBackend(), steps, from,
    numTensors: [m0.numTensors, m1.numTensors], numBytes: [m0.numBytes, m1.numBytes], numBytesInGPU: [m0.numBytesInGPU, m1.numBytesInGPU],
    growth: m1.numTensors - m0.numTensors, checkpoints, ms,
  };
}

// ---------------------------------------------------------------------------------------------
// Scaling

export interface ScalingPoint {
  label: string;
  family: string;
  backend: string;
  params: number;
  dataSize: number;
  batchSize: number;
  /** Trainer.create: init + dataset upload, ms. */
  createMs: number;
  firstStepMs: number;
  samplesPerSec: number;
  stepMs: number;
  ckptBytes: number;
  /** snapshot (device copies + readback), then the save as the app (or the CLI) does it. */
  snapshotMs: number;
  saveMs: number;
  ckptMs: number;
  gpuBytes?: number;
}

/** One model on one dataset size: throughput, checkpoint size and checkpoint time. */
export async function scalingPoint(c: BenchCase, steps: number, save: (contents: CkptContents, step: number) => Promise<{ bytes: number }>): Promise<ScalingPoint> {
  const ds = makeDataset(c.family, c.dataSize);
  const config = benchConfig(c, ds);
  let t0 = now();
  const t = Trainer.create({ config, dataset: ds, runId: `bench-scale-${c.family}` });
  const createMs = now() - t0;
  t0 = now();
  await t.train({ target: { steps: 1 } });
  await syncRead(t);
  const firstStepMs = now() - t0;
  await t.train({ target: { steps: 3 } }); // two more warm steps (any shaders the first missed)
  await syncRead(t);
  t0 = now();
  await t.train({ target: { steps: 3 + steps } });
  await syncRead(t);
  const ms = now() - t0;
  t0 = now();
  const contents = await t.snapshot('latest');
  const snapshotMs = now() - t0;
  t0 = now();
  const { bytes } = await save(contents, t.step);
  const saveMs = now() - t0;
  const mem = tf.memory() as Mem;
  t.dispose();
  return {
    label: c.label, family: c.family, backend: tf.getBackend(), params: paramCount(config.model), dataSize: c.dataSize, batchSize: config.batchSize,
    createMs, firstStepMs, samplesPerSec: (steps * config.batchSize) / (ms / 1000), stepMs: ms / steps, ckptBytes: bytes,
    snapshotMs, saveMs, ckptMs: snapshotMs + saveMs, gpuBytes: mem.numBytesInGPU,
  };
}

// ---------------------------------------------------------------------------------------------
// Overlapped checkpoints are bit-exact

/**
 * Trains with runSession's overlapped writes (checkpoints taken every `every` steps while the
 * next steps already run), then trains the same config again step by step, snapshotting at
 * the same steps in the foreground, and compares every tensor byte and the position state.
 */
export async function overlapCheck(c: BenchCase, steps: number, every: number): Promise<{ checkpoints: number; steps: number[]; mismatches: string[] }> {
  const ds = makeDataset(c.family, c.dataSize);
  const config = benchConfig(c, ds);
  const a = Trainer.create({ config, dataset: ds, runId: 'overlap-a' });
  const saved = new Map<number, CkptContents>();
  await runSession(a, {
    policy: { everySteps: every, everySeconds: 0, best: false },
    overlap: true,
    save: async (contents) => void saved.set((contents.state as unknown as StateMeta).step, contents),
    shouldStop: () => a.step >= steps,
  });
  a.dispose();
  const b = Trainer.create({ config, dataset: ds, runId: 'overlap-b' });
  const mismatches: string[] = [];
  for (const s of [...saved.keys()].sort((x, y) => x - y)) {
    await b.train({ target: { steps: s } });
    const ref = await b.snapshot('latest');
    const got = saved.get(s)!;
    const byName = new Map(got.tensors.map((t) => [t.name, t]));
    for (const t of ref.tensors) {
      const o = byName.get(t.name);
      const x = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
      const y = o ? new Uint8Array(o.data.buffer, o.data.byteOffset, o.data.byteLength) : new Uint8Array(0);
      if (x.length !== y.length || x.some((v, i) => v !== y[i])) mismatches.push(`step ${s}: ${t.name}`);
    }
    const sa = ref.state as unknown as StateMeta;
    const sb = got.state as unknown as StateMeta;
    for (const k of ['step', 'cursor', 'rng', 'optimizer'] as const) if (JSON.stringify(sa[k]) !== JSON.stringify(sb[k])) mismatches.push(`step ${s}: state.${k}`);
  }
  b.dispose();
  return { checkpoints: saved.size, steps: [...saved.keys()], mismatches };
}

// ---------------------------------------------------------------------------------------------
// The engine's own per-step CPU cost

/**
 * tabtrain's step (Trainer.stepOnce) vs the bare loop's on a model so small that the tfjs op
 * dispatch itself dominates (CPU backend): the time difference is the engine's bookkeeping
 * per step (cursor, RNG, schedule, name lookups, tidy scopes). Many short alternated rounds.
 */
export async function stepOverhead(rounds: number): Promise<{ label: string; tabtrainMs: number; bareMs: number; ratio: number; overheadUs: number; rounds: number }> {
  const c: BenchCase = { family: 'mlp', label: 'mlp 16-4-4-4, batch 4', model: { hidden: [4, 4], batchSize: 4 }, dataSize: 256 };
  const ds = makeDataset('mlp', c.dataSize);
  const config = benchConfig(c, ds);
  const t = Trainer.create({ config, dataset: ds, runId: 'bench-step-overhead' });
  const b = new BareLoop(config, ds);
  for (let i = 0; i < 50; i++) {
    t.stepOnce();
    b.step();
  }
  const ta: number[] = [];
  const ba: number[] = [];
  for (let r = 0; r < rounds; r++) {
    for (const side of r % 2 ? ['bare', 'tabtrain'] : ['tabtrain', 'bare']) {
      const t0 = now();
      for (let i = 0; i < 20; i++) {
        if (side === 'tabtrain') t.stepOnce();
        else b.step();
      }
      (side === 'tabtrain' ? ta : ba).push((now() - t0) / 20);
    }
  }
  await syncRead(t);
  t.dispose();
  b.dispose();
  const tabtrainMs = median(ta);
  const bareMs = median(ba);
  return { label: c.label, tabtrainMs, bareMs, ratio: bareMs / tabtrainMs, overheadUs: (tabtrainMs - bareMs) * 1000, rounds };
}
