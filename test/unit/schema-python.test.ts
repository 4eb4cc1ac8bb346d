// Issue 11 item 8: the Python snippet in docs/ckpt-format.md ("Encoding a CSV row in Python")
// encodes CSV rows from a checkpoint's schema exactly as tabtrain does. The block is taken from
// the page itself, so the documentation cannot drift from the encoder.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCsv } from '../../src/engine/data';
import { DATASETS, tabtrain, tempDir } from '../support/cli';

const PYTHON = process.env.PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');

function snippet(): string {
  const page = readFileSync('docs/ckpt-format.md', 'utf8');
  const at = page.indexOf('### Encoding a CSV row in Python');
  const m = /```python\n([\s\S]*?)```/.exec(page.slice(at));
  if (at < 0 || !m) throw new Error('docs/ckpt-format.md has no "Encoding a CSV row in Python" block');
  return m[1]!;
}

describe('the Python snippet that encodes a CSV row from the schema', () => {
  it('gives tabtrain\'s encoding of titanic (numbers, missing values, categories)', async () => {
    const dir = tempDir();
    const csv = join(DATASETS, 'titanic.csv');
    const ckpt = join(dir, 't.ckpt');
    expect(tabtrain(['train', '--data', csv, '--label', 'survived', '--out', ckpt, '--steps', '1', '--quiet']).code).toBe(0);
    const script = `${snippet()}
import csv, sys
schema = load_schema(sys.argv[1])
with open(sys.argv[2], newline="", encoding="utf-8") as f:
    rows = [encode_row(schema, r) for r in csv.DictReader(f)]
print(json.dumps(rows))
`;
    writeFileSync(join(dir, 'enc.py'), script);
    const r = spawnSync(PYTHON, [join(dir, 'enc.py'), ckpt, csv], { encoding: 'utf8', maxBuffer: 64 << 20 });
    expect(r.stderr).toBe('');
    const py = JSON.parse(r.stdout) as number[][];
    const ds = await parseCsv(readFileSync(csv), 'titanic.csv', { label: 'survived' });
    expect(py.length).toBe(ds.numRows);
    expect(py[0]!.length).toBe(ds.numFeatures);
    const got = Float32Array.from(py.flat(), (v) => Math.fround(v));
    expect(Array.from(got)).toEqual(Array.from(ds.x));
    expect(ds.columns!.some((c) => c.type === 'categorical' && c.categories.includes('(missing)'))).toBe(true);
  }, 60_000);
});
