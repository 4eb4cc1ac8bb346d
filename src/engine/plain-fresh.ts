// `fresh` from a plain safetensors file (ckpt/plain.ts): weights with tabtrain's `model.<path>`
// names but no tabtrain metadata, e.g. a state dict saved from PyTorch. There is no config to
// keep, so the family and its sizes come from the options or, where the file tells them without
// doubt, from the tensors; every tensor must have a place in the model, and a kernel in
// PyTorch's layout is refused, never loaded: a transposed weight trains, silently wrong.
import { formatShape } from '../ckpt/errors';
import type { PlainWeights } from '../ckpt/plain';
import { TabtrainError } from '../errors';
import { makeConfig, type ConfigOverrides, type RunConfig } from './config';
import type { Dataset } from './data/types';
import type { FieldValue } from './fields';
import { familiesFor, familyDef, isFamily, modelTensors, type ModelFamily } from './models';
import { Trainer } from './trainer';

type Shapes = Map<string, number[]>;

/** Which family a file's names belong to: each family has a tensor no other has. */
const MARKS: [ModelFamily, RegExp][] = [
  ['charlm', /^model\.(tok_emb|pos_emb|blocks\.)/],
  ['resnet', /^model\.(stem|stages)\./],
  ['cnn', /^model\.(conv|fc)\./],
  ['mlp', /^model\.layers\./],
];

/** `model.<prefix>.<i>.<suffix>` for i = 0, 1, ... while present: the sizes along a stack. */
function stack(s: Shapes, prefix: string, suffix: string): number[] | undefined {
  const out: number[] = [];
  for (let i = 0; s.has(`model.${prefix}.${i}.${suffix}`); i++) out.push(s.get(`model.${prefix}.${i}.${suffix}`)![0]!);
  return out.length ? out : undefined;
}
const dim = (s: Shapes, name: string, axis = 0) => s.get(`model.${name}`)?.[axis];

/**
 * A family's sizes read from the file. Only 1-D tensors (biases, norm scales) and embeddings are
 * read: they have the same layout in PyTorch and tabtrain, so a transposed kernel cannot make a
 * wrong size look right (it is then refused by fitPlainWeights). Absent: the shapes do not say.
 */
function inferSizes(family: ModelFamily, s: Shapes): Record<string, FieldValue | undefined> {
  switch (family) {
    case 'mlp':
      return { hidden: stack(s, 'layers', 'bias') };
    case 'cnn': {
      const fc = dim(s, 'fc.bias');
      return { filters: stack(s, 'conv', 'bias'), hidden: fc === undefined ? undefined : [fc] };
    }
    case 'charlm': {
      const layers = stack(s, 'blocks', 'ln1.gamma');
      // numHeads splits dModel into equal blocks: no tensor's shape depends on it.
      return { contextLength: dim(s, 'pos_emb'), dModel: dim(s, 'pos_emb', 1) ?? dim(s, 'ln_f.gamma'), numLayers: layers?.length };
    }
    case 'resnet': {
      const filters: number[] = [];
      for (let st = 0; s.has(`model.stages.${st}.0.bn2.gamma`); st++) filters.push(dim(s, `stages.${st}.0.bn2.gamma`)!);
      return { filters: filters.length ? filters : undefined, blocks: stack(s, 'stages.0', 'bn1.gamma')?.length };
    }
  }
}

export interface PlainChoice {
  overrides: ConfigOverrides;
  /** one line: the family and each size, with where it came from. */
  said: string;
}

/** The family and sizes for a plain file: the options first, then the tensors, then the defaults; said in words. */
export function choosePlainModel(w: PlainWeights, ds: Dataset, o: ConfigOverrides): PlainChoice {
  const s: Shapes = new Map(w.tensors.map((t) => [t.name, t.shape]));
  const names = [...s.keys()];
  const marked = MARKS.find(([, re]) => names.some((n) => re.test(n)))?.[0];
  let family: ModelFamily;
  let why: string;
  if (o.family !== undefined) [family, why] = [o.family, 'from --model'];
  else if (marked !== undefined) [family, why] = [marked, 'inferred from the tensor names'];
  else [family, why] = [familiesFor(ds.kind)[0], `the default for ${ds.kind} data`];
  if (!isFamily(family)) throw new TabtrainError('bad_spec', `unknown model family '${String(family)}'`);
  const def = familyDef(family);
  if (def.data !== ds.kind) throw new TabtrainError('wrong_dataset_kind', `the ${family} model (${why}) trains on ${def.data} data, not ${ds.kind}`);
  const inferred = inferSizes(family, s);
  const overrides: ConfigOverrides = { ...o, family };
  const parts = [`model ${family} (${why})`];
  for (const f of def.fields) {
    const show = (v: unknown) => (Array.isArray(v) ? v.join(',') : String(v));
    if (o[f.key] !== undefined) parts.push(`--${f.flag} ${show(o[f.key])} (given)`);
    else if (inferred[f.key] !== undefined) {
      overrides[f.key] = inferred[f.key];
      parts.push(`--${f.flag} ${show(inferred[f.key])} (inferred from the shapes)`);
    } else parts.push(`--${f.flag} ${show(def.defaults[f.key])} (the default: the shapes do not tell)`);
  }
  return { overrides, said: parts.join(', ') };
}

/** The file's layout note: `layout` in __metadata__, `tabtrain` ([in, out], HWIO) or `torch` ([out, in], OIHW). */
function torchLayout(w: PlainWeights, source: string): boolean {
  const l = w.metadata.layout;
  if (l === undefined || l === 'tabtrain') return false;
  if (l === 'torch' || l === 'pytorch') return true;
  throw new TabtrainError('bad_metadata', `${source}: __metadata__ layout '${String(l).slice(0, 40)}' is not one tabtrain knows (tabtrain or torch)`);
}

const TRANSPOSE_2D = "a PyTorch Linear.weight is [out, in], tabtrain's kernels are [in, out]; transpose it (weight.T)";
const PERMUTE_4D = "a PyTorch Conv2d.weight is [out, in, kh, kw], tabtrain's conv kernels are [kh, kw, in, out]; permute it (weight.permute(2, 3, 1, 0))";

export interface PlainFit {
  loaded: string[];
  reinitialised: { name: string; reason: string }[];
  /** square kernels loaded as they are: their layout cannot be told from the shape. */
  square: string[];
}

/**
 * Which tensors load. Refused (one line, every offending tensor named): a name the model has no
 * place for (a different family or size, or PyTorch's own names); a kernel that fits only
 * transposed (or permuted); any kernel when the file says it is in PyTorch's layout.
 */
export function fitPlainWeights(w: PlainWeights, expected: { name: string; shape: number[] }[], source: string, model: string): PlainFit {
  const want = new Map(expected.map((t) => [t.name, t.shape]));
  const unknown = w.tensors.map((t) => t.name).filter((n) => !want.has(n));
  if (unknown.length) {
    const cut = (l: string[]) => (l.length > 8 ? [...l.slice(0, 8), `... (${l.length} in all)`] : l).join(', ');
    throw new TabtrainError('unknown_tensors', `${source}: tensors the ${model} model has no place for: ${cut(unknown)} (its tensors: ${cut([...want.keys()])}); check --model and the sizes`);
  }
  const torch = torchLayout(w, source);
  const fit: PlainFit = { loaded: [], reinitialised: [], square: [] };
  const refused: string[] = [];
  const inTorch: string[] = [];
  const have = new Map(w.tensors.map((t) => [t.name, t.shape]));
  for (const [name, shape] of want) {
    const got = have.get(name);
    if (got === undefined) {
      fit.reinitialised.push({ name, reason: 'not in the file' });
      continue;
    }
    const kernel = name.endsWith('.kernel') && (shape.length === 2 || shape.length === 4);
    const same = got.join(',') === shape.join(',');
    const torchShape = shape.length === 2 ? [shape[1], shape[0]] : [shape[3], shape[2], shape[0], shape[1]];
    if (kernel && torch) inTorch.push(name);
    else if (same) {
      fit.loaded.push(name);
      // a square kernel's layout cannot be told from its shape; unless the file says, name it
      if (kernel && shape.length === 2 && shape[0] === shape[1] && w.metadata.layout !== 'tabtrain') fit.square.push(name);
    } else if (kernel && got.join(',') === torchShape.join(',')) {
      refused.push(`${name} has shape ${formatShape(got)}, expected ${formatShape(shape)}: ${shape.length === 2 ? TRANSPOSE_2D : PERMUTE_4D}`);
    } else fit.reinitialised.push({ name, reason: `shape differs: the file has ${formatShape(got)}, the model expects ${formatShape(shape)}` });
  }
  if (inTorch.length) refused.push(`${inTorch.join(', ')}: the file says its kernels are in PyTorch's layout (__metadata__ layout=torch); ${TRANSPOSE_2D}, and ${PERMUTE_4D.replace('a PyTorch', 'a')}`);
  if (refused.length) throw new TabtrainError('transposed_kernel', `${source}: refused, not loaded: ${refused.join('; ')}`);
  return fit;
}

/** A new run from a plain file's weights: no parent run (lineage origin fresh, no parent). */
export function plainFreshSession(w: PlainWeights, source: string, ds: Dataset, o: ConfigOverrides, data: RunConfig['data'] = {}, device?: string): { trainer: Trainer; said: string; fit: PlainFit } {
  const { overrides, said } = choosePlainModel(w, ds, o);
  const config = makeConfig(ds, overrides, data);
  const fit = fitPlainWeights(w, modelTensors(config.model), source, config.model.family);
  const trainer = Trainer.create({ config, dataset: ds, device, freshWeights: w.tensors });
  return { trainer, said, fit };
}
