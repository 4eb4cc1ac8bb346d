// Form inputs generated from registry field descriptions (src/engine/fields.ts): the run form
// shows whatever settings the chosen model family (or optimizer) declares, so a new family
// needs no page code. An empty input means "the default".
import { formatField, parseField, type FieldDesc, type FieldValue } from '../engine/fields';
import { field, h, numberInput } from './dom';

export interface FieldInputs {
  /** one labelled row per setting, in the registry's order. */
  rows: HTMLElement[];
  /** the values typed, by key (empty inputs left out), or the first problem as a message. */
  read(): Record<string, FieldValue> | string;
}

export function fieldInputs(fields: readonly FieldDesc[], values: Record<string, unknown>): FieldInputs {
  const inputs = fields.map((f) => {
    const v = values[f.key] as FieldValue | undefined;
    // Lists are typed as text ("64, 64"); numbers get a number input with the bounds.
    const el =
      f.kind === 'ints'
        ? h('input', { type: 'text', name: f.key, inputmode: 'numeric', autocomplete: 'off', value: formatField(v) })
        : numberInput(v as number | undefined, { min: f.min, max: f.max, step: f.kind === 'int' ? 1 : 'any', name: f.key });
    if (f.kind === 'ints') el.value = formatField(v);
    return { f, el, row: field(f.label, el, f.help ? f.help[0].toUpperCase() + f.help.slice(1) : undefined) };
  });
  return {
    rows: inputs.map((i) => i.row),
    read() {
      const out: Record<string, FieldValue> = {};
      for (const { f, el } of inputs) {
        if (el.value.trim() === '') continue;
        const r = parseField(f, el.value);
        if ('error' in r) return `${f.label}: ${r.error}`;
        out[f.key] = r.value;
      }
      return out;
    },
  };
}
