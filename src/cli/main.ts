// `tabtrain train | resume | fresh | inspect | list | predict`: the engine in a terminal, on tfjs'
// WebAssembly backend (or its CPU backend: --backend cpu).
// Progress goes to stderr; on bad input one line and a non-zero exit, never a stack trace.
import { outputs, parse, parseOptions, requireString, resumeOverrides, trainOverrides, UsageError, USAGE, type Flags } from './args';
import { checkCommandOptions, commandHelp, isCommand, type Command } from './commands';
import { checkOut, looksLikeCkpt, readCkptFile, readDataFiles, writeFileAtomic } from './files';
import { moreAsTotals, parseMore, reachedMessage } from './targets';
import { describeCheckpoint, schemaView } from './inspect';
import { predict } from './predict';
import { checkSaveDir, lastValLoss, newest, SaveDir, scanDir } from './savedir';
import { statSync } from 'node:fs';
import { errorLines, exitStatus } from './exit';
import { printable, printableJson, printableLines } from './terminal';
import { CkptError, hasCode, ResumeRefused, TabtrainError, withPrefix } from '../errors';

type Engine = typeof import('./engine-bundle');

/** tfjs greets Node users with advice to install tfjs-node on first use; prod mode keeps
 *  stderr for our own lines (it only turns off tfjs' debug warnings, not any checks we rely on). */
async function loadEngine(): Promise<Engine> {
  const engine = await import('./engine-bundle');
  engine.tf.enableProdMode();
  await engine.tf.setBackend('cpu');
  await engine.tf.ready();
  return engine;
}

/** The backends that run in Node. wasm (XNNPACK, SIMD) trains 3-5x faster than cpu here. */
const NODE_BACKENDS = ['wasm', 'cpu'] as const;
type NodeBackend = (typeof NODE_BACKENDS)[number];

function backendFlag(flags: Flags): NodeBackend | undefined {
  const b = flags.backend;
  if (b === undefined) return undefined;
  if (!NODE_BACKENDS.includes(b as NodeBackend)) throw new UsageError(`--backend: expected wasm or cpu (got '${String(b)}'); WebGPU and WebGL run in the browser app`);
  return b as NodeBackend;
}

/**
 * The backend a run trains on: --backend; else, on resume, the one the checkpoint was trained on
 * when it runs here (so resuming stays bit-identical to never stopping); else wasm.
 */
async function useNodeBackend(engine: Engine, flags: Flags, savedBackend?: string): Promise<NodeBackend> {
  const chosen = backendFlag(flags) ?? (NODE_BACKENDS.includes(savedBackend as NodeBackend) ? (savedBackend as NodeBackend) : 'wasm');
  const r = await engine.useBackend(chosen);
  if (!r.ok) throw new TabtrainError('backend_unavailable', `the ${chosen} backend could not start: ${r.reason}${chosen === 'wasm' ? ' (--backend cpu runs without WebAssembly)' : ''}`);
  return chosen;
}

// Every line printed goes through printable (terminal.ts): file-derived text never reaches the
// terminal raw, and a newline in a file name cannot forge a line of its own.
const err = (line: string) => process.stderr.write(printable(line) + '\n');

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  // `tabtrain predict ... | head`: a reader that stops early is not an error
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
  });
  // The command whose help a usage error points to, once known.
  let known: Command | undefined;
  try {
    if (!command || command === '--help' || command === '-h' || (command === 'help' && (rest.length === 0 || rest[0] === '--help' || rest[0] === '-h'))) {
      process.stdout.write(USAGE + '\n');
      return command ? 0 : 2;
    }
    if (command === 'help') {
      if (!isCommand(rest[0])) throw new UsageError(`unknown command '${rest[0]}' (expected train, resume, fresh, inspect, list or predict)`);
      process.stdout.write(commandHelp(rest[0]) + '\n');
      return 0;
    }
    if (!isCommand(command)) throw new UsageError(`unknown command '${command}' (expected train, resume, fresh, inspect, list or predict)`);
    known = command;
    const { positionals, flags } = parse(rest);
    if (flags.help) {
      process.stdout.write(commandHelp(command) + '\n');
      return 0;
    }
    checkCommandOptions(command, flags);
    backendFlag(flags); // a wrong --backend is refused before anything is read
    switch (command) {
      case 'inspect':
        return await inspect(positionals, flags);
      case 'list':
        return await list(positionals, flags);
      case 'predict': {
        const path = onePositional(positionals, 'checkpoint file');
        const { contents, state } = await loadCkpt(path);
        const engine = await loadEngine();
        // the backend the model was trained on when it runs here: the same numbers as its evaluation
        await useNodeBackend(engine, flags, state.backend);
        return await predict(engine, contents, flags);
      }
      case 'train':
      case 'resume':
      case 'fresh':
        return await train(command, positionals, flags);
    }
  } catch (e) {
    for (const line of errorLines(e, known)) err(line);
    if (process.env.TABTRAIN_DEBUG && e instanceof Error) err(e.stack ?? '');
    return exitStatus(e);
  }
}

function onePositional(positionals: string[], what: string): string {
  if (positionals.length !== 1) throw new UsageError(`expected exactly one ${what}, got ${positionals.length}`);
  return positionals[0];
}

/** Reads and strictly decodes a .ckpt; errors name the file. */
async function loadCkpt(path: string) {
  const { decodeCkpt } = await import('../ckpt/format');
  const { validateState } = await import('../engine/state');
  const bytes = readCkptFile(path); // its errors name the file already
  if (!looksLikeCkpt(bytes)) throw new CkptError('wrong_format', `${path} is not a tabtrain checkpoint (.ckpt)`);
  try {
    const contents = await decodeCkpt(bytes);
    return { contents, state: validateState(contents.state) };
  } catch (e) {
    throw withPrefix(e, `${path}: `); // same kind and code, the file named
  }
}

/** `tabtrain list DIR`: each checkpoint in the folder, the newest (what `resume DIR` takes) marked. */
async function list(positionals: string[], flags: Flags): Promise<number> {
  const dir = onePositional(positionals, 'folder');
  const found = await scanDir(dir, async (p) => (await loadCkpt(p)).state);
  const top = newest(found);
  const rows = found.map((f) =>
    'state' in f
      ? { file: f.file, kind: f.state.kind, step: f.state.step, epoch: f.state.cursor.epoch, valLoss: lastValLoss(f.state), createdAt: f.state.createdAt, newest: f === top }
      : { file: f.file, error: f.error },
  );
  if (flags.json) {
    process.stdout.write(printableJson({ folder: dir, checkpoints: rows }) + '\n');
    return 0;
  }
  if (!rows.length) {
    process.stdout.write(`${printable(dir)}: no checkpoints (.ckpt files)\n`);
    return 0;
  }
  const w = rows.reduce((m, r) => Math.max(m, r.file.length), 4); // no spread: a folder may hold many files
  const lines = [`${'file'.padEnd(w)}  ${'kind'.padEnd(8)} ${'step'.padStart(8)} ${'epoch'.padStart(6)} ${'val_loss'.padStart(9)}  created`];
  for (const r of rows) {
    if ('error' in r) lines.push(`${r.file.padEnd(w)}  unreadable: ${r.error}`);
    else lines.push(`${r.file.padEnd(w)}  ${r.kind.padEnd(8)} ${String(r.step).padStart(8)} ${String(r.epoch).padStart(6)} ${(r.valLoss === null ? '-' : r.valLoss.toFixed(4)).padStart(9)}  ${r.createdAt}${r.newest ? '  <- newest' : ''}`);
  }
  process.stdout.write(lines.map(printable).join('\n') + '\n');
  return 0;
}

/** `resume DIR`: the newest readable checkpoint in the folder, said in one line. */
async function newestIn(dir: string): Promise<string> {
  const found = await scanDir(dir, async (p) => (await loadCkpt(p)).state);
  const top = newest(found);
  const bad = found.filter((f) => 'error' in f).map((f) => f.file);
  if (!top) throw new TabtrainError('file_not_found', `no checkpoint to resume in ${dir}${bad.length ? ` (unreadable: ${bad.join(', ')})` : ' (no .ckpt files)'}`, { path: dir });
  err(`resuming from ${top.path}: the newest checkpoint in ${dir} (${top.state.kind}, step ${top.state.step}, ${top.state.createdAt})${bad.length ? `; skipped unreadable ${bad.join(', ')}` : ''}`);
  return top.path;
}

const isFolder = (p: string) => {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
};

async function inspect(positionals: string[], flags: Flags): Promise<number> {
  const path = onePositional(positionals, 'checkpoint file');
  const { contents, state } = await loadCkpt(path);
  if (flags.json) {
    const tensors = contents.tensors.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape }));
    process.stdout.write(printableJson({ file: path, schema: schemaView(state), state, tensors }) + '\n');
  } else {
    process.stdout.write(printableLines(describeCheckpoint(path, state, contents.tensors)) + '\n');
  }
  return 0;
}

async function train(command: 'train' | 'resume' | 'fresh', positionals: string[], flags: Flags): Promise<number> {
  const dataPath = requireString(flags, 'data');
  // `resume DIR` keeps writing into DIR unless --out or --save-dir says otherwise.
  const resumeDir = command === 'resume' && positionals.length === 1 && isFolder(positionals[0]) ? positionals[0] : undefined;
  const { out, saveDir, periodicEvery, keep } = outputs(flags, resumeDir);
  const every = flags['checkpoint-every'] === undefined ? 0 : Number(flags['checkpoint-every']);
  if (!Number.isInteger(every) || every < 0) throw new UsageError(`--checkpoint-every: expected a non-negative integer, got '${String(flags['checkpoint-every'])}'`);
  const quiet = flags.quiet === true;
  // Check every option before the (possibly slow) dataset parse.
  const overrides = command === 'resume' ? null : trainOverrides(flags);
  const resumeOpts = command === 'resume' ? resumeOverrides(flags) : null;
  const more = command === 'resume' ? parseMore(flags) : {};
  if (command === 'train' && positionals.length) throw new UsageError(`train takes no positional argument (got '${positionals[0]}'); did you mean resume?`);
  if (command !== 'train') onePositional(positionals, resumeDir ? 'checkpoint file or folder' : 'checkpoint file');
  const parentPath = command === 'train' ? undefined : resumeDir ? await newestIn(resumeDir) : positionals[0];
  // --out and --save-dir before anything is read or trained: a bad --out used to fail after all the training.
  const checks = { command, data: dataPath, parent: parentPath, overwrite: flags.overwrite === true };
  if (out !== undefined) checkOut(out, checks);
  if (saveDir !== undefined) checkSaveDir(saveDir, checks);
  const wrote = [out, saveDir === undefined ? undefined : `${saveDir}/`].filter((x) => x !== undefined).join(' and ');
  const engine = await loadEngine();
  let parent = null;
  let plain = null; // fresh from a plain safetensors file (no tabtrain metadata): cli/plain-fresh.ts
  try {
    parent = parentPath === undefined ? null : (await loadCkpt(parentPath)).contents;
  } catch (e) {
    if (command !== 'fresh' || !hasCode(e, 'wrong_format')) throw e;
    plain = (await import('./plain-fresh')).readPlainWeights(parentPath!, e);
  }
  // The checkpoint's state, checked once: resume reads its position, parse options and config.
  const saved = resumeOpts ? engine.validateState(parent!.state) : null;
  const backend = await useNodeBackend(engine, flags, saved?.backend);
  const device = `node-${backend}`;
  if (saved && saved.backend !== backend) err(`warning: this checkpoint was trained on ${saved.backend}; continuing on ${backend} works, but is not bit-identical to an uninterrupted run`);
  if (resumeOpts) Object.assign(resumeOpts, moreAsTotals(more, { step: saved!.step, epoch: saved!.cursor.epoch }));

  // On resume the dataset is parsed exactly as the run first parsed it (label, image size...).
  const parseOpts = saved ? saved.config.data : parseOptions(flags);
  // Fresh and resume: numeric columns the parent knew keep its statistics (engine/fresh.ts
  // parentEncoding). On the same data that is the same encoding; on data a forced resume
  // accepts, the inputs keep meaning what they meant to the weights.
  const encodeOpts = parent ? engine.parentEncoding(saved ?? engine.validateState(parent.state)) : {};
  // A setting resume refuses is refused now, before the (possibly slow) dataset parse.
  if (saved) engine.resumeConfig(saved.config, resumeOpts!);
  if (!quiet) err(`reading ${dataPath}`);
  const dataset = await engine.parseDataset(readDataFiles(dataPath), { ...parseOpts, ...encodeOpts });
  if (!quiet) {
    err(`dataset: ${printable(dataset.fingerprint.summary)}`);
    if (dataset.kind === 'tabular') for (const d of dataset.dropped) err(`  left out column '${printable(d.column)}': ${printable(d.reason)}`);
    for (const n of dataset.notes) err(`  note: ${printable(n)}`);
  }

  let trainer;
  if (command === 'train') {
    trainer = engine.Trainer.create({ config: engine.makeConfig(dataset, overrides!, parseOpts), dataset, device });
  } else if (command === 'resume') {
    try {
      trainer = engine.resumeSession(parent!, dataset, { ...resumeOpts, force: flags.force === true, device });
    } catch (e) {
      if (!(e instanceof ResumeRefused) || e.code !== 'dataset_changed') throw e;
      throw new ResumeRefused(`${e.message} Use: tabtrain fresh ${parentPath} --data ${dataPath} --out NEW.ckpt (or resume --force to resume anyway).`);
    }
    if (trainer.isDone()) {
      // Nothing to train: say so and leave --out as it is (exit 0: not an error).
      err(reachedMessage({ step: trainer.step, epoch: trainer.epoch }, trainer.config.target, { steps: resumeOpts!.steps as number | undefined, epochs: resumeOpts!.epochs as number | undefined }));
      trainer.dispose();
      return 0;
    }
    if (!quiet) err(`resuming at step ${trainer.step}, epoch ${trainer.epoch}, sample ${trainer.indexInEpoch} of the epoch`);
  } else {
    if (plain) {
      const p = engine.plainFreshSession(plain, parentPath!, dataset, overrides!, parseOpts, device);
      trainer = p.trainer;
      err(`fresh from plain weights ${parentPath}: ${p.said}`);
      if (p.fit.square.length) err(`  note: square kernels loaded as [in, out], their layout cannot be told from the shape: ${p.fit.square.join(', ')} (a file from PyTorch's [out, in] says __metadata__ layout=torch)`);
    } else trainer = engine.freshSession(parent!, dataset, overrides!, parseOpts, device, { freezeKnown: flags['freeze-known'] === true });
    for (const line of engine.freshReportLines(trainer.freshReport!)) err(line);
    if (trainer.config.freezeRows) err(`frozen (--freeze-known): the known rows of ${Object.keys(trainer.config.freezeRows).join(', ')}`);
  }
  for (const w of trainer.warnings) err(`warning: ${w}`);

  let stop = false;
  const onSigint = () => {
    if (stop) process.exit(130);
    stop = true;
    err('interrupted: saving a checkpoint (press Ctrl-C again to quit without saving)');
  };
  process.on('SIGINT', onSigint);
  const t0 = Date.now();
  const startStep = trainer.step;
  const total = trainer.totalSteps();
  const dirWriter = saveDir === undefined ? null : new SaveDir(saveDir, keep);
  // --out gets what it always got (latest and final); the folder gets every kind in its own file.
  const save = async (contents: import('../ckpt/types').CkptContents, kind: import('../engine/state').CheckpointKind) => {
    const bytes = await engine.encodeCkpt(contents);
    if (out !== undefined && (kind === 'latest' || kind === 'final')) writeFileAtomic(out, bytes);
    dirWriter?.write(kind, (contents.state as { step: number }).step, bytes);
  };
  try {
    const result = await engine.runSession(trainer, {
      policy: { everySteps: every, everySeconds: 0, best: dirWriter !== null, periodicEvery: dirWriter ? periodicEvery : 0 },
      save,
      shouldStop: () => stop,
      onProgress: (p) => {
        if (quiet || p.trainLoss === undefined) return;
        const rate = (p.step - startStep) / Math.max(1e-3, (Date.now() - t0) / 1000);
        const eta = Number.isFinite(total) ? ` eta ${Math.round((total - p.step) / Math.max(rate, 1e-9))}s` : '';
        const val = p.valLoss === undefined ? '' : ` val_loss ${p.valLoss.toFixed(4)}${p.valAccuracy === undefined ? '' : ` val_acc ${p.valAccuracy.toFixed(3)}`}`;
        const ema = p.lossEma === undefined ? '' : ` (ema ${p.lossEma.toFixed(4)})`;
        err(`step ${p.step}/${total} epoch ${p.epoch} loss ${p.trainLoss.toFixed(4)}${ema}${val} lr ${p.lr.toExponential(2)} ${rate.toFixed(1)} steps/s${eta}`);
      },
    });
    if (result === 'stopped') {
      await save(await trainer.snapshot('latest'), 'latest');
      const cont = saveDir !== undefined ? `tabtrain resume ${saveDir} --data ${dataPath}` : `tabtrain resume ${out} --data ${dataPath} --out ${out}`;
      err(`saved step ${trainer.step} to ${saveDir !== undefined ? [out, `${saveDir}/latest.ckpt`].filter(Boolean).join(' and ') : out}; continue with: ${cont}`);
      return 130;
    }
    // early stopping is the engine's decision; the CLI only says why (always, even with --quiet)
    if (trainer.stopReason) err(`stopped early at step ${trainer.step}: ${trainer.stopReason.message}; wrote ${wrote}`);
    else if (!quiet) err(`done: step ${trainer.step}, epoch ${trainer.epoch}; wrote ${wrote}`);
    return 0;
  } finally {
    process.off('SIGINT', onSigint);
    trainer.dispose();
  }
}
