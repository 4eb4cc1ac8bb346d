// What resume may change: one table, read by the engine (session.ts resumeConfig, which applies
// or refuses each option), the CLI (through the engine) and the page's "continue with changes"
// form (src/ui/live-view.ts builds its inputs from the `apply` rows). Pure data, no tfjs, so
// the page can import it. Documented in docs/cli.md "What resume may change".

export type ResumeRule = {
  /** the option's key in ResumeOverrides / ConfigOverrides; `optimizer.*` and `model.*` stand for every setting of the run's optimizer / model family. */
  key: string;
  /** how people call it in messages (the CLI flag follows in parentheses). */
  label: string;
  flag?: string;
  rule: 'apply' | 'refuse';
  /** for `apply`: what the change means, after "changed from A to B: ". */
  means?: string;
};

/** A changed update rule: the run stops being the one an uninterrupted run would have been. */
export const DIVERGES = 'the run no longer matches an uninterrupted one';

export const RESUME_RULES: readonly ResumeRule[] = [
  { key: 'steps', label: 'total steps', flag: 'steps', rule: 'apply', means: 'training continues to the new total' },
  { key: 'epochs', label: 'total epochs', flag: 'epochs', rule: 'apply', means: 'training continues to the new total' },
  { key: 'optimizer.*', label: "the optimizer's settings (learning rate, weight decay, momentum, betas, epsilon)", rule: 'apply', means: DIVERGES },
  { key: 'batchSize', label: 'batch size', flag: 'batch-size', rule: 'apply', means: `the position inside the epoch is kept in samples, and ${DIVERGES}` },
  { key: 'clipNorm', label: 'clip norm', flag: 'clip-norm', rule: 'apply', means: DIVERGES },
  { key: 'dropout', label: 'dropout', flag: 'dropout', rule: 'apply', means: DIVERGES },
  { key: 'logEvery', label: 'logging interval', flag: 'log-every', rule: 'apply', means: 'the training is unchanged, the loss is read on the new interval' },
  { key: 'evalEvery', label: 'evaluation interval', flag: 'eval-every', rule: 'apply', means: 'the training is unchanged, validation runs on the new interval' },
  { key: 'freeze', label: 'frozen parameters', flag: 'freeze', rule: 'apply', means: `newly frozen parameters drop their optimizer state, newly trainable ones start from zero state; ${DIVERGES}` },
  { key: 'patience', label: 'early-stopping patience', flag: 'patience', rule: 'apply', means: 'the run stops after that many evaluations without a new best' },
  { key: 'stopIfLoss', label: 'loss threshold', flag: 'stop-if-loss-above', rule: 'apply', means: 'the run stops at that step if the smoothed loss is still above it' },
  { key: 'family', label: 'model family', flag: 'model', rule: 'refuse' },
  { key: 'model.*', label: 'architecture settings', rule: 'refuse' },
  { key: 'optimizer', label: 'optimizer', flag: 'optimizer', rule: 'refuse' },
  { key: 'seed', label: 'seed', flag: 'seed', rule: 'refuse' },
  { key: 'valFraction', label: 'validation fraction', flag: 'val-fraction', rule: 'refuse' },
  { key: 'schedule', label: 'schedule', flag: 'schedule', rule: 'refuse' },
  { key: 'warmupSteps', label: 'warmup steps', flag: 'warmup-steps', rule: 'refuse' },
  { key: 'scheduleSteps', label: 'schedule length (use --reschedule to fit it to the new target)', flag: 'schedule-steps', rule: 'refuse' },
  { key: 'label', label: 'label column', flag: 'label', rule: 'refuse' },
  { key: 'task', label: 'task', flag: 'task', rule: 'refuse' },
  { key: 'imageSize', label: 'image size', flag: 'image-size', rule: 'refuse' },
  { key: 'channels', label: 'channels', flag: 'channels', rule: 'refuse' },
];

export const resumeRule = (key: string): ResumeRule | undefined => RESUME_RULES.find((r) => r.key === key);
