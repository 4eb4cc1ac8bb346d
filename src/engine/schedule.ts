// Learning-rate schedules as pure functions of the step: the only schedule "state" a checkpoint
// needs is the config and the step, so a resumed run gets exactly the same LR sequence.

/** Every schedule kind, in the order the CLI's `--schedule` and the run form list them. */
export const SCHEDULE_KINDS = ['constant', 'cosine', 'linear', 'step'] as const;

/** The schedules whose length (`totalSteps`) is the run's length: the ones resume re-plans. */
export type DecayingSchedule = Extract<ScheduleConfig, { totalSteps: number }>;
export const hasLength = (s: ScheduleConfig): s is DecayingSchedule => s.kind === 'cosine' || s.kind === 'linear';

export type ScheduleConfig =
  | { kind: 'constant' }
  /** linear warmup from 0 over warmupSteps, then cosine from lr down to lr*minFactor at totalSteps. */
  | { kind: 'cosine'; warmupSteps: number; totalSteps: number; minFactor: number }
  /** linear warmup from 0 over warmupSteps, then a straight line from lr down to lr*minFactor at totalSteps. */
  | { kind: 'linear'; warmupSteps: number; totalSteps: number; minFactor: number }
  /** lr * gamma^floor(step / stepSize). */
  | { kind: 'step'; stepSize: number; gamma: number };

/** LR for the update that takes the run from `step` to `step + 1` (step counts from 0). */
export function lrAt(schedule: ScheduleConfig, baseLr: number, step: number): number {
  switch (schedule.kind) {
    case 'constant':
      return baseLr;
    case 'step':
      return baseLr * Math.pow(schedule.gamma, Math.floor(step / schedule.stepSize));
    case 'cosine':
    case 'linear': {
      const { warmupSteps, totalSteps, minFactor } = schedule;
      if (step < warmupSteps) return (baseLr * (step + 1)) / warmupSteps;
      const span = Math.max(1, totalSteps - warmupSteps);
      // Past totalSteps (a run extended without rescheduling) the LR stays at its floor.
      const progress = Math.min(1, (step - warmupSteps) / span);
      const shape = schedule.kind === 'cosine' ? 0.5 * (1 + Math.cos(Math.PI * progress)) : 1 - progress;
      return baseLr * (minFactor + (1 - minFactor) * shape);
    }
  }
}

export function validateSchedule(s: ScheduleConfig): string | null {
  if (typeof s !== 'object' || s === null) return 'schedule is not an object';
  if (s.kind === 'constant') return null;
  if (s.kind === 'step') {
    if (!(Number.isInteger(s.stepSize) && s.stepSize > 0)) return 'step schedule: stepSize must be a positive integer';
    if (!(s.gamma > 0 && s.gamma <= 1)) return 'step schedule: gamma must be in (0, 1]';
    return null;
  }
  if (s.kind === 'cosine' || s.kind === 'linear') {
    if (!(Number.isInteger(s.warmupSteps) && s.warmupSteps >= 0)) return `${s.kind} schedule: warmupSteps must be a non-negative integer`;
    if (!(Number.isInteger(s.totalSteps) && s.totalSteps > 0)) return `${s.kind} schedule: totalSteps must be a positive integer`;
    if (!(s.minFactor >= 0 && s.minFactor <= 1)) return `${s.kind} schedule: minFactor must be in [0, 1]`;
    return null;
  }
  return `unknown schedule kind ${(s as { kind: string }).kind}`;
}
