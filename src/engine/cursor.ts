// The position in the data: which epoch, how far into it, and the RNG state the epoch's
// permutation was drawn from. With these three a resumed run rebuilds the same order.
import { Rng, type RngState } from './rng';
import { ConfigError } from '../errors';

/** Train/validation split fixed by the seed (its own stream, so it never shifts the training RNG). */
export function splitIndices(numSamples: number, valFraction: number, seed: number): { train: Int32Array; val: Int32Array } {
  const perm = Rng.fromSeed((seed ^ 0x5eed5b17) >>> 0).permutation(numSamples);
  const numVal = splitSizes(numSamples, valFraction).numVal;
  if (numSamples - numVal < 1) throw new ConfigError('too_little_data', `dataset too small: ${numSamples} samples leave none for training after a ${valFraction} validation split`, { numSamples, valFraction });
  // Sorted so a sample's position inside each split does not depend on how perm interleaves them.
  const val = perm.slice(0, numVal).sort();
  const train = perm.slice(numVal).sort();
  return { train, val };
}

/** The sizes of the split (no RNG needed): what a schedule's length in steps is computed from. */
export function splitSizes(numSamples: number, valFraction: number): { numTrain: number; numVal: number } {
  const numVal = valFraction > 0 ? Math.max(1, Math.round(numSamples * valFraction)) : 0;
  return { numTrain: Math.max(0, numSamples - numVal), numVal };
}

/**
 * Steps from `pos` until `epochs` epochs are complete at batch size `b`, exactly as `next()`
 * walks: after a batch-size change the first batch may span into the next epoch; every other
 * epoch has floor(rest / b) steps (the short tail is skipped).
 */
export function stepsToEpochs(pos: { epoch: number; index: number }, numTrain: number, b: number, epochs: number): number {
  let { epoch, index } = pos;
  if (epoch >= epochs || b <= 0 || b > numTrain) return epoch >= epochs ? 0 : Infinity;
  let steps = 0;
  if (index + b > numTrain) {
    steps += 1;
    epoch += 1;
    index = index + b - numTrain;
    if (index + b > numTrain) {
      epoch += 1;
      index = 0;
    }
    if (epoch >= epochs) return steps;
  }
  steps += Math.floor((numTrain - index) / b); // the rest of this epoch
  epoch += 1;
  return steps + Math.max(0, epochs - epoch) * Math.floor(numTrain / b);
}

export interface CursorState {
  epoch: number;
  /** samples of this epoch's permutation already consumed (not batches: survives a batch size change). */
  index: number;
  /** RNG state just before this epoch's permutation was drawn. */
  epochRng: RngState;
}

export class Cursor {
  epoch: number;
  index: number;
  epochRng: RngState;
  private perm: Int32Array;

  /** Restores (or starts) a cursor. `rng` is the run's RNG, advanced past the permutation draw. */
  private constructor(state: CursorState, readonly numTrain: number) {
    this.epoch = state.epoch;
    this.index = state.index;
    this.epochRng = state.epochRng;
    this.perm = new Rng(state.epochRng).permutation(numTrain);
  }

  /** A fresh cursor at epoch 0: draws the first permutation from `rng`. */
  static start(rng: Rng, numTrain: number): Cursor {
    const c = new Cursor({ epoch: 0, index: 0, epochRng: rng.state }, numTrain);
    rng.permutation(numTrain); // advance the run RNG exactly as the cursor's private copy did
    return c;
  }

  static restore(state: CursorState, numTrain: number): Cursor {
    if (!(Number.isInteger(state.index) && state.index >= 0 && state.index <= numTrain)) {
      throw new ConfigError('invalid_state', `data position ${state.index} is outside an epoch of ${numTrain} training samples`);
    }
    return new Cursor(state, numTrain);
  }

  get state(): CursorState {
    return { epoch: this.epoch, index: this.index, epochRng: this.epochRng };
  }

  /** Whole batches only (the short tail is skipped) so every step has the same shapes: on WebGPU
   *  a new shape means new shaders and a bigger buffer pool (measured: docs/engine.md "WebGPU pitfalls"). */
  stepsPerEpoch(batchSize: number): number {
    return Math.floor(this.numTrain / batchSize);
  }

  /** Positions (into the train split) of the next batch; rolls into a new epoch when the tail is short. */
  next(batchSize: number, rng: Rng): Int32Array {
    let out: Int32Array;
    if (this.index + batchSize > this.numTrain) {
      // Only after the batch size grew on resume (the eager roll-over below keeps index + b <=
      // numTrain otherwise): skipping the rest would lose samples the old run had not seen yet,
      // so the batch is the rest of this epoch plus the start of the next one, at the new size.
      const rest = this.perm.slice(this.index);
      this.newEpoch(rng);
      out = new Int32Array(batchSize);
      out.set(rest);
      out.set(this.perm.subarray(0, batchSize - rest.length), rest.length);
      this.index = batchSize - rest.length;
    } else {
      out = this.perm.slice(this.index, this.index + batchSize);
      this.index += batchSize;
    }
    // Roll over eagerly, so a checkpoint taken at an epoch's end already points at the next one.
    if (this.index + batchSize > this.numTrain) this.newEpoch(rng);
    return out;
  }

  private newEpoch(rng: Rng): void {
    this.epoch += 1;
    this.index = 0;
    this.epochRng = rng.state;
    this.perm = rng.permutation(this.numTrain);
  }
}
