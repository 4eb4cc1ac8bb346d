// `tabtrain predict` needs the checkpoint only (issue 11, item 6, "Done when" (d)): columns are
// matched by name in any order, the label is optional, and on labelled rows the accuracy is the
// checkpoint's own last evaluation of the same rows.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { splitIndices } from '../../src/engine/cursor';
import { DATASETS as DATASETS_DIR, tabtrain, tempDir } from '../support/cli';

const SEED = 11;

/** 200 rows: two numbers (some missing), a category, a class; the class follows the numbers, noisily. */
function rows(): string[][] {
  const out: string[][] = [];
  for (let i = 0; i < 200; i++) {
    const a = ((i * 37) % 101) / 10;
    const b = ((i * 53) % 89) / 9;
    const cat = ['red', 'green', 'blue'][(i * 7) % 3]!;
    const cls = a + b + (i % 5) > 13 ? 'high' : a > 5 ? 'mid' : 'low';
    out.push([i % 17 === 0 ? '' : String(a), String(b), cat, cls]);
  }
  return out;
}
const toCsv = (header: string[], body: string[][]) => [header.join(','), ...body.map((r) => r.join(','))].join('\n');

describe('tabtrain predict', () => {
  it('(d) shuffled columns without a label predict the same; labelled rows give the last evaluation accuracy', () => {
    const dir = tempDir();
    const header = ['a', 'b', 'colour', 'kind'];
    const all = rows();
    writeFileSync(join(dir, 'train.csv'), toCsv(header, all));
    const ckpt = join(dir, 'm.ckpt');
    const t = tabtrain(['train', '--data', join(dir, 'train.csv'), '--out', ckpt, '--steps', '30', '--seed', String(SEED), '--val-fraction', '0.2', '--batch-size', '16', '--hidden', '8', '--quiet']);
    expect(t.stderr).toBe('');
    const state = JSON.parse(tabtrain(['inspect', ckpt, '--json']).stdout).state;
    const lastEval = [...state.metrics.history].reverse().find((h: { valAccuracy?: number }) => h.valAccuracy !== undefined);
    // the validation rows, in the order the engine evaluates them
    const val = Array.from(splitIndices(all.length, 0.2, SEED).val, (i) => all[i]!);
    writeFileSync(join(dir, 'val.csv'), toCsv(header, val));
    const labelled = tabtrain(['predict', ckpt, '--data', join(dir, 'val.csv')]);
    expect(labelled.stderr).toBe("");
    expect(labelled.code).toBe(0);
    const acc = /accuracy ([\d.]+) \((\d+) of (\d+) rows/.exec(labelled.stdout)!;
    expect(Number(acc[2]) / Number(acc[3])).toBe(lastEval.valAccuracy);
    expect(Number(acc[3])).toBe(val.length);
    expect(lastEval.valAccuracy).toBeGreaterThan(0.3); // a model that learned something, and not every row right
    expect(lastEval.valAccuracy).toBeLessThan(1);

    // the same rows, columns shuffled, no label, the checkpoint alone
    const order = [2, 1, 0];
    writeFileSync(join(dir, 'shuffled.csv'), toCsv(order.map((c) => header[c]!), val.map((r) => order.map((c) => r[c]!))));
    const a = tabtrain(['predict', ckpt, '--data', join(dir, 'val.csv'), '--json']);
    const b = tabtrain(['predict', ckpt, '--data', join(dir, 'shuffled.csv'), '--json']);
    expect(b.code).toBe(0);
    const lines = (s: string) => s.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines(b.stdout)).toEqual(lines(a.stdout));
    expect(lines(a.stdout)).toHaveLength(val.length);
    expect(Object.keys(lines(a.stdout)[0].probabilities).sort()).toEqual(['high', 'low', 'mid']);
    expect(b.stderr).not.toMatch(/accuracy/);

    // a missing input column is refused by name; a category the model never saw is counted
    writeFileSync(join(dir, 'lacking.csv'), toCsv(['a', 'colour'], val.map((r) => [r[0]!, r[2]!])));
    const c = tabtrain(['predict', ckpt, '--data', join(dir, 'lacking.csv')]);
    expect(c.code).toBe(1);
    expect(c.stderr).toMatch(/^tabtrain: error: the data lacks the model's input column "b"/);
    writeFileSync(join(dir, 'purple.csv'), toCsv(header, val.map((r, i) => (i < 3 ? [r[0]!, r[1]!, 'purple', r[3]!] : r))));
    expect(tabtrain(['predict', ckpt, '--data', join(dir, 'purple.csv')]).stderr).toMatch(/note: colour: 3 rows have values the model does not know \("purple"/);
  }, 120_000);

  it('a language model continues a prompt; a seed repeats its text; unknown characters are refused', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 't.txt'), 'to be or not to be, that is the question. '.repeat(30));
    const ckpt = join(dir, 't.ckpt');
    expect(tabtrain(['train', '--data', join(dir, 't.txt'), '--out', ckpt, '--steps', '3', '--context-length', '8', '--quiet']).code).toBe(0);
    const a = tabtrain(['predict', ckpt, '--prompt', 'to be', '--length', '20', '--seed', '4', '--json']);
    const j = JSON.parse(a.stdout);
    expect(j.prompt).toBe('to be');
    expect([...j.prediction]).toHaveLength(20);
    expect(tabtrain(['predict', ckpt, '--prompt', 'to be', '--length', '20', '--seed', '4', '--json']).stdout).toBe(a.stdout);
    const bad = tabtrain(['predict', ckpt, '--prompt', 'TO BE', '--length', '5']);
    expect(bad.stderr).toMatch(/the prompt has characters the model's vocabulary lacks: "T", "O", "B", "E"/);
  }, 60_000);
});

describe('tabtrain predict on images', () => {
  it('a folder of images: one line per image, --json with probabilities by class name', async () => {
    const { writeImageFolder } = await import('../support/cli');
    const dir = tempDir();
    const root = writeImageFolder(dir, 8, 8);
    const ckpt = join(dir, 'img.ckpt');
    expect(tabtrain(['train', '--data', root, '--out', ckpt, '--steps', '2', '--image-size', '8', '--batch-size', '4', '--quiet']).code).toBe(0);
    const r = tabtrain(['predict', ckpt, '--data', join(root, 'top'), '--json']);
    expect(r.stderr).toBe('');
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(8);
    expect(lines[0].file).toMatch(/top\/0\.png$/);
    expect(Object.keys(lines[0].probabilities)).toEqual(['bottom', 'top']);
    expect(['bottom', 'top']).toContain(lines[0].prediction);
    // a zip of images works the same (the sample's classes are others: predict does not care)
    const z = tabtrain(['predict', ckpt, '--data', join(DATASETS_DIR, 'shapes.zip'), '--json']);
    const zl = z.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(zl.length).toBeGreaterThan(1);
    expect(zl.every((x: { file: string; prediction: string }) => /\.png$/i.test(x.file) && ['bottom', 'top'].includes(x.prediction))).toBe(true);
    // a CSV model given images (and the reverse) says what it takes
    const iris = join(dir, 'iris.ckpt');
    expect(tabtrain(['train', '--data', join(DATASETS_DIR, 'iris.csv'), '--out', iris, '--steps', '1', '--quiet']).code).toBe(0);
    expect(tabtrain(['predict', iris, '--prompt', 'abc']).stderr).toMatch(/not a language model/);
  }, 120_000);
});

describe('tabtrain predict on a regression model', () => {
  it("predictions are in the label's units: on the validation rows the RMSE is sqrt(val_loss) x the label's std", () => {
    const dir = tempDir();
    const header = ['x', 'z', 'y'];
    const body = Array.from({ length: 120 }, (_, i) => [String((i * 13) % 29), String((i * 7) % 11), String(1000 + 3 * ((i * 13) % 29) - 5 * ((i * 7) % 11) + (i % 4))]);
    writeFileSync(join(dir, 'r.csv'), toCsv(header, body));
    const ckpt = join(dir, 'r.ckpt');
    expect(tabtrain(['train', '--data', join(dir, 'r.csv'), '--out', ckpt, '--steps', '20', '--seed', '3', '--batch-size', '16', '--hidden', '8', '--quiet']).code).toBe(0);
    const j = JSON.parse(tabtrain(['inspect', ckpt, '--json']).stdout);
    const last = [...j.state.metrics.history].reverse().find((h: { valLoss?: number }) => h.valLoss !== undefined);
    const val = Array.from(splitIndices(body.length, j.state.config.valFraction, 3).val, (i) => body[i]!);
    writeFileSync(join(dir, 'v.csv'), toCsv(header, val));
    const r = tabtrain(['predict', ckpt, '--data', join(dir, 'v.csv')]);
    const rmse = Number(/rmse ([\d.e+-]+),/.exec(r.stdout)![1]);
    const want = Math.sqrt(last.valLoss) * j.schema.labelStats.std;
    expect(Math.abs(rmse - want) / want).toBeLessThan(1e-4);
    expect(r.stdout).toMatch(/^row 1: \d{3,4}(\.\d+)?$/m);
  }, 120_000);
});
