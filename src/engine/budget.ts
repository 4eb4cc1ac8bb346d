// The model's memory, estimated from the config before anything is allocated, against a limit
// that fits the backend. Without it a hostile or mistyped size was allocated first: hidden
// [30000, 30000] got the CLI killed by the OOM killer and gave the page a raw WebGPU
// "createBuffer failed"; a checkpoint with contextLength 30000 built a 3.6 GB causal mask.
// The estimate comes from the model-family registry (FamilyDef.params, buffers, activations)
// and the optimizer registry (its slots per parameter), so adding a family keeps it whole.
import { LIMITS } from './defaults';
import { familyDef, type ModelSpec } from './models';
import { slotNames, type OptimizerConfig } from './optim';
import { ConfigError } from '../errors';

/** Where the model would live, and how much it may take there. */
export interface Budget {
  /** 'node' (the CLI), 'webgpu', or the tab's other backends ('webgl', 'cpu', 'wasm'). */
  backend: string;
  /** bytes for everything a training step holds. */
  totalBytes: number;
  /** bytes for one tensor (one device buffer, one typed array). */
  tensorBytes: number;
}

/** The budget for a backend. `maxBufferBytes`: the WebGPU device's own limit on one buffer, when known. */
export function budgetFor(backend: string, maxBufferBytes?: number): Budget {
  const b = backend === 'node' || backend === 'webgpu' ? LIMITS.modelMemory[backend] : LIMITS.modelMemory.tab;
  const tensorBytes = maxBufferBytes !== undefined && maxBufferBytes > 0 ? Math.min(b.tensorBytes, maxBufferBytes) : b.tensorBytes;
  return { backend, totalBytes: b.totalBytes, tensorBytes };
}

/**
 * The budget every check uses unless given one: the CLI's ('node') until a backend is chosen
 * in the tab (engine/backend.ts useBackend sets it). Module state, like tfjs's own backend.
 */
let current: Budget = budgetFor('node');

export function setBudget(b: Budget): void {
  current = b;
}

export function currentBudget(): Budget {
  return current;
}

/** What a training step holds, from the config alone. Counts are floats (4 bytes each). */
export interface Footprint {
  params: number;
  buffers: number;
  /** gradients and optimizer slots: (1 + slots) per parameter (frozen ones counted too: a bound, not a measure). */
  optimizer: number;
  /** the model's constants (the causal mask): there whatever the batch. */
  constants: number;
  /** activation floats per sample, with their gradients: what one more sample in the batch costs. */
  perSample: number;
  /** floats of the largest activation tensor per sample (at batch size B it is B times this). */
  largestPerSample: number;
  /** the largest tensor whatever the batch (a parameter or a constant): its name and bytes. */
  largestFixed: { name: string; bytes: number };
}

const F32 = 4;

export function footprint(model: ModelSpec, optimizer: OptimizerConfig): Footprint {
  const def = familyDef(model.family);
  let params = 0;
  let largestFixed = { name: '', bytes: 0 };
  const see = (name: string, floats: number) => {
    if (floats * F32 > largestFixed.bytes) largestFixed = { name, bytes: floats * F32 };
  };
  for (const p of def.params(model)) {
    const n = p.shape.reduce((a, b) => a * b, 1);
    params += n;
    see(`${p.name} [${p.shape.join(', ')}]`, n);
  }
  let buffers = 0;
  for (const b of def.buffers?.(model) ?? []) buffers += b.shape.reduce((a, x) => a * x, 1);
  const act = def.activations(model);
  if (act.constants > 0) see("the model's constants (the causal mask)", act.constants);
  return {
    params, buffers, optimizer: params * (1 + slotNames(optimizer).length), constants: act.constants,
    perSample: 2 * act.perSample, largestPerSample: act.largestPerSample, largestFixed,
  };
}

/** Bytes a training step at this batch size holds, by the estimate. */
export function totalBytes(f: Footprint, batchSize: number): number {
  return F32 * (f.params + f.buffers + f.optimizer + f.constants + f.perSample * batchSize);
}

/** Bytes for people, in binary units so the limits read round: 3.4 GiB, 256 MiB, 12 KiB. */
export function fmtBytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return i === 0 ? `${n} bytes` : `${n < 10 ? Number(n.toFixed(1)) : Math.round(n)} ${units[i]}`;
}

/**
 * Throws ConfigError `model_too_large` when the model and batch would not fit the budget: the
 * estimate, the limit, and how to get under it (the largest batch size that fits, or the
 * family's settings that shrink the model). `batchSize` 1 asks "could it train here at all"
 * (what a checkpoint is checked for: resume and fresh may choose a smaller batch).
 */
export function checkModelBudget(model: ModelSpec, optimizer: OptimizerConfig, batchSize: number, budget: Budget = current): void {
  const f = footprint(model, optimizer);
  const def = familyDef(model.family);
  const shrink = `a smaller model (${def.fields.map((d) => `${d.label.toLowerCase()}, --${d.flag}`).join('; ')})`;
  const where = budget.backend === 'node' ? 'the CLI' : `the ${budget.backend} backend`;
  const needed = totalBytes(f, batchSize);
  const details = { backend: budget.backend, neededBytes: needed, limitBytes: budget.totalBytes, tensorLimitBytes: budget.tensorBytes, parameters: f.params, batchSize };
  const refuse = (what: string, how: string, more: Record<string, number> = {}): never => {
    throw new ConfigError('model_too_large', `model too large for ${where}: ${what}; choose ${how}`, { ...details, ...more });
  };
  const overTensor = (name: string, bytes: number) => `${name} would be ${fmtBytes(bytes)}, over the ${fmtBytes(budget.tensorBytes)} limit for one tensor`;
  const overTotal = `training needs about ${fmtBytes(needed)} (${f.params.toLocaleString('en-US')} parameters ${fmtBytes(F32 * f.params)}, gradients and optimizer state ${fmtBytes(F32 * f.optimizer)}, activations ${fmtBytes(F32 * (f.constants + f.perSample * batchSize))} at batch size ${batchSize}), over the ${fmtBytes(budget.totalBytes)} limit`;

  // What no batch size changes: a parameter or constant too big for one tensor, or too much in all.
  if (f.largestFixed.bytes > budget.tensorBytes) refuse(overTensor(f.largestFixed.name, f.largestFixed.bytes), shrink, { largestBytes: f.largestFixed.bytes });
  const byTotal = Math.floor((budget.totalBytes - totalBytes(f, 0)) / (F32 * f.perSample));
  const byTensor = Math.floor(budget.tensorBytes / (F32 * f.largestPerSample));
  const maxBatch = Math.max(0, Math.min(byTotal, byTensor));
  if (batchSize <= maxBatch) return;
  const how = maxBatch >= 1 ? `a batch size of at most ${maxBatch}, or ${shrink}` : shrink;
  const more: Record<string, number> = maxBatch >= 1 ? { maxBatchSize: maxBatch } : {};
  const largestAct = F32 * f.largestPerSample * batchSize;
  if (largestAct > budget.tensorBytes) refuse(overTensor(`the largest activation at batch size ${batchSize}`, largestAct), how, { ...more, largestBytes: largestAct });
  refuse(overTotal, how, more);
}
