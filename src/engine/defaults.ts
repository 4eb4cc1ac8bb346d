// One source of defaults and limits, used by the engine, the CLI, the run form and the
// validators. Family- and optimizer-specific defaults live in their registry entries
// (models/*.ts, optim/*.ts); what every run shares is here.

export const LIMITS = {
  /** largest layer width, vocabulary, image side, context length: keeps hostile sizes out. */
  width: 1 << 20,
  /** largest batch size. */
  batchSize: 65536,
  /** the validation share is in [0, maxValFraction]: more would leave too little to train on. */
  maxValFraction: 0.5,
  /** seeds are u32 (the RNG seeds from one 32-bit word). */
  maxSeed: 0xffffffff,
  /**
   * Model memory (budget.ts): everything a training step holds (parameters, gradients, optimizer
   * state, activations), and one tensor. Round numbers that stop hostile sizes before they are
   * allocated, not measurements of a machine: the CLI ('node'), WebGPU in a tab (one tensor is
   * also held to the device's own buffer limit), and a tab's other backends (WebGL, CPU, wasm).
   */
  modelMemory: {
    node: { totalBytes: 8 * 2 ** 30, tensorBytes: 2 * 2 ** 30 },
    webgpu: { totalBytes: 4 * 2 ** 30, tensorBytes: 2 ** 30 },
    tab: { totalBytes: 2 * 2 ** 30, tensorBytes: 2 ** 30 },
  },
  /** classes a confusion matrix shows; past it, the most frequent ones and 'other' (insight.ts). */
  confusionClasses: 20,
  /** most layers (list items, stages, transformer blocks) a model may have. */
  layers: 1024,
  /** freeze patterns: how many, and how long each (they are echoed in messages and matched against every name). */
  freezePatterns: 256,
  freezePatternLength: 256,
} as const;

/**
 * Budgets for what a dataset file may make the parser do (docs/reliability.md, "Input budgets").
 * Each is checked before the work it bounds: a file's size from stat, a zip entry's bytes while
 * it inflates, an image's pixels from its header, a CSV's columns/rows as they are read. The CLI
 * and the worker share them through parseDataset, so a file refused in one is refused in the other.
 */
export const INPUT_LIMITS = {
  /** input bytes per parse: one file, a dropped folder, or a zip's entries once inflated. */
  bytes: 256 * 1024 * 1024,
  /** pixels of one image (decoding holds about 28 bytes per pixel at once): 4096 x 4096. */
  imagePixels: 4096 * 4096,
  /** pixels of all images of a dataset together: bounds the decoding time. */
  totalPixels: 1024 * 1024 * 1024,
  /** CSV columns (the header's fields). */
  csvColumns: 32768,
  /** CSV data rows. */
  csvRows: 4_000_000,
  /** CSV cells (rows x columns): every cell is a string in memory while the table is typed. */
  csvCells: 64_000_000,
  /** values of the encoded feature matrix (rows x features after one-hot): 512 MiB of float32. */
  tabularValues: 128 * 1024 * 1024,
  /** classes of a classification label. */
  classes: 10_000,
  /** characters of a text dataset (ids are 4 bytes each: 256 MiB). */
  textCharacters: 64 * 1024 * 1024,
  /** files in a dropped folder or a zip. */
  files: 200_000,
  /** bytes of a .ckpt file read by the CLI (from stat, before reading): 2 GiB. */
  checkpointBytes: 2 * 1024 * 1024 * 1024,
} as const;

/** Settings every run has, whatever the model or optimizer. */
export const RUN_DEFAULTS = {
  seed: 1,
  valFraction: 0.1,
  /** max global gradient norm; 0 turns clipping off. */
  clipNorm: 1,
  logEvery: 10,
  /** the longest default evaluation interval; shorter runs evaluate about ten times (defaultEvalEvery). */
  evalEvery: 50,
  /** the target when neither steps nor epochs is given. */
  epochs: 10,
  batchSize: { text: 16, other: 32 },
  schedule: {
    /** cosine, linear: their length when none of --schedule-steps, --steps, --epochs is given. */
    cosineSteps: 1000,
    /** cosine: the LR floor as a share of the base LR. */
    minFactor: 0.1,
    /** step decay: steps between decays, and the factor. */
    stepSize: 100,
    gamma: 0.5,
  },
} as const;

/**
 * The evaluation interval when none is chosen: every min(50, about a tenth of the run) steps, so
 * every run gets validation points along the way (the app's default iris run is 40 steps: every
 * 4). `runSteps` is the run's length in steps (makeConfig works it out from the target).
 */
export function defaultEvalEvery(runSteps: number): number {
  if (!Number.isFinite(runSteps)) return RUN_DEFAULTS.evalEvery;
  return Math.max(1, Math.min(RUN_DEFAULTS.evalEvery, Math.round(runSteps / 10)));
}

/**
 * The smoothing factor of the training loss EMA (metrics.lossEma): over the *logged* losses
 * (one every logEvery steps), `ema = beta * ema + (1 - beta) * loss`, starting at the first
 * logged loss. 0.9 averages over about the last 10 logged losses (100 steps at logEvery 10).
 * Changing it changes what resumed runs compute: it is part of the training state's meaning.
 */
export const LOSS_EMA_BETA = 0.9;

/** How often the app writes checkpoints (the worker's CheckpointSettings). */
export const CHECKPOINT_DEFAULTS = { everySteps: 50, everySeconds: 10, keepPeriodic: 3, periodicEvery: 500 } as const;
