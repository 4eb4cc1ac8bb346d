// The optimizer registry. Each optimizer is one entry (its own file: adamw.ts, sgd.ts, lion.ts)
// with {kind, label, fields, defaults, validate, slots, init, update}; the config type, the kinds,
// the CLI flags and the form's inputs all derive from OPTIMIZERS, so adding an optimizer is one
// file plus one line below. State is explicit: per-parameter slot tensors plus one integer (the
// number of updates applied), from which any step-dependent factor is recomputed in float64, so
// restoring the slots and the integer continues bit-exactly (tfjs' own optimizers do not).
import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../../errors';
import { checkField, type FieldDesc } from '../fields';
import type { ParamDef } from '../models';
import { adamw } from './adamw';
import { clipByGlobalNorm, fusedClip } from './clip';
import { lion } from './lion';
import { sgd } from './sgd';
import { fusedKernels } from '../kernels';
import type { DefaultsContext, OptimizerDef } from './types';

export { clipByGlobalNorm } from './clip';
export type { DefaultsContext, OptimizerDef, ParamInput, ParamOutput } from './types';

/** The registry. The key is the entry's own `kind` (computed), so the two cannot disagree. */
export const OPTIMIZERS = {
  [adamw.kind]: adamw,
  [sgd.kind]: sgd,
  [lion.kind]: lion,
} as const;

type ConfigOf<D> = D extends OptimizerDef<infer C> ? C : never;
/** One optimizer's config: a union over the registry's entries, discriminated by `kind`. */
export type OptimizerConfig = ConfigOf<(typeof OPTIMIZERS)[keyof typeof OPTIMIZERS]>;
export type OptimizerKind = OptimizerConfig['kind'];
type KeysOfUnion<T> = T extends unknown ? keyof T : never;
/** Every optimizer setting by its flat key (`lr`, `momentum`, `beta1`...), as overrides carry them. */
export type OptimizerSettings = { [K in Exclude<KeysOfUnion<OptimizerConfig>, 'kind'>]?: number };

// The compiler's check that every kind has a complete entry: a kind without one, or an entry
// missing a member, fails here.
const ENTRIES: { [K in OptimizerKind]: OptimizerDef<Extract<OptimizerConfig, { kind: K }>> } = OPTIMIZERS;

export const OPTIMIZER_KINDS = Object.keys(ENTRIES) as OptimizerKind[];

export function isOptimizerKind(k: unknown): k is OptimizerKind {
  return typeof k === 'string' && Object.prototype.hasOwnProperty.call(ENTRIES, k);
}

/** The entry for a kind, typed loosely for generic code; refuses an unknown kind by name. */
export function optimizerDef(kind: unknown): OptimizerDef<OptimizerConfig> {
  if (!isOptimizerKind(kind)) {
    throw new ConfigError('unknown_optimizer', `unknown optimizer ${JSON.stringify(kind)}: known optimizers are ${OPTIMIZER_KINDS.join(', ')}`, { kind });
  }
  // Each entry only ever sees configs of its own kind (dispatch is on cfg.kind).
  return ENTRIES[kind] as unknown as OptimizerDef<OptimizerConfig>;
}

/** Every distinct setting across optimizers (by key, first description wins), for CLI flags and form inputs. */
export function allOptimizerFields(): FieldDesc[] {
  const seen = new Map<string, FieldDesc>();
  for (const k of OPTIMIZER_KINDS) for (const f of ENTRIES[k].fields) if (!seen.has(f.key)) seen.set(f.key, f);
  return [...seen.values()];
}

/**
 * The config for `kind` (adamw when none is chosen): each setting from `o` when given, else the
 * entry's default. A setting the chosen optimizer does not have is refused, not ignored (e.g.
 * `--momentum` with AdamW). Throws a ConfigError on an unknown kind or a bad value.
 */
export function makeOptimizerConfig(kind: unknown, o: OptimizerSettings, ctx: DefaultsContext): OptimizerConfig {
  const def = optimizerDef(kind ?? 'adamw');
  const own = new Set(def.fields.map((f) => f.key));
  for (const f of allOptimizerFields()) {
    if (!own.has(f.key) && o[f.key as keyof OptimizerSettings] !== undefined) {
      throw new ConfigError('foreign_setting', `${f.label} (${f.key}) is not a setting of ${def.label}; its settings are ${def.fields.map((x) => x.key).join(', ')}`);
    }
  }
  const cfg = def.defaults(o as Partial<Omit<OptimizerConfig, 'kind'>>, ctx);
  const err = validateOptimizer(cfg);
  if (err) throw new ConfigError('invalid_config', err);
  return cfg;
}

export function slotNames(cfg: OptimizerConfig): string[] {
  return optimizerDef(cfg.kind).slots(cfg);
}

/** Validates a config from a form or a (possibly hostile) checkpoint. Returns a message or null. */
export function validateOptimizer(cfg: OptimizerConfig): string | null {
  if (typeof cfg !== 'object' || cfg === null) return 'optimizer: not an object';
  const kind = (cfg as { kind: unknown }).kind;
  if (!isOptimizerKind(kind)) return `unknown optimizer ${JSON.stringify(kind)}: known optimizers are ${OPTIMIZER_KINDS.join(', ')}`;
  const def = optimizerDef(kind);
  for (const f of def.fields) {
    const err = checkField(f, (cfg as unknown as Record<string, unknown>)[f.key]);
    if (err) return `${kind}: ${err}`;
  }
  return def.validate(cfg);
}

export interface OptimizerOptions {
  /** clip the gradients to this global L2 norm before the update; 0 = off. */
  clipNorm?: number;
}

/** The optimizer the trainer holds: one registry entry, its slot variables and its update count. */
export class Optimizer {
  /** slots[param][slot]: device variables, from the entry's `init` (zero for all of today's). */
  readonly slots = new Map<string, Map<string, tf.Variable>>();
  /** number of updates applied so far. */
  updates = 0;
  readonly slotNames: string[];
  private readonly def: OptimizerDef<OptimizerConfig>;
  private readonly clipNorm: number;

  constructor(
    readonly cfg: OptimizerConfig,
    readonly params: ParamDef[],
    opts: OptimizerOptions = {},
  ) {
    this.def = optimizerDef(cfg.kind);
    this.slotNames = this.def.slots(cfg);
    this.clipNorm = opts.clipNorm ?? 0;
    for (const p of params) {
      const m = new Map<string, tf.Variable>();
      tf.tidy(() => {
        const init = this.def.init(cfg, p.shape);
        for (const s of this.slotNames) m.set(s, tf.variable(init[s], false));
      });
      this.slots.set(p.name, m);
    }
  }

  /**
   * Applies one update in place: clip (when on), then the entry's update for every parameter.
   * `grads` holds one tensor per trainable parameter; the caller still owns them.
   */
  apply(vars: Map<string, tf.Variable>, grads: Record<string, tf.Tensor>, lr: number): void {
    const t = this.updates + 1;
    tf.tidy(() => {
      const names = this.params.map((p) => p.name);
      const fused = fusedKernels() ? this.def.fused?.(this.cfg, lr, t) : null;
      // A fused step clips inside its own kernels from the global sum of squares (one reduction).
      const clipBy = fused && this.clipNorm > 0 ? (fusedClip(grads, names, this.clipNorm) ?? undefined) : undefined;
      const g = this.clipNorm > 0 && !clipBy ? clipByGlobalNorm(grads, names, this.clipNorm) : grads;
      const step = fused ?? this.def.update(this.cfg, lr, t);
      for (const p of this.params) {
        const w = vars.get(p.name)!;
        const slot = this.slots.get(p.name)!;
        const out = step({ g: g[p.name], w, slots: Object.fromEntries(slot), decay: p.decay, clipBy });
        // Assign only after the new values are computed from the old ones.
        for (const [s, v] of slot) v.assign(out.slots[s]);
        w.assign(out.w);
      }
    });
    this.updates = t;
  }

  dispose(): void {
    for (const m of this.slots.values()) for (const v of m.values()) v.dispose();
    this.slots.clear();
  }
}

/** One optimizer as the run form shows it: plain data (it crosses the worker boundary). */
export interface OptimizerChoice {
  kind: OptimizerKind;
  label: string;
  help: string;
  fields: FieldDesc[];
  /** the default of every field, for this dataset. */
  values: Record<string, number>;
}

/** Every registered optimizer with its defaults for this kind of data, for the form. */
export function optimizerChoices(ctx: DefaultsContext): OptimizerChoice[] {
  return OPTIMIZER_KINDS.map((kind) => {
    const def = optimizerDef(kind);
    const cfg = def.defaults({}, ctx) as unknown as Record<string, number>;
    return { kind, label: def.label, help: def.help, fields: def.fields, values: Object.fromEntries(def.fields.map((f) => [f.key, cfg[f.key]])) };
  });
}
