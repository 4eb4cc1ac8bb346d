// The one error family of tabtrain (docs/engine.md "Errors"). Every refusal is a TabtrainError
// with a stable `code` that programs decide on, a one-line `message` for people, and `details`
// (plain JSON data: numbers, strings) for programs that want more than the code.
//
// Why every kind lives in this one file (and is re-exported where it used to be defined:
// CkptError from src/ckpt/errors.ts, DatasetError from src/engine/data/errors.ts, ...): errors
// cross the worker boundary as plain data (toJSON) and reviveError must rebuild the right class
// on the other side. A closed table of every kind, here, does that without the page having to
// import the engine (tfjs) or the store just to register their error classes, and without an
// import cycle between a base class and its subclasses.
//
// Code style: new codes are snake_case (`dataset_changed`). DatasetError keeps its kebab-case codes
// and CkptError its snake_case ones: both are documented and tested (docs/ckpt-format.md, the
// broken-data corpus), and programs already match them.
import type { CkptErrorCode } from './ckpt/errors';
import type { DatasetErrorCode } from './engine/data/errors';
import type { StoreErrorCode } from './store/tx';

/** Extra data for programs. Plain JSON values only: it is structured-cloned across the worker. */
export type ErrorDetails = Record<string, unknown>;

/** The plain form of a TabtrainError: what crosses postMessage (structured clone drops classes). */
export interface WireError {
  /** the kind: the class name, e.g. 'CkptError' */
  name: string;
  code: string;
  message: string;
  details: ErrorDetails;
}

export class TabtrainError extends Error {
  override name = 'TabtrainError';
  readonly code: string;
  readonly details: ErrorDetails;

  constructor(code: string, message: string, details: ErrorDetails = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.details = details;
  }

  /** Plain form for postMessage/comlink; reviveError(toJSON()) rebuilds the same class. */
  toJSON(): WireError {
    return { name: this.name, code: this.code, message: this.message, details: { ...this.details } };
  }
}

/** True when `e` is a TabtrainError with this code (and, if given, of this kind). */
export function hasCode(e: unknown, code: string): e is TabtrainError {
  return e instanceof TabtrainError && e.code === code;
}

// ---- the kinds ---------------------------------------------------------------------------------

/** Everything wrong with a .ckpt file (codes: src/ckpt/errors.ts, docs/ckpt-format.md). */
export class CkptError extends TabtrainError {
  override readonly name = 'CkptError';
  declare readonly code: CkptErrorCode;

  constructor(code: CkptErrorCode, message: string) {
    super(code, message);
  }

  /** Rebuilds a CkptError from toJSON()'s form; null for anything else (kept for older callers). */
  static revive(value: unknown): CkptError | null {
    const e = reviveError(value);
    return e instanceof CkptError ? e : null;
  }
}

/** Everything wrong with a user's dataset (codes: src/engine/data/errors.ts). */
export class DatasetError extends TabtrainError {
  override readonly name = 'DatasetError';
  declare readonly code: DatasetErrorCode;
  /** where the problem is, e.g. "line 17", "file cats/3.png", "byte 1043". */
  readonly where?: string;

  /** `details`: plain data for programs, e.g. {file, quantity, value, limit} for a budget refusal. */
  constructor(code: DatasetErrorCode, message: string, where?: string, details: ErrorDetails = {}) {
    super(code, message, where === undefined ? { ...details } : { ...details, where });
    if (where !== undefined) this.where = where;
  }
}

/** The IndexedDB store refused or failed (codes: src/store/tx.ts, docs/storage.md). */
export class StoreError extends TabtrainError {
  override readonly name: string = 'StoreError';
  declare readonly code: StoreErrorCode;

  constructor(code: StoreErrorCode, message: string, options?: { cause?: unknown; details?: ErrorDetails }) {
    super(code, message, options?.details ?? {}, options?.cause === undefined ? undefined : { cause: options.cause });
  }

  /** Rebuilds a StoreError / StoreFullError from toJSON()'s form; null for anything else. */
  static revive(value: unknown): StoreError | null {
    const e = reviveError(value);
    return e instanceof StoreError ? e : null;
  }
}

/** A write the browser refused for lack of space. Nothing of that write was stored. */
export class StoreFullError extends StoreError {
  override readonly name = 'StoreFullError';
  /** Bytes the refused write needed (payload size; the browser adds some overhead). */
  readonly needed: number;

  constructor(message: string, needed: number, options?: { cause?: unknown }) {
    super('full', message, { ...options, details: { needed } });
    this.needed = needed;
  }
}

export type ConfigErrorCode =
  /** A setting is out of range or inconsistent (makeConfig's checks). */
  | 'invalid_config'
  /** A checkpoint's training state is malformed (validateState, the cursor, the RNG state). */
  | 'invalid_state'
  /** The model family needs another kind of dataset (mlp needs a CSV...). */
  | 'wrong_dataset_kind'
  /** The model spec cannot be built (too many pooling stages, heads do not divide dModel). */
  | 'bad_spec'
  /** The dataset is too small for the settings (batch size, validation split, context length). */
  | 'too_little_data'
  /** A freeze pattern matches no parameter, or every parameter is frozen. */
  | 'bad_freeze'
  /** An optimizer kind no registry entry has (a typo, a newer file). */
  | 'unknown_optimizer'
  /** A setting the chosen optimizer does not have (`--momentum` with AdamW): refused, not ignored. */
  | 'foreign_setting'
  /** The model's estimated memory (or one tensor) is over the backend's limit (engine/budget.ts); nothing was allocated. */
  | 'model_too_large';

/** A run's settings, model spec or saved training state are refused before anything trains. */
export class ConfigError extends TabtrainError {
  override readonly name = 'ConfigError';
  declare readonly code: ConfigErrorCode;

  constructor(code: ConfigErrorCode, message: string, details: ErrorDetails = {}) {
    super(code, message, details);
  }
}

export type ResumeRefusedCode =
  /** The dataset's fingerprint changed: fresh-from-weights is the right flow (force overrides). */
  | 'dataset_changed'
  /** The model (tensor names/shapes) does not match the checkpoint. */
  | 'architecture_mismatch'
  /** The optimizer kind or its saved state does not fit the model. */
  | 'optimizer_mismatch'
  /** A setting resume cannot change (architecture, seed, split...) was changed: use fresh (engine/resume-rules.ts). */
  | 'fixed_setting';

/** Resuming this checkpoint here is refused; `dataset_changed` is the one `force` may override. */
export class ResumeRefused extends TabtrainError {
  override readonly name = 'ResumeRefused';
  declare readonly code: ResumeRefusedCode;

  constructor(message: string, code: ResumeRefusedCode = 'dataset_changed', details: ErrorDetails = {}) {
    super(code, message, details);
  }
}

/** The loss or the weights became NaN/Infinity. */
export class DivergedError extends TabtrainError {
  override readonly name = 'DivergedError';

  constructor(message: string, details: ErrorDetails = {}) {
    super('diverged', message, details);
  }
}

export type RunBusyCode =
  /** Another tab or window trains this run (it holds the run's Web Lock). */
  | 'run_busy'
  /** This worker already trains this run. */
  | 'run_active'
  /** A run is training, so the backend cannot be switched. */
  | 'backend_busy';

/** Something is training and the request would interfere with it. */
export class RunBusyError extends TabtrainError {
  override readonly name = 'RunBusyError';
  declare readonly code: RunBusyCode;

  constructor(message: string, code: RunBusyCode = 'run_busy') {
    super(code, message);
  }
}

/** A command line the CLI does not accept (exit status 2). */
export class UsageError extends TabtrainError {
  override readonly name = 'UsageError';

  constructor(message: string) {
    super('usage', message);
  }
}

// ---- across the worker boundary ----------------------------------------------------------------

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/**
 * One rebuild function per kind, in a prototype-less table: a wire name like '__proto__' or
 * 'constructor' finds nothing and falls back to the base class.
 */
const KINDS: Readonly<Record<string, (w: WireError) => TabtrainError>> = Object.freeze(
  Object.assign(Object.create(null) as Record<string, (w: WireError) => TabtrainError>, {
    TabtrainError: (w: WireError) => new TabtrainError(w.code, w.message, w.details),
    CkptError: (w: WireError) => new CkptError(w.code as CkptErrorCode, w.message),
    DatasetError: (w: WireError) => new DatasetError(w.code as DatasetErrorCode, w.message, str(w.details.where), w.details),
    StoreError: (w: WireError) => new StoreError(w.code as StoreErrorCode, w.message, { details: w.details }),
    StoreFullError: (w: WireError) => new StoreFullError(w.message, typeof w.details.needed === 'number' ? w.details.needed : 0),
    ConfigError: (w: WireError) => new ConfigError(w.code as ConfigErrorCode, w.message, w.details),
    ResumeRefused: (w: WireError) => new ResumeRefused(w.message, w.code as ResumeRefusedCode, w.details),
    DivergedError: (w: WireError) => new DivergedError(w.message, w.details),
    RunBusyError: (w: WireError) => new RunBusyError(w.message, w.code as RunBusyCode),
    UsageError: (w: WireError) => new UsageError(w.message),
  }),
);

/** The kinds reviveError knows, by name (for tests and docs). */
export const ERROR_KINDS: readonly string[] = Object.keys(KINDS);

/** Copies only own, JSON-plain data: no getters run, no prototype keys (`__proto__`) survive. */
function plainDetails(v: unknown): ErrorDetails {
  const out = Object.create(null) as ErrorDetails;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return { ...out };
  for (const k of Object.keys(v)) {
    if (k === '__proto__' || k === 'constructor' || k === 'prototype') continue;
    const d = Object.getOwnPropertyDescriptor(v, k);
    if (!d || !('value' in d)) continue;
    const x: unknown = d.value;
    if (x === null || ['string', 'number', 'boolean'].includes(typeof x)) out[k] = x;
    else {
      try {
        out[k] = JSON.parse(JSON.stringify(x)) as unknown; // plain data only; cycles are dropped
      } catch {
        /* not plain data: left out */
      }
    }
  }
  return Object.assign({}, out);
}

/**
 * Rebuilds the error `value` stands for: a TabtrainError stays as it is; toJSON()'s form becomes
 * the same class with its code, details and message; anything else (a plain Error, a string, a
 * hostile object) becomes a TabtrainError with code 'unknown' carrying a readable message.
 * Never throws.
 */
export function reviveError(value: unknown): TabtrainError {
  if (value instanceof TabtrainError) return value;
  let name: string | undefined;
  let code: string | undefined;
  let message: string | undefined;
  let details: unknown;
  try {
    if (typeof value === 'object' && value !== null) {
      const v = value as Record<string, unknown>;
      name = str(v.name);
      code = str(v.code);
      message = str(v.message);
      details = v.details;
    }
  } catch {
    /* a getter threw: treat as unknown */
  }
  const make = name !== undefined && code !== undefined && Object.prototype.hasOwnProperty.call(KINDS, name) ? KINDS[name] : undefined;
  if (make && message !== undefined) {
    try {
      return make({ name: name!, code: code!, message, details: plainDetails(details) });
    } catch {
      /* fall through to the generic form */
    }
  }
  let text = message;
  if (text === undefined) {
    try {
      text = typeof value === 'string' ? value : value instanceof Error ? value.message : String(value);
    } catch {
      text = 'unknown error';
    }
  }
  return new TabtrainError(code ?? 'unknown', text, plainDetails(details));
}

/** The same error with `prefix` in front of its message (e.g. the file it came from); same kind and code. */
export function withPrefix(e: unknown, prefix: string): Error {
  if (e instanceof TabtrainError) {
    const w = e.toJSON();
    const out = reviveError({ ...w, message: prefix + w.message });
    if (e.stack) out.stack = e.stack;
    return out;
  }
  if (e instanceof Error) {
    const out = new Error(prefix + e.message, { cause: e });
    out.name = e.name;
    return out;
  }
  return new Error(prefix + String(e));
}
