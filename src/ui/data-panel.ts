// The "Data" panel: files and samples in, parse progress, the dataset preview and its choices.
// Parsing happens in the worker; this moves bytes there and draws what comes back. The dataset
// in the preview is remembered (localStorage) and shown again after a reload, so a reloaded
// tab is where it was: its runs listed and its data ready for the next run.
import { proxy, transfer } from 'comlink';
import { checkInputFiles } from '../engine/data/errors';
import type { DataChoices, DatasetPreview } from '../worker/protocol';
import type { Family } from './api';
import type { Ctx } from './ctx';
import { renderPreview, valFractionInput } from './dataset-preview';
import { button, h, whileDisabled } from './dom';
import { fetchSample, pickers, SAMPLES, type PickedFile } from './dropzone';
import type { RunFormValues } from './run-form';
import { nameText } from './names';

const LAST = 'tabtrain.lastDataset';

interface Last {
  hash: string;
  choices: DataChoices;
}

export interface DataHooks {
  /** A dataset is in the preview (new, re-read with other choices, or restored). */
  previewed(p: DatasetPreview): Promise<void>;
  /** A .ckpt file was dropped or picked with the data: it is an import, not a dataset. */
  checkpointFile(f: PickedFile): Promise<void>;
}

export class DataPanel {
  readonly content: Node[];
  private previewHost = h('section', { class: 'preview', 'data-testid': 'dataset-preview', hidden: true, 'aria-label': 'Dataset preview' });
  private valFraction = valFractionInput();
  private parseBar = h('progress', { 'data-testid': 'parse-progress', 'aria-label': 'Reading the dataset', max: 1, value: 0 });
  private parseWhat = h('span', { 'aria-live': 'polite' });
  private parseBox = h('div', { class: 'parse', hidden: true }, this.parseBar, this.parseWhat);
  private parsing = false;

  constructor(
    private ctx: Ctx,
    private hooks: DataHooks,
  ) {
    const samples = h(
      'div',
      { class: 'samples', role: 'group', 'aria-label': 'Sample datasets' },
      SAMPLES.map((s) => button(s.label, (ev) => void whileDisabled(ev.currentTarget as HTMLButtonElement, () => this.loadSample(s.file, s.choices), (e) => ctx.error(e)))),
    );
    this.content = [
      h('p', { class: 'hint' }, 'Drop a CSV, a .txt, a .zip or a folder of images (one folder per class), or a .ckpt checkpoint anywhere on this page, or:'),
      pickers((files) => void this.open(files)),
      samples,
      this.parseBox,
      this.previewHost,
    ];
  }

  /** The run form's defaults for this dataset (and family); fills in the validation fraction once. */
  async loadDefaults(p: DatasetPreview, family?: Family) {
    const d = await this.ctx.api.defaults(p.hash, p.choices, family);
    if (this.valFraction.value.trim() === '' && d.overrides.valFraction !== undefined) this.valFraction.value = String(d.overrides.valFraction);
    return d;
  }

  /**
   * The form's values with the preview's validation fraction when one is typed. An out-of-range
   * value goes through as typed: the engine refuses it with the one limit (engine/defaults.ts)
   * and the page shows why, instead of training with the default without a word.
   */
  withValFraction(v: RunFormValues | null): RunFormValues | null {
    if (!v) return null;
    const text = this.valFraction.value.trim();
    return text !== '' ? { ...v, overrides: { ...v.overrides, valFraction: Number(text) } } : v;
  }

  async loadSample(file: string, choices: DataChoices = {}): Promise<void> {
    this.showParse(0, `Downloading ${file}...`);
    try {
      await this.open([await fetchSample(file)], choices);
    } finally {
      if (!this.parsing) this.parseBox.hidden = true;
    }
  }

  /** Dropped or picked files: a .ckpt is an import; anything else is parsed as one dataset. */
  async open(files: PickedFile[], choices: DataChoices = {}): Promise<void> {
    const ckpts = files.filter((f) => /\.ckpt$/i.test(f.path));
    if (ckpts.length > 0) {
      if (files.length > 1) this.ctx.say(`Opened the checkpoint ${ckpts[0]!.file.name}; other files were ignored.`);
      await this.hooks.checkpointFile(ckpts[0]!);
      return;
    }
    if (this.parsing) {
      this.ctx.error(new Error('Still reading the previous dataset; drop the new one when it is done.'));
      return;
    }
    this.parsing = true;
    this.ctx.clearError();
    this.showParse(0, `Reading ${files.length === 1 ? files[0]!.path : `${files.length} files`}...`);
    let frame = 0;
    let latest: [number, string] = [0, ''];
    const onProgress = proxy((fraction: number, what: string) => {
      latest = [fraction, what];
      if (frame === 0) frame = requestAnimationFrame(() => ((frame = 0), this.showParse(...latest)));
    });
    try {
      // Sizes from the File objects before anything is read: a 10 GB drop is refused, not read.
      checkInputFiles(files.map((f) => ({ path: f.path, size: f.file.size })), files.length === 1 ? files[0]!.path : 'the dropped folder');
      const data = await Promise.all(files.map(async (f) => ({ path: f.path, bytes: new Uint8Array(await f.file.arrayBuffer()) })));
      const p = await this.ctx.api.parseFiles(transfer(data, data.map((d) => d.bytes.buffer as ArrayBuffer)), choices, onProgress);
      await this.show(p);
      this.ctx.say(`Loaded ${p.name}: ${p.summary}.`);
    } catch (e) {
      this.ctx.error(e);
    } finally {
      if (frame) cancelAnimationFrame(frame);
      this.parsing = false;
      this.parseBox.hidden = true;
      this.ctx.refreshStorage();
    }
  }

  /** A dataset already stored (from the storage panel), read with its default choices. */
  async useStored(hash: string): Promise<void> {
    try {
      const p = await this.ctx.api.reparse(hash, {});
      await this.show(p);
      this.previewHost.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
      this.ctx.say(`Using ${p.name}.`);
    } catch (e) {
      this.ctx.error(e);
    }
  }

  /**
   * After a reload: the dataset that was in the preview, with the choices it had. A dataset
   * deleted since is forgotten quietly (the eviction banner reports storage the browser
   * cleared); the page then waits for data as on a first visit.
   */
  async restoreLast(): Promise<void> {
    const last = readLast();
    if (!last || this.preview() || this.parsing) return;
    try {
      const p = await this.ctx.api.reparse(last.hash, last.choices);
      if (!this.preview() && !this.parsing) await this.show(p);
    } catch {
      forgetLast(last.hash);
    }
  }

  /** The dataset in the preview: kept in the page state, which this panel writes. */
  private preview(): DatasetPreview | null {
    return this.ctx.store.get().preview;
  }

  private showParse(fraction: number, what: string): void {
    this.parseBox.hidden = false;
    this.parseBar.value = Math.max(0, Math.min(1, fraction));
    this.parseWhat.textContent = nameText(what, 300); // names the file being read
  }

  private async show(p: DatasetPreview): Promise<void> {
    this.ctx.store.set({ preview: p });
    writeLast({ hash: p.hash, choices: p.choices });
    renderPreview(this.previewHost, p, { onChoices: (c) => void this.reparse(p.hash, c) }, this.valFraction);
    await this.hooks.previewed(p);
  }

  private async reparse(hash: string, choices: DataChoices): Promise<void> {
    try {
      await this.show(await this.ctx.api.reparse(hash, choices));
    } catch (e) {
      this.ctx.error(e);
      const p = this.preview();
      if (p) renderPreview(this.previewHost, p, { onChoices: (c) => void this.reparse(hash, c) }, this.valFraction);
    }
  }
}

function readLast(): Last | null {
  try {
    const v = JSON.parse(localStorage.getItem(LAST) ?? 'null') as Partial<Last> | null;
    return v && typeof v.hash === 'string' && typeof v.choices === 'object' && v.choices !== null ? { hash: v.hash, choices: v.choices } : null;
  } catch {
    return null;
  }
}

function writeLast(v: Last): void {
  try {
    localStorage.setItem(LAST, JSON.stringify(v));
  } catch {
    /* storage blocked or full: the page just will not reopen it */
  }
}

function forgetLast(hash: string): void {
  if (readLast()?.hash !== hash) return;
  try {
    localStorage.removeItem(LAST);
  } catch {
    /* as above */
  }
}
