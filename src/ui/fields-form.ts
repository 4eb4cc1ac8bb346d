// Form inputs generated from FieldDesc[] (src/engine/fields.ts): one labelled input per setting,
// named by its key, so a registry entry (an optimizer, a model family) brings its own inputs and
// the form never lists them by hand. Reading checks each value with the same parser as the CLI.
import { formatField, parseField, type FieldDesc, type FieldValue } from '../engine/fields';
import { field, h, numberInput } from './dom';

export interface FieldInput {
  desc: FieldDesc;
  input: HTMLInputElement;
  /** the labelled wrapper: hide it when the setting does not apply. */
  wrap: HTMLDivElement;
}

/** One input per field, keyed and named by the field's key, filled from `values` (empty = "default"). */
export function fieldInputs(fields: FieldDesc[], values: Record<string, FieldValue | undefined> = {}): Map<string, FieldInput> {
  const out = new Map<string, FieldInput>();
  for (const desc of fields) {
    const v = values[desc.key];
    const finite = (x: number) => (Number.isFinite(x) ? x : undefined);
    const input =
      desc.kind === 'ints'
        ? h('input', { type: 'text', name: desc.key, inputmode: 'numeric', autocomplete: 'off' })
        : numberInput(typeof v === 'number' ? v : undefined, { min: finite(desc.min), max: finite(desc.max), step: desc.kind === 'int' ? 1 : 'any', name: desc.key });
    if (desc.kind === 'ints') input.value = formatField(v);
    out.set(desc.key, { desc, input, wrap: field(desc.label, input, desc.help) });
  }
  return out;
}

/** Puts `values` into the inputs they name (others keep what they hold). */
export function setFieldValues(inputs: Map<string, FieldInput>, values: Record<string, FieldValue | undefined>): void {
  for (const [key, fi] of inputs) {
    if (!(key in values)) continue;
    const v = values[key];
    fi.input.value = v === undefined || (typeof v === 'number' && !Number.isFinite(v)) ? '' : formatField(v);
    if (fi.input.value === '') fi.input.placeholder = 'default';
  }
}

/**
 * The values typed into `inputs` by key (an empty input is left out: "the default"), or a
 * message naming the first bad one.
 */
export function readFields(inputs: Iterable<FieldInput>): Record<string, FieldValue> | string {
  const out: Record<string, FieldValue> = {};
  for (const { desc, input } of inputs) {
    if (input.value.trim() === '') continue;
    const r = parseField(desc, input.value);
    if ('error' in r) return `${desc.label}: ${r.error}`;
    out[desc.key] = r.value;
  }
  return out;
}
