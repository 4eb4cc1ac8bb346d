import { createCharLm } from './charlm';
import { createCnn } from './cnn';
import { createMlp } from './mlp';
import type { Model, ModelSpec } from './types';

export * from './types';

export function createModel(spec: ModelSpec): Model {
  switch (spec.family) {
    case 'mlp':
      return createMlp(spec);
    case 'cnn':
      return createCnn(spec);
    case 'charlm':
      return createCharLm(spec);
  }
}

/** Checks a spec from a file or a form: positive integer sizes, dropout in [0, 1). */
export function validateSpec(spec: ModelSpec): string | null {
  const posInt = (v: unknown) => Number.isInteger(v) && (v as number) > 0 && (v as number) <= 1 << 20;
  const okDropout = (v: unknown) => typeof v === 'number' && v >= 0 && v < 1;
  if (!okDropout(spec.dropout)) return `model: dropout must be in [0, 1), got ${spec.dropout}`;
  switch (spec.family) {
    case 'mlp':
      if (!posInt(spec.inputSize) || !posInt(spec.outputSize)) return 'mlp: inputSize and outputSize must be positive integers';
      if (!Array.isArray(spec.hidden) || !spec.hidden.every(posInt)) return 'mlp: hidden must be a list of positive integers';
      return null;
    case 'cnn':
      if (![spec.height, spec.width, spec.channels, spec.hidden, spec.outputSize].every(posInt)) return 'cnn: sizes must be positive integers';
      if (!Array.isArray(spec.filters) || spec.filters.length === 0 || !spec.filters.every(posInt)) return 'cnn: filters must be a non-empty list of positive integers';
      return null;
    case 'charlm':
      if (![spec.vocabSize, spec.contextLength, spec.dModel, spec.numHeads, spec.numLayers].every(posInt)) return 'charlm: sizes must be positive integers';
      if (spec.dModel % spec.numHeads !== 0) return `charlm: dModel ${spec.dModel} must be divisible by numHeads ${spec.numHeads}`;
      return null;
    default:
      return `unknown model family ${(spec as { family: string }).family}`;
  }
}
