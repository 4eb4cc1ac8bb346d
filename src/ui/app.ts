// Wires the page: builds the panels, writes what the worker reports into the page state (one
// store, page-state.ts, that the run list, live view and checkpoint browser draw from), and
// carries the flows (open data -> preview -> start; pause/resume; checkpoints; import). The main
// thread only moves bytes and draws: parsing and training live in the worker.
import { proxy, transfer } from 'comlink';
import type { BackendName, RunEvent, RunSummary } from '../worker/protocol';
import type { Api } from './api';
import { BackendPanel, initialBackend } from './backend-panel';
import { ErrorBanner, InfoBanner, messageOf, StatusLine } from './banners';
import { checkEviction, rememberStored } from './eviction';
import { CheckpointBrowser } from './checkpoints';
import type { Ctx } from './ctx';
import { DataPanel } from './data-panel';
import { applyDevSwitches } from './dev-switches';
import { debounce, h, whileDisabled } from './dom';
import { installDropzone, sampleByKey, SAMPLES, type PickedFile } from './dropzone';
import { ImportView } from './import-view';
import { InterruptedBanners } from './interrupted';
import { LiveView } from './live-view';
import { applyEvent, createPageStore, dropLive, patchLive, runById, withLiveSteps } from './page-state';
import { RunForm, type RunFormValues } from './run-form';
import { RunList } from './run-list';
import { StoragePanel } from './storage-panel';
import { addPoint, traceFromHistory } from './trace';

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
  private store = createPageStore();
  private watching = new Set<string>();
  private refreshRunsSoon = debounce(() => void this.refreshRuns(), 300);

  constructor(private api: Api) {
    const onEvent = proxy((e: RunEvent) => this.handle(e));
    this.ctx = {
      api,
      store: this.store,
      onEvent,
      error: (e) => this.errors.show(e),
      clearError: () => this.errors.clear(),
      say: (m) => this.status.say(m),
      runStarted: (id, w) => this.runStarted(id, w),
      refreshRuns: () => this.refreshRuns(),
      refreshStorage: () => this.storage.refreshSoon(),
      formTraining: (hash) => (this.form.datasetHash === hash ? this.data.withValFraction(this.form.trainingOverrides()) : null),
    };
    this.backend = new BackendPanel(initialBackend(), (b) => this.switchBackend(b));
    this.interrupted = new InterruptedBanners(this.store, (run, btn) => void whileDisabled(btn, () => this.resume(run), (e) => this.errors.show(e)));
    this.data = new DataPanel(this.ctx, {
      previewed: async (p) => {
        if (this.importView.waitingForDataset) this.importView.datasetArrived(p);
        await this.form.load(p);
      },
      checkpointFile: (f) => this.importCkpt(f),
    });
    this.form = new RunForm(
      (p, family) => this.data.loadDefaults(p, family),
      (v) => this.start(v),
      (e) => this.errors.show(e),
    );
    this.runs = new RunList(this.store, {
      select: (r) => void this.select(r),
      pause: (r) => void this.simple(() => api.pause(r.id), `Paused ${r.name}.`),
      resume: (r) => void this.resume(r).catch((e: unknown) => this.errors.show(e)),
      stop: (r) => void this.simple(() => api.stop(r.id), `Stopped ${r.name}.`),
      remove: (r) => void this.remove(r),
      checkpoints: (r) => void this.ckpts.show(r),
    });
    this.liveView = new LiveView(this.store, (run, o) =>
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
      const restored = await this.api.recover();
      const lost = checkEviction(await this.api.listRuns(), await this.api.listDatasets(), restored);
      if (lost) this.evicted.show(lost);
    } catch (e) {
      this.errors.show(e);
    }
    await this.refreshRuns();
    const first = this.store.get().runs[0];
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

  /** A worker event: the state changes (page-state.ts), then what only the page shell does. */
  private handle(e: RunEvent): void {
    this.store.update((s) => applyEvent(s, e));
    switch (e.type) {
      case 'status': {
        const run = runById(this.store.get(), e.runId);
        if (e.status === 'failed' || e.status === 'diverged' || (e.status === 'paused' && e.message)) this.errors.show(new Error(e.message ?? `Run ${run?.name ?? e.runId} ${e.status}.`));
        else if (e.status !== 'running') this.status.say(`Run ${run?.name ?? ''} is ${e.status}.`);
        this.refreshRunsSoon();
        break;
      }
      case 'checkpoint':
        this.refreshRunsSoon(2000); // the stored record now has a newer best metric
        break;
    }
  }

  private async refreshRuns(): Promise<void> {
    try {
      const runs = withLiveSteps(await this.api.listRuns(), this.store.get().lives);
      this.store.set({ runs });
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
    } catch (e) {
      this.errors.show(e);
    }
  }

  /** Fills a run's curves from its newest checkpoint, once, keeping live points newer than it. */
  private async seed(id: string): Promise<void> {
    if (this.store.get().lives.get(id)?.seeded) return;
    this.store.update((s) => patchLive(s, id, () => ({ seeded: true })));
    try {
      const cks = await this.api.listCheckpoints(id);
      const newest = cks.reduce<(typeof cks)[number] | null>((a, c) => (!a || c.step > a.step ? c : a), null);
      if (!newest) return;
      const x = await this.api.inspectCheckpoint(newest.id);
      const t = traceFromHistory(x.history);
      const after = t.step.length ? t.step[t.step.length - 1]! : -1;
      // the points that arrived live while the checkpoint was read
      this.store.update((s) =>
        patchLive(s, id, (l) => {
          const old = l.trace;
          for (let i = 0; i < old.step.length; i++) {
            if (old.step[i]! > after) addPoint(t, { step: old.step[i]!, trainLoss: old.train[i] ?? undefined, lossEma: old.ema[i] ?? undefined, valLoss: old.val[i] ?? undefined, valAccuracy: old.acc[i] ?? undefined, lr: old.lr[i] ?? undefined });
          }
          return { trace: t };
        }),
      );
    } catch {
      // no history to show (checkpoint deleted or unreadable): the live curve starts now
    }
  }

  private async select(run: RunSummary): Promise<void> {
    this.store.set({ selected: run.id });
    await this.seed(run.id);
  }

  private async runStarted(id: string, warnings: string[] = []): Promise<void> {
    if (warnings.length) this.store.update((s) => patchLive(s, id, (l) => ({ warnings: [...l.warnings, ...warnings.filter((w) => !l.warnings.includes(w))] })));
    this.interrupted.dismiss(id);
    await this.refreshRuns();
    const run = runById(this.store.get(), id);
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
      this.store.update((s) => dropLive(s, run.id));
      this.interrupted.dismiss(run.id);
      this.status.say(`Deleted run ${run.name}.`);
    } catch (e) {
      this.errors.show(e);
    }
    await this.refreshRuns();
    this.storage.refreshSoon();
  }

  private async start(values: RunFormValues): Promise<void> {
    const p = this.store.get().preview;
    if (!p) return;
    const v = this.data.withValFraction(values)!;
    try {
      const id = await this.api.startRun({ datasetHash: p.hash, choices: p.choices, overrides: v.overrides, checkpoints: v.checkpoints, name: v.name }, this.ctx.onEvent);
      this.store.update((s) => patchLive(s, id, () => ({ seeded: true }))); // a new run: its curve starts at step 0
      this.status.say('Training started.');
      await this.runStarted(id);
    } catch (e) {
      this.errors.show(e);
    }
  }

  private async switchBackend(b: BackendName) {
    if (this.store.get().runs.some((r) => r.status === 'running' && !r.busyElsewhere)) {
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
      this.store.update((s) => dropLive(s, r.runId));
      await this.refreshRuns();
      this.importView.show(f.file.name, r);
      this.status.say(`Imported ${f.file.name}: ${r.inspection.family} at step ${r.inspection.step}.`);
    } catch (e) {
      this.errors.show(new Error(`Could not import ${f.file.name}: ${messageOf(e)}`));
    }
  }
}
