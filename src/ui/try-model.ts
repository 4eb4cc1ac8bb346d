// "Try the model" (issue 11, item 7): a form of the checkpoint's input columns (prefilled from a
// validation row) with the predicted class and its probabilities; an image to pick; or a prompt
// to continue. Everything runs in the worker (engine/predict.ts), from the checkpoint alone.
import { withCheckpoint, type CheckpointSlot, type Ctx } from './ctx';
import { button, field, h, numberInput, readNumber, replace, table, whileDisabled } from './dom';

type Output = Awaited<ReturnType<Ctx['api']['tryModel']>>;

function renderOutput(o: Output): HTMLElement {
  if ('text' in o) return h('pre', { class: 'try-text', 'data-testid': 'try-output' }, o.text);
  const probs = o.probabilities ? Object.entries(o.probabilities).sort((a, b) => b[1] - a[1]) : [];
  return h(
    'div',
    { 'data-testid': 'try-output' },
    h('p', {}, h('strong', {}, `Prediction: ${typeof o.prediction === 'number' ? +o.prediction.toPrecision(6) : o.prediction}`)),
    probs.length ? table(['class', 'probability'], probs.map(([c, p]) => [c, `${(p * 100).toFixed(1)}%`]), { 'aria-label': 'Probabilities by class' }) : null,
  );
}

export class TryModel {
  readonly el: HTMLElement;
  private body = h('div', {}, h('p', { class: 'muted' }, 'Reading the checkpoint...'));
  private out = h('div', { 'aria-live': 'polite' });

  constructor(
    private ctx: Ctx,
    private checkpointId: string,
    label: string,
    /** a rolling checkpoint (latest, best, final): a newer save replaces it; calls follow it (ctx.ts withCheckpoint). */
    private slot?: CheckpointSlot,
  ) {
    this.el = h('section', { class: 'try-model panel-inset', 'data-testid': 'try-model', 'aria-label': 'Try the model' }, h('h4', {}, `Try the model: ${label}`), this.body, this.out);
    void this.load();
  }

  private run(btn: HTMLButtonElement, input: () => Promise<Parameters<Ctx['api']['tryModel']>[1]>): void {
    void whileDisabled(btn, async () => {
      const given = await input();
      replace(this.out, renderOutput(await withCheckpoint<Output>(this.ctx.api, this.checkpointId, this.slot, (id) => this.ctx.api.tryModel(id, given))));
    }, (e) => this.ctx.error(e));
  }

  private async load(): Promise<void> {
    let form: Awaited<ReturnType<Ctx['api']['tryModelForm']>>;
    try {
      form = await withCheckpoint(this.ctx.api, this.checkpointId, this.slot, (id) => this.ctx.api.tryModelForm(id));
    } catch (e) {
      replace(this.body, h('p', { class: 'warn' }, e instanceof Error ? e.message : String(e)));
      return;
    }
    const s = form.schema;
    if (s.kind === 'tabular') {
      const inputs = s.columns.map((c) => {
        const value = form.prefill?.[c.name] ?? (c.type === 'numeric' ? String(+c.mean.toPrecision(6)) : c.categories[0] ?? '');
        const el = h('input', { type: 'text', name: c.name, value, ...(c.type === 'categorical' ? { list: `try-${c.name}` } : {}) }) as HTMLInputElement;
        const options = c.type === 'categorical' ? h('datalist', { id: `try-${c.name}` }, c.categories.map((v) => h('option', { value: v }))) : null;
        return { name: c.name, el, node: field(c.type === 'numeric' ? c.name : `${c.name} (${c.categories.length} categories)`, h('span', {}, el, options)) };
      });
      const go: HTMLButtonElement = button('Predict', () => this.run(go, async () => ({ kind: 'row', values: Object.fromEntries(inputs.map((i) => [i.name, i.el.value])) })), { class: 'primary' });
      replace(this.body, form.prefill ? h('p', { class: 'muted' }, 'Prefilled with a validation row.') : null, inputs.map((i) => i.node), go);
    } else if (s.kind === 'image') {
      const file = h('input', { type: 'file', accept: 'image/*', name: 'image' }) as HTMLInputElement;
      const go: HTMLButtonElement = button('Predict', () => this.run(go, async () => {
        const f = file.files?.[0];
        if (!f) throw new Error('pick an image first');
        return { kind: 'imageFile', bytes: new Uint8Array(await f.arrayBuffer()), name: f.name };
      }), { class: 'primary' });
      replace(this.body, h('p', {}, `Images are resized to ${s.height}x${s.width}, ${s.colour === 'rgb' ? 'RGB' : 'grayscale'}; classes: ${s.classes.join(', ')}.`), field('Image', file), go);
    } else {
      const prompt = h('textarea', { name: 'prompt', rows: '3' }) as HTMLTextAreaElement;
      const length = numberInput(200, { min: 1, max: 5000, name: 'length' });
      const temperature = numberInput(1, { min: 0, step: 'any', name: 'temperature' });
      const seed = numberInput(1, { min: 1, name: 'seed' });
      const go: HTMLButtonElement = button('Generate', () => this.run(go, async () => ({
        kind: 'prompt', text: prompt.value, length: readNumber(length) ?? 200, temperature: readNumber(temperature) ?? 1, seed: readNumber(seed) ?? 1,
      })), { class: 'primary' });
      replace(this.body, field('Prompt', prompt, `vocabulary of ${s.vocabulary.length} characters`), field('Length', length), field('Temperature', temperature, '0 = always the likeliest character'), field('Seed', seed), go);
    }
  }
}
