// What the worker understood of a dataset, before any training: kind, rows, label, task,
// classes, dropped columns, notes, a few rows / a text sample / thumbnails. The label and task
// controls re-parse the stored dataset in the worker; nothing is parsed here.
import { LIMITS } from '../engine/defaults';
import type { TaskKind } from '../engine/data/types';
import type { DataChoices, DatasetPreview } from '../worker/protocol';
import { field, fmtBytes, h, numberInput, replace, select, showChar, table } from './dom';
import { nameEl, nameText, neutralise } from './names';

/** Classes and column chips shown; a CSV with 100,000 classes or 20,000 columns says how many more there are. */
const SHOWN = 200;

/** `items` past SHOWN as one line: "... and 99,800 more". */
const more = (n: number, what: string) => (n > SHOWN ? h('p', { class: 'muted', 'data-testid': 'more' }, `... and ${(n - SHOWN).toLocaleString('en-US')} more ${what} (not shown)`) : null);

export interface PreviewHandlers {
  /** label or task changed: re-parse. */
  onChoices(choices: DataChoices): void;
}

const KIND_LABEL: Record<DatasetPreview['kind'], string> = { tabular: 'Table (CSV)', image: 'Images', text: 'Text' };

function facts(rows: [string, string | number | Node][]): HTMLElement {
  return h('dl', { class: 'facts' }, rows.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]).flat());
}

function classesTable(p: DatasetPreview): HTMLElement | null {
  if (!p.classes || p.classes.length === 0) return null;
  const total = p.classes.reduce((s, c) => s + c.count, 0) || 1;
  // the most frequent first when there are more than the view shows
  const shown = p.classes.length > SHOWN ? p.classes.slice().sort((a, b) => b.count - a.count).slice(0, SHOWN) : p.classes;
  return h(
    'div',
    { class: 'block' },
    h('h4', {}, `Classes (${p.classes.length.toLocaleString('en-US')})`),
    p.classes.length > SHOWN ? h('p', { class: 'hint' }, `The ${SHOWN} most frequent classes.`) : null,
    table(
      ['Class', 'Count', 'Share'],
      shown.map((c) => [nameEl(c.name), c.count, `${((100 * c.count) / total).toFixed(1)}%`]),
      { class: 'compact' },
    ),
    more(p.classes.length, 'classes'),
  );
}

function thumbnails(p: DatasetPreview): HTMLElement | null {
  if (!p.thumbnails || p.thumbnails.length === 0) return null;
  const byClass = new Map<string, HTMLCanvasElement[]>();
  for (const t of p.thumbnails) {
    if (t.rgba.length !== t.width * t.height * 4 || t.width === 0 || t.height === 0) continue;
    const c = h('canvas', { width: t.width, height: t.height, class: 'thumb', role: 'img', 'aria-label': `example of ${nameText(t.label)}` });
    const ctx = c.getContext('2d');
    if (!ctx) continue;
    ctx.putImageData(new ImageData(t.rgba as Uint8ClampedArray<ArrayBuffer>, t.width, t.height), 0, 0);
    const list = byClass.get(t.label) ?? [];
    list.push(c);
    byClass.set(t.label, list);
  }
  return h(
    'div',
    { class: 'block' },
    h('h4', {}, 'Examples per class'),
    h('div', { class: 'thumb-grid' }, Array.from(byClass, ([label, canvases]) => h('figure', { class: 'thumb-class' }, h('div', { class: 'thumb-row' }, canvases), h('figcaption', {}, nameEl(label))))),
  );
}

/** Renders the preview into `host` (which carries data-testid=dataset-preview). */
export function renderPreview(host: HTMLElement, p: DatasetPreview, handlers: PreviewHandlers, valFraction: HTMLInputElement): void {
  const controls: HTMLElement[] = [];
  if (p.kind === 'tabular' && p.columns && p.columns.length > 0) {
    const label = select(
      p.columns.map((c) => ({ value: c, label: nameText(c) })),
      p.label ?? p.columns[p.columns.length - 1],
      'label',
    );
    const task = select<TaskKind>(
      [
        { value: 'classification', label: 'Classification (predict a class)' },
        { value: 'regression', label: 'Regression (predict a number)' },
      ],
      p.task === 'regression' ? 'regression' : 'classification',
      'task',
    );
    // A new label: let the worker infer the task again. A new task: keep the label.
    label.addEventListener('change', () => handlers.onChoices({ label: label.value }));
    task.addEventListener('change', () => handlers.onChoices({ label: label.value, task: task.value as TaskKind }));
    controls.push(field('Label column', label, 'The column the model learns to predict.'), field('Task', task));
  }
  controls.push(field('Validation fraction', valFraction, `Share of the data held out to measure the model (0 to ${LIMITS.maxValFraction}).`));

  const summary: [string, string | number | Node][] = [
    ['Kind', KIND_LABEL[p.kind]],
    ['Size', fmtBytes(p.bytes)],
  ];
  if (p.rows !== undefined) summary.push([p.kind === 'image' ? 'Images' : 'Rows', p.rows]);
  if (p.kind === 'tabular') {
    if (p.label) summary.push(['Label', nameEl(p.label)]);
    if (p.task) summary.push(['Task', p.task]);
    if (p.features) summary.push(['Features', `${p.features.length}`]);
  }
  if (p.imageSize) summary.push(['Image size', `${p.imageSize.width} x ${p.imageSize.height} x ${p.imageSize.channels}`]);
  if (p.characters !== undefined) summary.push(['Characters', p.characters.toLocaleString()]);
  if (p.vocabulary) summary.push(['Vocabulary', `${p.vocabulary.length} characters`]);

  const blocks: (HTMLElement | null)[] = [];
  if (p.kind === 'tabular' && p.columns) {
    blocks.push(
      h(
        'div',
        { class: 'block' },
        h('h4', {}, `Columns (${p.columns.length})`),
        h(
          'ul',
          { class: 'chips' },
          p.columns.slice(0, SHOWN).map((c) => {
            const dropped = p.dropped?.find((d) => d.column === c);
            const role = c === p.label ? 'label' : dropped ? 'dropped' : 'feature';
            return h('li', { class: `chip chip-${role}`, title: role }, nameEl(c), role === 'label' ? ' (label)' : role === 'dropped' ? ' (dropped)' : '');
          }),
        ),
        more(p.columns.length, 'columns'),
      ),
    );
  }
  blocks.push(classesTable(p));
  if (p.dropped && p.dropped.length > 0) {
    blocks.push(h('div', { class: 'block' }, h('h4', {}, 'Dropped columns'), h('ul', {}, p.dropped.slice(0, SHOWN).map((d) => h('li', {}, h('strong', {}, nameEl(d.column)), `: ${nameText(d.reason, 500)}`))), more(p.dropped.length, 'dropped columns')));
  }
  if (p.notes.length > 0) blocks.push(h('div', { class: 'block' }, h('h4', {}, 'Notes'), h('ul', { class: 'notes' }, p.notes.map((n) => h('li', {}, nameText(n, 1000))))));
  if (p.sampleRows && p.sampleRows.length > 1) {
    const [head, ...rows] = p.sampleRows;
    blocks.push(h('div', { class: 'block' }, h('h4', {}, 'First rows'), h('div', { class: 'scroll-x' }, table((head ?? []).slice(0, SHOWN).map((c) => nameEl(c)), rows.map((r) => r.slice(0, SHOWN).map((c) => nameEl(c))), { class: 'compact sample-rows' }))));
  }
  if (p.vocabulary && p.vocabulary.length > 0) {
    blocks.push(h('div', { class: 'block' }, h('h4', {}, 'Vocabulary'), h('p', { class: 'vocab' }, p.vocabulary.map((c) => neutralise(showChar(c))).join(' '))));
  }
  if (p.sampleText) blocks.push(h('div', { class: 'block' }, h('h4', {}, 'Text sample'), h('pre', { class: 'sample-text' }, p.sampleText)));
  blocks.push(thumbnails(p));

  replace(
    host,
    h('h3', {}, nameEl(p.name)),
    h('p', { class: 'summary' }, nameEl(p.summary, 300)),
    facts(summary),
    h('div', { class: 'preview-controls' }, controls),
    blocks,
  );
  host.hidden = false;
  host.dataset.kind = p.kind;
  host.dataset.hash = p.hash;
}

/** The validation-fraction input; it lives across re-renders so the value sticks. */
export function valFractionInput(): HTMLInputElement {
  return numberInput(undefined, { min: 0, max: LIMITS.maxValFraction, step: 0.05, name: 'valFraction' });
}
