// Wires the page: builds the panels, routes run events from the worker to the run list and the
// live view, and carries the flows (open data -> preview -> start; pause/resume; checkpoints;
// import). The main thread only moves bytes and draws: parsing and training live in the worker.
import { proxy, transfer } from 'comlink';
import type { BackendName, RunEvent, RunSummary } from '../worker/protocol';
import type { Api } from './api';
import { BackendPanel, initialBackend } from './backend-panel';
import { ErrorBanner, InfoBanner, messageOf, StatusLine } from './banners';
import { checkEviction, rememberStored } from './eviction';
import { addPoint, traceFromHistory } from './charts';
import { CheckpointBrowser } from './checkpoints';
import type { Ctx } from './ctx';
import { DataPanel } from './data-panel';
import { applyDevSwitches } from './dev-switches';
import { h, whileDisabled } from './dom';
import { installDropzone, sampleByKey, SAMPLES, type PickedFile } from './dropzone';
import { ImportView } from './import-view';
import { InterruptedBanners } from './interrupted';
import { emptyLive, LiveView, type RunLive } from './live-view';
import { RunForm, type RunFormValues } from './run-form';
import { RunList } from './run-list';
import { StoragePanel } from './storage-panel';

const section = (id: string, title: string, ...body: (Node | null)[]) =>
  h('section', { class: 'panel', id, 'aria-labelledby': `${id}-h` }, h('h2', { id: `${id}-h` }, title), ...body);

export class App {
  private errors = new ErrorBanner();
  private evicted = new InfoBanner('eviction-banner');
  private status = new StatusLine();
  private backend: BackendPanel;
  private interrupted: InterruptedBanners;
  private data: DataPanel;
  private form: RunForm;
  private runs: RunList;
  private liveView: LiveView;
  private ckpts: CheckpointBrowser;
  private importView: ImportView;
  private storage: StoragePanel;
  private ctx: Ctx;
  private lives = new Map<string, RunLive>();
  private watching = new Set<string>();
  private refreshTimer = 0;

  constructor(private api: Api) {
    const onEvent = proxy((e: RunEvent) => this.handle(e));
    this.ctx = {
      api,
      onEvent,
      error: (e) => this.errors.show(e),
      clearError: () => this.errors.clear(),
      say: (m) => this.status.say(m),
      runStarted: (id, w) => this.runStarted(id, w),
      refreshRuns: () => this.refreshRuns(),
      refreshStorage: () => this.storage.refreshSoon(),
      preview: () => this.data.preview,
      formTraining: (hash) => (this.form.datasetHash === hash ? this.data.withValFraction(this.form.trainingOverrides()) : null),
      run: (id) => this.runs.get(id),
    };
    this.backend = new BackendPanel(initialBackend(), (b) => this.switchBackend(b));
    this.interrupted = new InterruptedBanners((run, btn) => void whileDisabled(btn, () => this.resume(run), (e) => this.errors.show(e)));
    this.data = new DataPanel(this.ctx, {
      previewed: async (p) => {
        if (this.importView.waitingForDataset) this.importView.datasetArrived(p);
        await this.form.load(p);
      },
      checkpointFile: (f) => this.importCkpt(f),
    });
    this.form = new RunForm(
      (p, family) => this.data.loadDefaults(p, family),
      (v) => void this.start(v),
      (e) => this.errors.show(e),
    );
    this.runs = new RunList({
      select: (r) => void this.select(r),
      pause: (r) => void this.simple(() => api.pause(r.id), `Paused ${r.name}.`),
      resume: (r) => void this.resume(r).catch((e: unknown) => this.errors.show(e)),
      stop: (r) => void this.simple(() => api.stop(r.id), `Stopped ${r.name}.`),
      remove: (r) => void this.remove(r),
      checkpoints: (r) => void this.ckpts.show(r),
    });
    this.liveView = new LiveView((run, o) =>
      void api.resumeRun(run.id, o, onEvent).then(
        (r) => this.runStarted(run.id, r.warnings),
        (e: unknown) => this.errors.show(e),
      ),
    );
    this.ckpts = new CheckpointBrowser(this.ctx);
    this.importView = new ImportView(this.ctx);
    this.storage = new StoragePanel(this.ctx, (hash) => void this.data.useStored(hash));
  }

  /** Builds the page into `root` and starts talking to the worker. */
  async mount(root: HTMLElement): Promise<void> {
    const overlay = installDropzone((files: PickedFile[]) => void this.data.open(files), (e) => this.errors.show(e));
    root.append(
      overlay,
      h(
        'header',
        { class: 'topbar' },
        h('div', { class: 'brand' }, h('h1', {}, 'tabtrain'), h('p', { class: 'tagline' }, 'Train neural networks in this tab. Every run checkpoints itself and resumes after a reload.')),
        this.backend.el,
      ),
      h('div', { class: 'banners' }, this.errors.el, this.evicted.el, this.backend.banner.el, this.interrupted.el, this.status.el),
      h(
        'main',
        { id: 'main', class: 'layout' },
        h(
          'div',
          { class: 'col' },
          section('data', '1. Data', ...this.data.content),
          this.importView.el,
          section('train', '2. Model and training', this.form.el),
        ),
        h(
          'div',
          { class: 'col' },
          section('runs', 'Runs', this.runs.el),
          section('live', 'Live view', this.liveView.el),
          this.ckpts.el,
          section('storage', 'Storage', this.storage.el),
        ),
      ),
    );
    const backendReady = this.api.init(initialBackend()).then(
      (info) => this.backend.show(info),
      (e: unknown) => {
        this.backend.failed(this.errorText(e));
        this.errors.show(e);
      },
    );
    if (import.meta.env.DEV) await applyDevSwitches(this.api, location.search).catch((e: unknown) => this.errors.show(e));
    // Before the first refresh rewrites the list of what is stored: was anything evicted?
    try {
      const lost = checkEviction(await this.api.listRuns(), await this.api.listDatasets());
      if (lost) this.evicted.show(lost);
    } catch (e) {
      this.errors.show(e);
    }
    await this.refreshRuns();
    const first = this.runs.all()[0];
    if (first) void this.select(first);
    void this.storage.refresh();
    const sample = new URLSearchParams(location.search).get('sample');
    if (sample) {
      const s = sampleByKey(sample);
      if (s) await this.data.loadSample(s.file, s.choices).catch((e: unknown) => this.errors.show(e));
      else this.errors.show(new Error(`There is no sample called "${sample}". Samples: ${SAMPLES.map((x) => x.key).join(', ')}.`));
    } else {
      await this.data.restoreLast();
    }
    await backendReady;
  }

  private errorText(e: unknown): string {
    return e instanceof Error ? e.message : String(e);
  }

  private async simple(f: () => Promise<unknown>, done: string): Promise<void> {
    try {
      await f();
      this.status.say(done);
    } catch (e) {
      this.errors.show(e);
    }
    await this.refreshRuns();
  }

  // ---- events ----

  private live(id: string): RunLive {
    let l = this.lives.get(id);
    if (!l) this.lives.set(id, (l = emptyLive()));
    return l;
  }

  private handle(e: RunEvent): void {
    const live = this.live(e.runId);
    switch (e.type) {
      case 'progress':
        addPoint(live.trace, { step: e.step, lr: e.lr, trainLoss: e.trainLoss, valLoss: e.valLoss, valAccuracy: e.valAccuracy });
        live.last = e;
        this.runs.update(e.runId, { step: e.step, epoch: e.epoch, totalSteps: e.totalSteps });
        break;
      case 'status': {
        this.runs.update(e.runId, { status: e.status, lastError: e.message });
        const run = this.runs.get(e.runId);
        if (run) this.liveView.setRun(run);
        if (e.status === 'failed' || e.status === 'diverged' || (e.status === 'paused' && e.message)) this.errors.show(new Error(e.message ?? `Run ${run?.name ?? e.runId} ${e.status}.`));
        else if (e.status !== 'running') this.status.say(`Run ${run?.name ?? ''} is ${e.status}.`);
        this.refreshRunsSoon();
        break;
      }
      case 'checkpoint':
        this.ckpts.changed(e.runId);
        this.storage.refreshSoon();
        this.refreshRunsSoon(2000); // the stored record now has a newer best metric
        break;
      case 'warning':
        if (!live.warnings.includes(e.message)) live.warnings.push(e.message);
        break;
      case 'sample':
        live.sample = { step: e.step, text: e.text };
        break;
      case 'confusion':
        live.confusion = e;
        break;
    }
    this.liveView.changed(e.runId);
  }

  private refreshRunsSoon(ms = 300): void {
    if (this.refreshTimer) return;
    this.refreshTimer = window.setTimeout(() => {
      this.refreshTimer = 0;
      void this.refreshRuns();
    }, ms);
  }

  private async refreshRuns(): Promise<void> {
    try {
      // the stored record lags the live events by up to a checkpoint interval: keep the newer step
      const runs = (await this.api.listRuns()).map((r) => {
        const last = this.lives.get(r.id)?.last;
        return last && r.status === 'running' && last.step > r.step ? { ...r, step: last.step, epoch: last.epoch } : r;
      });
      this.runs.setRuns(runs);
      this.interrupted.sync(runs);
      rememberStored(runs, await this.api.listDatasets());
      // a run trained by another tab: look again once that tab lets go of it
      for (const r of runs) {
        if (r.busyElsewhere && !this.watching.has(r.id)) {
          this.watching.add(r.id);
          void this.api.whenRunFree(r.id).then(
            () => {
              this.watching.delete(r.id);
              void this.refreshRuns();
            },
            () => this.watching.delete(r.id),
          );
        }
      }
      const shown = this.liveView.runId && runs.find((r) => r.id === this.liveView.runId);
      if (shown) this.liveView.setRun(shown);
      else if (this.liveView.runId) this.liveView.hide();
    } catch (e) {
      this.errors.show(e);
    }
  }

  /** Fills a run's curves from its newest checkpoint, once, keeping live points newer than it. */
  private async seed(id: string): Promise<void> {
    const live = this.live(id);
    if (live.seeded) return;
    live.seeded = true;
    try {
      const cks = await this.api.listCheckpoints(id);
      const newest = cks.reduce<(typeof cks)[number] | null>((a, c) => (!a || c.step > a.step ? c : a), null);
      if (!newest) return;
      const x = await this.api.inspectCheckpoint(newest.id);
      const t = traceFromHistory(x.history);
      const old = live.trace;
      const after = t.step.length ? t.step[t.step.length - 1]! : -1;
      for (let i = 0; i < old.step.length; i++) {
        if (old.step[i]! > after) addPoint(t, { step: old.step[i]!, trainLoss: old.train[i] ?? undefined, valLoss: old.val[i] ?? undefined, valAccuracy: old.acc[i] ?? undefined, lr: old.lr[i] ?? undefined });
      }
      live.trace = t;
      this.liveView.changed(id);
    } catch {
      // no history to show (checkpoint deleted or unreadable): the live curve starts now
    }
  }

  private async select(run: RunSummary): Promise<void> {
    this.runs.setSelected(run.id);
    this.liveView.show(run, this.live(run.id));
    await this.seed(run.id);
  }

  private async runStarted(id: string, warnings: string[] = []): Promise<void> {
    const live = this.live(id);
    for (const w of warnings) if (!live.warnings.includes(w)) live.warnings.push(w);
    this.interrupted.dismiss(id);
    await this.refreshRuns();
    const run = this.runs.get(id);
    if (run) await this.select(run);
    if (warnings.length) this.status.say(warnings.join(' '));
    document.getElementById('live')?.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
  }

  // ---- runs ----

  private async resume(run: RunSummary): Promise<void> {
    const r = await this.api.resumeRun(run.id, {}, this.ctx.onEvent);
    await this.runStarted(run.id, r.warnings);
    this.status.say(`Resumed ${run.name} at step ${run.step}.`);
  }

  private async remove(run: RunSummary): Promise<void> {
    try {
      await this.api.deleteRun(run.id);
      this.lives.delete(run.id);
      this.interrupted.dismiss(run.id);
      if (this.ckpts.runId === run.id) this.ckpts.close();
      this.status.say(`Deleted run ${run.name}.`);
    } catch (e) {
      this.errors.show(e);
    }
    await this.refreshRuns();
    this.storage.refreshSoon();
  }

  private async start(values: RunFormValues): Promise<void> {
    const p = this.data.preview;
    if (!p) return;
    const v = this.data.withValFraction(values)!;
    this.form.setBusy(true);
    try {
      const id = await this.api.startRun({ datasetHash: p.hash, choices: p.choices, overrides: v.overrides, checkpoints: v.checkpoints, name: v.name }, this.ctx.onEvent);
      this.live(id).seeded = true; // a new run: its curve starts at step 0
      this.status.say('Training started.');
      await this.runStarted(id);
    } catch (e) {
      this.errors.show(e);
    } finally {
      this.form.setBusy(false);
    }
  }

  private async switchBackend(b: BackendName) {
    if (this.runs.all().some((r) => r.status === 'running' && !r.busyElsewhere)) {
      this.errors.show(new Error('Pause the running run before switching the backend.'));
      return null;
    }
    try {
      return await this.api.init(b);
    } catch (e) {
      this.errors.show(e);
      return null;
    }
  }

  // ---- import ----

  private async importCkpt(f: PickedFile): Promise<void> {
    this.status.say(`Checking ${f.file.name}...`);
    try {
      const bytes = new Uint8Array(await f.file.arrayBuffer());
      const r = await this.api.importCheckpoint(f.file.name, transfer(bytes, [bytes.buffer as ArrayBuffer]));
      this.lives.delete(r.runId);
      await this.refreshRuns();
      this.importView.show(f.file.name, r);
      this.status.say(`Imported ${f.file.name}: ${r.inspection.family} at step ${r.inspection.step}.`);
    } catch (e) {
      this.errors.show(new Error(`Could not import ${f.file.name}: ${messageOf(e)}`));
    }
  }
}
