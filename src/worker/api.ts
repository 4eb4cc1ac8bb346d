// The one API object the worker exposes through comlink (src/worker/trainer.worker.ts).
// The page takes its type: `wrap<TrainerApi>(worker)`.
import { transfer } from 'comlink';
import { compareFingerprints } from '../ckpt/compat';
import { freshPlanFor, parentEncoding, reportOf } from '../engine/fresh';
import { Predictor, tryOnce, validationRow, type TryInput } from '../engine/predict';
import { missingSchemaNote } from '../engine/version';
import { describeSchema } from '../engine/schema';
import { decodeImagesChecked } from '../engine/data';
import { changedDataMessage, changeWords, describeChange } from '../engine/data-change';
import type { FreshReport } from '../engine/fresh-map';
import { decodeCkpt } from '../ckpt/format';
import type { CkptContents } from '../ckpt/types';
import { RunBusyError, StoreError, TabtrainError } from '../errors';
import * as store from '../store';
import { makeConfig, specFor, type ConfigOverrides } from '../engine/config';
import type { DataFile } from '../engine/data/types';
import { CHECKPOINT_DEFAULTS } from '../engine/defaults';
import { familiesFor, familyDef, paramDefs, type ModelFamily } from '../engine/models';
import { optimizerChoices } from '../engine/optim';
import { dataMisfit, freshSession, resumeSession, type ResumeOverrides } from '../engine/session';
import { validateState, type StateMeta } from '../engine/state';
import { Trainer } from '../engine/trainer';
import { deviceLabel, initBackend } from './backend';
import { forget, loadDataset, parseAndStore, reparse } from './datasets';
import type { BackendInfo, BackendName, CheckpointInspection, CheckpointSettings, CheckpointSummary, DataChoices, FreshPlanView, RunEvent, RunSummary, StartRunRequest } from './protocol';
import { setStepDelay, setStorageFault } from './faults';
import { heldRunIds, lockRunOrThrow, whenRunFree } from './locks';
import { active, launch, unsavedStatus } from './runs';

let backend: BackendInfo | null = null;
type OnEvent = (e: RunEvent) => void;

export const DEFAULT_CHECKPOINTS: CheckpointSettings = { ...CHECKPOINT_DEFAULTS };

/** A stored checkpoint, checked (store.loadCheckpointContents) and its state validated. */
async function readCheckpoint(id: string): Promise<{ contents: CkptContents; state: StateMeta; meta: store.CheckpointMeta }> {
  const meta = await store.getCheckpointMeta(id);
  if (!meta) throw new StoreError('not_found', `checkpoint ${id} is not stored (deleted?)`, { details: { what: 'checkpoint', id } });
  const contents = await store.loadCheckpointContents(id);
  return { contents, state: validateState(contents.state), meta };
}

function record(id: string, t: Trainer, name: string, datasetName: string, checkpoints: CheckpointSettings, parent?: RunSummary['parent']): store.RunRecord {
  const now = new Date().toISOString();
  return {
    id, name, createdAt: now, updatedAt: now, status: 'running', datasetHash: t.dataset.fingerprint.sha256,
    datasetSummary: `${datasetName}: ${t.dataset.fingerprint.summary}`, family: t.config.model.family,
    step: t.step, epoch: t.epoch, totalSteps: t.totalSteps(), best: t.best, parent, config: t.config, checkpoints,
  };
}

function inspection(state: StateMeta, contents: CkptContents, id?: string): CheckpointInspection {
  const model = contents.tensors.filter((t) => t.name.startsWith('model.'));
  const l = state.lineage;
  return {
    id, kind: state.kind, step: state.step, epoch: state.cursor.epoch, family: state.config.model.family,
    spec: state.config.model as unknown as Record<string, unknown>,
    parameters: model.reduce((n, t) => n + t.shape.reduce((a, b) => a * b, 1), 0),
    tensors: contents.tensors.map((t) => ({ name: t.name, shape: t.shape })),
    datasetSummary: state.dataset.fingerprint.summary, datasetHash: state.dataset.fingerprint.sha256, schema: describeSchema(state), runId: l.runId,
    lineage: l.origin === 'fresh' && l.parent ? `fresh from run ${l.parent.runId} at step ${l.parent.step}` : `from scratch${l.resumedAt.length ? `, resumed at ${l.resumedAt.join(', ')}` : ''}`,
    backend: state.backend, device: state.device, createdAt: state.createdAt, appVersion: state.appVersion,
    history: state.metrics.history, best: state.metrics.best,
  };
}

/**
 * A run left 'running' in storage with no loop in this worker was cut off by a reload or crash,
 * unless another tab holds its lock and trains it right now (then it is busy elsewhere).
 */
async function markInterrupted(runs: store.RunRecord[]): Promise<RunSummary[]> {
  const held = await heldRunIds();
  const out: RunSummary[] = [];
  for (const r of runs) {
    const elsewhere = held.has(r.id) && !active.has(r.id);
    const unsaved = unsavedStatus.get(r.id);
    if (unsaved && !active.has(r.id)) {
      out.push({ ...(r as RunSummary), ...unsaved });
    } else if (elsewhere) {
      out.push({ ...(r as RunSummary), busyElsewhere: true });
    } else if (r.status === 'running' && !active.has(r.id)) {
      const fixed = { ...r, status: 'interrupted' as const };
      await store.putRun(fixed).catch(() => {}); // a full disk must not hide the list
      out.push(fixed as RunSummary);
    } else out.push(r as RunSummary);
  }
  return out;
}

function backendWarning(state: StateMeta): string[] {
  const now = deviceLabel(backend);
  const then = state.device ? `${state.backend}: ${state.device.replace(/^[a-z]+: /, '')}` : state.backend;
  return state.backend !== backend?.backend ? [`this checkpoint was trained on ${then}; continuing on ${now} works, but is not bit-identical to an uninterrupted run`] : [];
}

/**
 * Restores from the safety copies (src/store/recover.ts) once per worker, before the first
 * listing. A failure is reported in the result, not thrown: the list must still show.
 */
let recovery: Promise<store.Recovery & { error?: string }> | null = null;
function recovered(): Promise<store.Recovery & { error?: string }> {
  recovery ??= store.recoverFromVault().catch((e: unknown) => ({ runs: [], datasets: [], damaged: [], error: e instanceof Error ? e.message : String(e) }));
  return recovery;
}

const api = {
  /** What the start-up recovery put back (the page names it in the storage banner). */
  async recover() {
    return recovered();
  },

  async init(requested: BackendName = 'webgpu'): Promise<BackendInfo> {
    if (active.size) throw new RunBusyError('cannot switch the backend while a run is training; pause it first', 'backend_busy');
    backend = await initBackend(requested);
    return backend;
  },

  async parseFiles(files: DataFile[], choices: DataChoices, onProgress?: (f: number, what: string) => void) {
    return parseAndStore(files, choices, onProgress);
  },

  reparse,

  async listDatasets() {
    await recovered();
    return store.listDatasets();
  },

  async deleteDataset(hash: string) {
    forget(hash);
    await store.deleteDataset(hash);
  },

  /** The run form for this dataset and family: default values, the family's settings (from the registry) and its parameter names. */
  async defaults(hash: string, choices: DataChoices, family?: ModelFamily) {
    const { ds } = await loadDataset(hash, choices);
    const cfg = makeConfig(ds, family ? { family } : {}, choices);
    const spec = cfg.model;
    const def = familyDef(spec.family);
    const overrides: ConfigOverrides = {
      family: spec.family, optimizer: cfg.optimizer.kind, lr: cfg.optimizer.lr, batchSize: cfg.batchSize, epochs: cfg.target.epochs,
      steps: cfg.target.steps, seed: cfg.seed, valFraction: cfg.valFraction, clipNorm: cfg.clipNorm, schedule: cfg.schedule.kind,
      dropout: spec.dropout, logEvery: cfg.logEvery, evalEvery: cfg.evalEvery,
      ...def.values(spec),
    };
    const families = familiesFor(ds.kind).map((f) => ({ family: f, label: familyDef(f).label }));
    // Every optimizer with its settings and their defaults here: the form's select and inputs.
    const optimizers = optimizerChoices({ dataset: ds.kind });
    return { overrides, checkpoints: DEFAULT_CHECKPOINTS, families, modelFields: def.fields, optimizers, parameterNames: paramDefs(spec).map((p) => p.name) };
  },

  async startRun(req: StartRunRequest, onEvent?: OnEvent): Promise<string> {
    const { ds, name } = await loadDataset(req.datasetHash, req.choices);
    const config = makeConfig(ds, req.overrides, req.choices);
    const t = Trainer.create({ config, dataset: ds, device: deviceLabel(backend) });
    const id = t.lineage.runId;
    const release = await lockRunOrThrow(id, 'this run');
    await store.putRun(record(id, t, req.name ?? `${config.model.family} on ${name}`, name, req.checkpoints));
    launch(id, t, req.checkpoints, release, onEvent);
    return id;
  },

  async pause(runId: string) {
    const run = active.get(runId);
    if (!run) return;
    run.stopRequest = 'pause';
    await run.done;
  },

  async stop(runId: string) {
    const run = active.get(runId);
    if (!run) return;
    run.stopRequest = 'stop';
    await run.done;
  },

  async subscribe(runId: string, onEvent: OnEvent) {
    active.get(runId)?.listeners.add(onEvent);
  },

  /**
   * Continue a stored run from its newest checkpoint (after a pause, a reload or a crash): the
   * newest save of the branch being trained (store.latestCheckpoint), not the highest step.
   */
  async resumeRun(runId: string, overrides: ResumeOverrides, onEvent?: OnEvent): Promise<{ warnings: string[] }> {
    if (active.has(runId)) throw new RunBusyError('this run is already training', 'run_active');
    const rec = await store.getRun(runId);
    if (!rec) throw new StoreError('not_found', `run ${runId} is not stored`, { details: { what: 'run', id: runId } });
    const latest = await store.latestCheckpoint(runId);
    if (!latest) throw new StoreError('not_found', `run ${rec.name} has no checkpoint to resume from`, { details: { what: 'checkpoint', runId } });
    return resumeFrom(runId, latest.id, rec.datasetHash, overrides, onEvent);
  },

  async resumeOnDataset(checkpointId: string, datasetHash: string, onEvent?: OnEvent) {
    const meta = await store.getCheckpointMeta(checkpointId);
    if (!meta) throw new StoreError('not_found', `checkpoint ${checkpointId} is not stored`, { details: { what: 'checkpoint', id: checkpointId } });
    const r = await resumeFrom(meta.runId, checkpointId, datasetHash, {}, onEvent);
    return { runId: meta.runId, warnings: r.warnings };
  },

  async listRuns(): Promise<RunSummary[]> {
    await recovered();
    return markInterrupted(await store.listRuns());
  },

  /** Resolves when no tab trains the run any more (for "take over" in a second tab). */
  async whenRunFree(runId: string): Promise<void> {
    await whenRunFree(runId);
  },

  async deleteRun(runId: string) {
    if ((await heldRunIds()).has(runId) && !active.has(runId)) throw new RunBusyError('this run is training in another tab; stop it there first');
    const run = active.get(runId);
    if (run) {
      run.stopRequest = 'stop';
      await run.done;
    }
    await store.deleteRun(runId);
  },

  async listCheckpoints(runId: string): Promise<CheckpointSummary[]> {
    return store.listCheckpoints(runId);
  },

  /** The checkpoint the run's Resume continues from (the head of its current branch), if any. */
  async resumePoint(runId: string): Promise<CheckpointSummary | undefined> {
    return store.latestCheckpoint(runId);
  },

  async inspectCheckpoint(id: string): Promise<CheckpointInspection> {
    const { contents, state } = await readCheckpoint(id);
    return inspection(state, contents, id);
  },

  /** The checkpoint as a .ckpt file; with a `slot` (a rolling kind), the one in it when read. */
  async exportCheckpoint(id: string, slot?: store.CheckpointSlot) {
    const { meta, contents, file: bytes } = await store.loadCheckpointFile(id, slot);
    const state = validateState(contents.state); // validates before handing out a file
    const run = await store.getRun(meta.runId);
    const base = (run?.name ?? state.config.model.family).replace(/[^A-Za-z0-9_.-]+/g, '-');
    return transfer({ name: `${base}-step${meta.step}-${meta.kind}.ckpt`, bytes }, [bytes.buffer]);
  },

  async deleteCheckpoint(id: string) {
    await store.deleteCheckpoint(id);
  },

  /** Validates a dropped .ckpt strictly and keeps it as a run of its own. */
  async importCheckpoint(name: string, bytes: Uint8Array) {
    const contents = await decodeCkpt(bytes);
    const state = validateState(contents.state);
    const existing = await store.getRun(state.lineage.runId);
    const runId = existing ? globalThis.crypto.randomUUID() : state.lineage.runId;
    const now = new Date().toISOString();
    const datasetAvailable = !!(await store.getDataset(state.dataset.fingerprint.sha256));
    await store.putRun({
      id: runId, name: `imported ${name}`, createdAt: now, updatedAt: now, status: state.kind === 'final' ? 'finished' : 'paused',
      datasetHash: state.dataset.fingerprint.sha256, datasetSummary: state.dataset.fingerprint.summary, family: state.config.model.family,
      step: state.step, epoch: state.cursor.epoch, totalSteps: state.config.target.steps ?? 0, best: state.metrics.best, config: state.config,
    });
    const checkpointId = globalThis.crypto.randomUUID();
    await store.saveCheckpoint({ id: checkpointId, runId, kind: state.kind, step: state.step, epoch: state.cursor.epoch, createdAt: now, bytes: bytes.byteLength }, bytes);
    return { checkpointId, runId, inspection: inspection(state, contents, checkpointId), datasetAvailable };
  },

  async planFromCheckpoint(checkpointId: string, datasetHash: string, choices: DataChoices): Promise<FreshPlanView> {
    const { contents, state } = await readCheckpoint(checkpointId);
    const { ds } = await loadDataset(datasetHash, choices);
    const fp = compareFingerprints(state.dataset.fingerprint, ds.fingerprint);
    const model = contents.tensors.filter((t) => t.name.startsWith('model.'));
    // the same fit check resume itself makes (session.ts dataMisfit): tensors, then labels
    const resumeBlocked = dataMisfit(contents, state, ds)?.message ?? null;
    let plan: FreshReport;
    try {
      plan = reportOf(freshPlanFor(contents, state, specFor(ds, state.config.model.family, {}, state.config.model), ds));
    } catch {
      // a model that cannot be built for this data: the plan loads nothing (resumeBlocked says why)
      plan = { tensors: [], loaded: [], partial: [], reinitialised: [], ignored: model.map((t) => t.name), known: {} };
    }
    // what changed, in words (engine/data-change.ts): the same sentence the CLI's refusal quotes
    const change = describeChange(state.dataset, ds);
    const message = fp.same ? fp.message : changedDataMessage(state.dataset, ds);
    return { sameDataset: fp.same, message, change: changeWords(change, state.dataset.schema?.kind), recommend: fp.same && !resumeBlocked ? 'resume' : 'fresh', resumeBlocked, ...plan };
  },

  async startFresh(checkpointId: string, req: StartRunRequest, onEvent?: OnEvent) {
    const { contents, meta, state } = await readCheckpoint(checkpointId);
    const { ds, name } = await loadDataset(req.datasetHash, req.choices, parentEncoding(state));
    const t = freshSession(contents, ds, req.overrides, req.choices, deviceLabel(backend), { freezeKnown: req.freezeKnown });
    const id = t.lineage.runId;
    const release = await lockRunOrThrow(id, 'this run');
    await store.putRun(record(id, t, req.name ?? `${t.config.model.family} on ${name} (fresh)`, name, req.checkpoints, { runId: meta.runId, checkpointId }));
    launch(id, t, req.checkpoints, release, onEvent);
    const r = t.freshReport!;
    return { runId: id, plan: { sameDataset: false, message: '', change: '', recommend: 'fresh' as const, resumeBlocked: null, ...r } };
  },

  /**
   * "Try the model": what the panel's form needs (the checkpoint's schema) and, for a CSV model
   * whose dataset is still stored, the first validation row to prefill it.
   */
  async tryModelForm(checkpointId: string) {
    const { state } = await readCheckpoint(checkpointId);
    const schema = state.dataset.schema;
    if (!schema) throw new TabtrainError('no_schema', `cannot try this model: ${missingSchemaNote(state.stateVersion, false)}`);
    let prefill: Record<string, string> | undefined;
    if (schema.kind === 'tabular') {
      const stored = await store.getDataset(state.dataset.fingerprint.sha256);
      const csv = stored?.files.find((f) => /\.(csv|tsv)$/i.test(f.path));
      if (csv) prefill = validationRow(state, csv.bytes, csv.path);
    }
    return { schema, prefill };
  },

  /** "Try the model": one input through the checkpoint's model (engine/predict.ts). */
  async tryModel(checkpointId: string, input: TryInput | { kind: 'imageFile'; bytes: Uint8Array; name: string }) {
    const { contents } = await readCheckpoint(checkpointId);
    const p = new Predictor(contents);
    try {
      if (input.kind === 'imageFile') return await tryOnce(p, { kind: 'image', image: (await decodeImagesChecked([{ path: input.name, bytes: input.bytes }]))[0]! });
      return await tryOnce(p, input);
    } finally {
      p.dispose();
    }
  },

  /** Tests only (development builds): make IndexedDB refuse writes as on a full disk. */
  async injectStorageFault(mode: 'quota' | null) {
    if (!import.meta.env.DEV) throw new TabtrainError('dev_only', 'fault injection exists only in development builds');
    setStorageFault(mode);
  },

  /** Tests only (development builds): sleep `ms` after every training step (`?stepDelay=MS` on the page). */
  async setStepDelay(ms: number) {
    if (!import.meta.env.DEV) throw new TabtrainError('dev_only', 'the step delay exists only in development builds');
    setStepDelay(ms);
  },

  async storage() {
    const e = await store.storageEstimate();
    return { usage: e?.usage ?? null, quota: e?.quota ?? null, persisted: null as boolean | null };
  },
};

async function resumeFrom(runId: string, checkpointId: string, datasetHash: string, overrides: ResumeOverrides, onEvent?: OnEvent) {
  const release = await lockRunOrThrow(runId, (await store.getRun(runId))?.name ?? 'this run');
  let t: Trainer;
  try {
    const { contents, state } = await readCheckpoint(checkpointId);
    const { ds } = await loadDataset(datasetHash, state.config.data);
    t = resumeSession(contents, ds, { ...overrides, device: deviceLabel(backend) });
    t.warnings.push(...backendWarning(state));
  } catch (e) {
    release();
    throw e;
  }
  let rec: store.RunRecord | undefined;
  try {
    // An older checkpoint than the run's head starts a branch: a reload then resumes the branch,
    // not the abandoned saves at higher steps (store.startBranch, docs/storage.md "Branches").
    rec = await store.startBranch(runId, checkpointId);
  } catch (e) {
    if (!(e instanceof StoreError && e.code === 'not_found')) {
      t.dispose();
      release();
      throw e;
    }
    rec = await store.getRun(runId);
  }
  if (rec) await store.putRun({ ...rec, status: 'running', totalSteps: t.totalSteps(), config: t.config, updatedAt: new Date().toISOString() });
  launch(runId, t, rec?.checkpoints ?? DEFAULT_CHECKPOINTS, release, onEvent);
  return { warnings: t.warnings };
}

export type TrainerApi = typeof api;
export default api;
