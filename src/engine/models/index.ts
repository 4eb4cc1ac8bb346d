// The model-family registry. A family is one module exporting a FamilyDef (models/types.ts);
// registering it here is the only other line it needs: the CLI flags, the run form's inputs,
// the worker's defaults, the fresh-from-weights plan and the checkpoint's tensor list all come
// from the entry. docs/engine.md "Registries" walks through resnet as the example.
import { ConfigError } from '../../errors';
import type { Dataset } from '../data/types';
import { checkField, type FieldDesc, type FieldValue } from '../fields';
import { charlm } from './charlm';
import { cnn } from './cnn';
import { mlp } from './mlp';
import { resnet } from './resnet';
import type { AxisDef, BufferDef, DataKind, FamilyDef, Model, ParamDef } from './types';

export * from './types';
export type { MlpSpec } from './mlp';
export type { CnnSpec } from './cnn';
export type { CharLmSpec } from './charlm';
export type { ResnetSpec } from './resnet';

/** Order matters: the first family registered for a kind of data is that data's default. */
const REGISTRY = [mlp, cnn, charlm, resnet] as const;

type Entry = (typeof REGISTRY)[number];
/** The spec of any registered family (a union, one member per family). */
export type ModelSpec = Entry extends FamilyDef<infer S> ? S : never;
export type ModelFamily = ModelSpec['family'];

const BY_NAME = new Map<string, FamilyDef>(REGISTRY.map((f) => [f.family, f as unknown as FamilyDef]));

export const FAMILY_NAMES = REGISTRY.map((f) => f.family) as ModelFamily[];

export function isFamily(name: unknown): name is ModelFamily {
  return typeof name === 'string' && BY_NAME.has(name);
}

/** The registry entry of a family; throws on a name no entry has (a hostile or newer file). */
export function familyDef(name: string): FamilyDef {
  const f = BY_NAME.get(name);
  if (!f) throw new ConfigError('bad_spec', `unknown model family '${name}' (known: ${FAMILY_NAMES.join(', ')})`);
  return f;
}

/** The families that train on this kind of data, the default first. */
export function familiesFor(kind: DataKind): ModelFamily[] {
  return REGISTRY.filter((f) => f.data === kind).map((f) => f.family);
}

/**
 * Every family's settings, one per CLI flag. Two families may share a flag (`--hidden`) only
 * with the same key and kind, so a flag parses the same whatever the model; a test checks it.
 */
export function allFields(): FieldDesc[] {
  const byFlag = new Map<string, FieldDesc>();
  for (const f of REGISTRY) for (const d of f.fields) if (!byFlag.has(d.flag)) byFlag.set(d.flag, d);
  return [...byFlag.values()];
}

/** The keys of every family's settings: what a fresh run drops from a form (its architecture comes from the checkpoint). */
export function architectureKeys(): string[] {
  return [...new Set(REGISTRY.flatMap((f) => f.fields.map((d) => d.key)))];
}

/**
 * The model for this dataset: sizes the data dictates from `ds`; each setting from `o`, else
 * from `base` (the same family's spec, e.g. a checkpoint's), else the family's default.
 */
export function specFor(ds: Dataset, family: string, o: Record<string, unknown>, base?: ModelSpec): ModelSpec {
  const def = familyDef(family);
  const fromBase = base?.family === family ? def.values(base) : {};
  const v: Record<string, FieldValue> = {};
  for (const d of def.fields) {
    const given = o[d.key];
    if (given !== undefined) {
      const err = checkField(d, given);
      if (err) throw new ConfigError('bad_spec', `${family}: ${err}`, { setting: d.key });
    }
    v[d.key] = (given as FieldValue | undefined) ?? fromBase[d.key] ?? def.defaults[d.key];
  }
  const dropout = (o.dropout as number | undefined) ?? base?.dropout ?? 0;
  const spec = def.build(ds, v, dropout) as ModelSpec;
  const err = validateSpec(spec);
  if (err) throw new ConfigError('bad_spec', err);
  return spec;
}

/** Checks a spec from a form or a (possibly hostile) file: a known family, every setting in bounds, dropout in [0, 1). */
export function validateSpec(spec: ModelSpec): string | null {
  if (typeof spec !== 'object' || spec === null) return 'model: not an object';
  const def = BY_NAME.get(spec.family);
  if (!def) return `unknown model family ${String(spec.family)} (known: ${FAMILY_NAMES.join(', ')})`;
  const okDropout = typeof spec.dropout === 'number' && spec.dropout >= 0 && spec.dropout < 1;
  if (!okDropout) return `model: dropout must be in [0, 1), got ${spec.dropout}`;
  let values: Record<string, FieldValue>;
  try {
    values = def.values(spec);
  } catch {
    return `${spec.family}: malformed model spec`;
  }
  for (const d of def.fields) {
    const err = checkField(d, values[d.key]);
    if (err) return `${spec.family}: ${err}`;
  }
  return def.validate(spec);
}

export function paramDefs(spec: ModelSpec): ParamDef[] {
  return familyDef(spec.family).params(spec);
}

export function bufferDefs(spec: ModelSpec): BufferDef[] {
  return familyDef(spec.family).buffers?.(spec) ?? [];
}

/** Predictions per sample (a sequence model's context length), also the text window a sample spans. */
export function positionsOf(spec: ModelSpec): number {
  return familyDef(spec.family).positions?.(spec) ?? 1;
}

/** The axes of the spec's parameters indexed by classes, vocabulary or input features (FamilyDef.axes). */
export function axesOf(spec: ModelSpec): AxisDef[] {
  return familyDef(spec.family).axes?.(spec) ?? [];
}

export function createModel(spec: ModelSpec): Model {
  return familyDef(spec.family).create(spec);
}

/** Every `model.*` tensor a spec has, parameters then buffers: what a checkpoint of it holds. */
export function modelTensors(spec: ModelSpec): { name: string; shape: number[] }[] {
  return [...paramDefs(spec), ...bufferDefs(spec)].map((d) => ({ name: `model.${d.name}`, shape: d.shape }));
}
