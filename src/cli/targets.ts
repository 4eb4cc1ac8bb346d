// How long `resume` trains. --steps/--epochs are totals (step 600, epoch 15); --more-steps and
// --more-epochs count from the checkpoint, so "N more" needs no arithmetic by hand. A target the
// run already reached is said in words and trains and writes nothing: before, it was a silent
// no-op that still rewrote --out.
import type { Target } from '../engine/config';
import { num, UsageError, type Flags } from './args';

export interface More {
  steps?: number;
  epochs?: number;
}

/** --more-steps/--more-epochs, checked before anything is read: a total and a "more" of the same unit contradict each other. */
export function parseMore(flags: Flags): More {
  for (const unit of ['steps', 'epochs'] as const) {
    if (flags[unit] !== undefined && flags[`more-${unit}`] !== undefined) {
      throw new UsageError(`--${unit} and --more-${unit} cannot be combined: --${unit} is a total to reach, --more-${unit} counts from the checkpoint`);
    }
  }
  return { steps: num(flags, 'more-steps', 'posint'), epochs: num(flags, 'more-epochs', 'posint') };
}

/** The totals that "more" means for a checkpoint at `step`, `epoch` (only the units given). */
export function moreAsTotals(more: More, at: { step: number; epoch: number }): More {
  const out: More = {};
  if (more.steps !== undefined) out.steps = at.step + more.steps;
  if (more.epochs !== undefined) out.epochs = at.epoch + more.epochs;
  return out;
}

/**
 * The line for a resume whose target is already reached (the caller checked with the trainer's
 * own isDone). `given` is what the command line asked for; without it the run's own target applies.
 */
export function reachedMessage(at: { step: number; epoch: number }, target: Target, given: { steps?: number; epochs?: number }): string {
  // The unit that is reached decides the words (steps first, as a --steps target is exact).
  const unit: 'steps' | 'epochs' = target.steps !== undefined && at.step >= target.steps ? 'steps' : 'epochs';
  const where = unit === 'steps' ? `already at step ${at.step}` : `already at epoch ${at.epoch}`;
  const what = given[unit] !== undefined ? `--${unit} ${given[unit]} is reached` : `the run's target (--${unit} ${target[unit]}) is reached`;
  return `${where}; ${what}: nothing to train. Use --more-${unit} N to train further.`;
}
