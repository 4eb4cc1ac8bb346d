// Getting files into the page: drag and drop anywhere (folders walked recursively, so images
// keep their `<class>/<file>` paths), the two pickers, and the sample buttons. Nothing here reads
// what is inside a file: bytes go to the worker as they are.
import { TabtrainError } from '../errors';
import type { DataChoices } from '../worker/protocol';
import { h } from './dom';

/** A file the person gave us, with its path relative to what they dropped or picked. */
export interface PickedFile {
  path: string;
  file: File;
}

/** The samples in public/samples; `choices` picks the label a person would (not the last column). */
export const SAMPLES: { key: string; label: string; file: string; choices?: DataChoices }[] = [
  { key: 'iris', label: 'Sample: iris', file: 'iris.csv' },
  { key: 'titanic', label: 'Sample: titanic', file: 'titanic.csv', choices: { label: 'survived' } },
  { key: 'penguins', label: 'Sample: penguins', file: 'penguins.csv', choices: { label: 'species' } },
  { key: 'shakespeare', label: 'Sample: tiny Shakespeare', file: 'tinyshakespeare.txt' },
  { key: 'shapes', label: 'Sample: shapes (images)', file: 'shapes.zip' },
];

/** `?sample=iris` (also the file name, e.g. `tinyshakespeare`). */
export function sampleByKey(key: string): (typeof SAMPLES)[number] | undefined {
  const k = key.toLowerCase();
  return SAMPLES.find((s) => s.key === k || s.file === k || s.file.replace(/\.[^.]+$/, '') === k);
}

export async function fetchSample(file: string): Promise<PickedFile> {
  const res = await fetch(`${import.meta.env.BASE_URL}samples/${file}`);
  if (!res.ok) throw new TabtrainError('sample_unavailable', `Could not load the sample ${file} (HTTP ${res.status}).`, { file, status: res.status });
  const blob = await res.blob();
  return { path: file, file: new File([blob], file) };
}

export const ACCEPT = '.csv,.tsv,.txt,.zip,.ckpt';

function fileOf(entry: FileSystemFileEntry): Promise<File> {
  return new Promise((resolve, reject) => entry.file(resolve, reject));
}

function readBatch(reader: FileSystemDirectoryReader): Promise<FileSystemEntry[]> {
  return new Promise((resolve, reject) => reader.readEntries(resolve, reject));
}

/** Walks a dropped folder; `readEntries` hands out at most ~100 entries per call. */
async function walk(entry: FileSystemEntry, out: PickedFile[]): Promise<void> {
  if (entry.isFile) {
    const file = await fileOf(entry as FileSystemFileEntry);
    out.push({ path: entry.fullPath.replace(/^\/+/, ''), file });
  } else if (entry.isDirectory) {
    const reader = (entry as FileSystemDirectoryEntry).createReader();
    for (;;) {
      const batch = await readBatch(reader);
      if (batch.length === 0) break;
      for (const e of batch) await walk(e, out);
    }
  }
}

/** Files of a drop event. Entries must be taken synchronously, before the event returns. */
async function filesOfDrop(dt: DataTransfer): Promise<PickedFile[]> {
  const entries: FileSystemEntry[] = [];
  const loose: File[] = [];
  for (const item of Array.from(dt.items)) {
    if (item.kind !== 'file') continue;
    const entry = item.webkitGetAsEntry?.();
    if (entry) entries.push(entry);
    else {
      const f = item.getAsFile();
      if (f) loose.push(f);
    }
  }
  if (entries.length === 0 && loose.length === 0) for (const f of Array.from(dt.files)) loose.push(f); // no spread: thousands of files
  const out: PickedFile[] = loose.map((file) => ({ path: file.name, file }));
  for (const e of entries) await walk(e, out);
  return out;
}

/** Files of an `<input type=file>`; a folder picker gives `webkitRelativePath`. */
export function filesOfInput(input: HTMLInputElement): PickedFile[] {
  return Array.from(input.files ?? []).map((file) => ({ path: file.webkitRelativePath || file.name, file }));
}

const hasFiles = (e: DragEvent) => Array.from(e.dataTransfer?.types ?? []).includes('Files');

/**
 * Drag and drop on the whole document with a visible overlay while something is dragged over
 * the page. Returns the overlay element (to put in the page).
 */
export function installDropzone(onFiles: (files: PickedFile[]) => void, onError: (e: unknown) => void): HTMLElement {
  const overlay = h(
    'div',
    { class: 'drop-overlay', 'data-testid': 'drop-overlay', hidden: true, 'aria-hidden': 'true' },
    h('div', { class: 'drop-box' }, h('strong', {}, 'Drop to open'), h('span', {}, 'A CSV, a .txt, a .zip or folder of images (one folder per class), or a .ckpt checkpoint')),
  );
  let depth = 0;
  const hide = () => {
    depth = 0;
    overlay.hidden = true;
  };
  document.addEventListener('dragenter', (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    depth += 1;
    overlay.hidden = false;
  });
  document.addEventListener('dragover', (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
    overlay.hidden = false;
  });
  document.addEventListener('dragleave', (e) => {
    if (!hasFiles(e)) return;
    depth = Math.max(0, depth - 1);
    // relatedTarget null: the pointer left the window
    if (depth === 0 || e.relatedTarget === null) hide();
  });
  document.addEventListener('drop', (e) => {
    if (!e.dataTransfer || !hasFiles(e)) return;
    e.preventDefault();
    hide();
    filesOfDrop(e.dataTransfer).then((files) => {
      if (files.length > 0) onFiles(files);
    }, onError);
  });
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && !overlay.hidden) hide();
  });
  return overlay;
}

/** The two pickers: files (dataset or checkpoint) and an image folder. */
export function pickers(onFiles: (files: PickedFile[]) => void): HTMLElement {
  const fileInput = h('input', { type: 'file', id: 'open-file', accept: ACCEPT, multiple: true, class: 'visually-hidden' });
  const dirInput = h('input', { type: 'file', id: 'open-folder', webkitdirectory: true, multiple: true, class: 'visually-hidden' });
  for (const input of [fileInput, dirInput]) {
    input.addEventListener('change', () => {
      const files = filesOfInput(input);
      // clear so that picking the same file again fires `change` again
      input.value = '';
      if (files.length > 0) onFiles(files);
    });
  }
  return h(
    'div',
    { class: 'pickers' },
    fileInput,
    h('label', { for: 'open-file', class: 'button primary' }, 'Open dataset or checkpoint'),
    dirInput,
    h('label', { for: 'open-folder', class: 'button' }, 'Open image folder'),
  );
}
