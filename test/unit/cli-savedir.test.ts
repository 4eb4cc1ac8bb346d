// --save-dir keeps the app's checkpoint kinds on the command line: latest.ckpt, best.ckpt,
// step-N.ckpt (the last --keep kept) and final.ckpt; `resume DIR` continues from the newest one
// (by the checkpoint's own createdAt, then step) and `list DIR` shows what a folder holds.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CHECKPOINT_DEFAULTS } from '../../src/engine/defaults';
import { DATASETS, tabtrain, tabtrainAsync, tempDir } from '../support/cli';

const IRIS = join(DATASETS, 'iris.csv');
const ckpts = (d: string) => readdirSync(d).filter((f) => f.endsWith('.ckpt')).sort();

interface Row { file: string; kind: string; step: number; epoch: number; valLoss: number | null; createdAt: string; newest: boolean }
function list(d: string): Row[] {
  const r = tabtrain(['list', d, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout).checkpoints as Row[];
}

/** Refused in one line, exit 1, before the dataset was read. */
function refusedEarly(r: { code: number; stderr: string }, re: RegExp) {
  expect(r.code, r.stderr).toBe(1);
  expect(r.stderr).toMatch(re);
  expect(r.stderr).not.toMatch(/reading |step \d/);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
}

let root: string;
let runDir: string;
let out: string;
beforeAll(() => {
  root = tempDir();
  runDir = join(root, 'run'); // does not exist yet: created
  out = join(root, 'also.ckpt');
  const r = tabtrain(['train', '--data', IRIS, '--hidden', '8', '--steps', '6', '--eval-every', '1', '--checkpoint-every', '2', '--periodic-every', '2', '--keep', '2', '--quiet', '--save-dir', runDir, '--out', out]);
  expect(r.code, r.stderr).toBe(0);
}, 60_000);

describe('train --save-dir', () => {
  it('writes latest, best, the last --keep periodic and final, and --out beside them', () => {
    expect(ckpts(runDir)).toEqual(['best.ckpt', 'final.ckpt', 'latest.ckpt', 'step-4.ckpt', 'step-6.ckpt']);
    expect(readdirSync(runDir).filter((f) => !f.endsWith('.ckpt'))).toEqual([]); // no temporary files left
    expect(existsSync(out)).toBe(true);
    const rows = list(runDir);
    const by = Object.fromEntries(rows.map((r) => [r.file, r]));
    expect(by['final.ckpt'].kind).toBe('final');
    expect(by['final.ckpt'].step).toBe(6);
    expect(by['latest.ckpt'].kind).toBe('latest');
    expect(by['latest.ckpt'].step).toBe(6);
    expect(by['best.ckpt'].kind).toBe('best');
    expect(by['step-4.ckpt'].kind).toBe('periodic');
    expect(by['step-4.ckpt'].step).toBe(4);
    expect(typeof by['best.ckpt'].valLoss).toBe('number');
    expect(rows.filter((r) => r.newest).map((r) => r.file)).toEqual(['final.ckpt']);
  });

  it('list prints one line per checkpoint, the newest marked', () => {
    const r = tabtrain(['list', runDir]);
    expect(r.code, r.stderr).toBe(0);
    for (const f of ['best.ckpt', 'final.ckpt', 'latest.ckpt', 'step-4.ckpt', 'step-6.ckpt']) expect(r.stdout).toContain(f);
    const newest = r.stdout.split('\n').filter((l) => /newest/.test(l) && l.includes('.ckpt'));
    expect(newest).toHaveLength(1);
    expect(newest[0]).toContain('final.ckpt');
    expect(r.stdout).toMatch(/periodic/);
  });

  it('keeps CHECKPOINT_DEFAULTS.keepPeriodic periodic checkpoints by default', () => {
    const d = join(root, 'keepdefault');
    const n = CHECKPOINT_DEFAULTS.keepPeriodic;
    const r = tabtrain(['train', '--data', IRIS, '--hidden', '8', '--steps', String(n + 2), '--periodic-every', '1', '--quiet', '--save-dir', d]);
    expect(r.code, r.stderr).toBe(0);
    expect(ckpts(d).filter((f) => f.startsWith('step-'))).toHaveLength(n);
    expect(ckpts(d)).toContain(`step-${n + 2}.ckpt`);
    expect(ckpts(d)).not.toContain('step-1.ckpt');
  });
});

describe('resume DIR', () => {
  it('resumes from the newest checkpoint, says which, and keeps writing into DIR', () => {
    const d = join(root, 'resume');
    let r = tabtrain(['train', '--data', IRIS, '--hidden', '8', '--steps', '4', '--quiet', '--save-dir', d]);
    expect(r.code, r.stderr).toBe(0);
    r = tabtrain(['resume', d, '--data', IRIS, '--more-steps', '2', '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/final\.ckpt/);
    expect(r.stderr).toMatch(/step 4/);
    const by = Object.fromEntries(list(d).map((x) => [x.file, x]));
    expect(by['final.ckpt'].step).toBe(6);
  });

  it('with --out only, writes --out and leaves DIR as it was', () => {
    const d = join(root, 'resume-out');
    expect(tabtrain(['train', '--data', IRIS, '--hidden', '8', '--steps', '2', '--quiet', '--save-dir', d]).code).toBe(0);
    const o = join(root, 'elsewhere.ckpt');
    const r = tabtrain(['resume', d, '--data', IRIS, '--more-steps', '1', '--quiet', '--out', o]);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(o)).toBe(true);
    expect(list(d).find((x) => x.file === 'final.ckpt')!.step).toBe(2);
  });

  it('a folder without checkpoints is refused in one line', () => {
    const d = join(root, 'empty');
    mkdirSync(d);
    const r = tabtrain(['resume', d, '--data', IRIS, '--more-steps', '1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no checkpoint/i);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('--save-dir is checked before any data is read', () => {
  it('its parent must exist', () => {
    refusedEarly(tabtrain(['train', '--data', IRIS, '--steps', '2', '--save-dir', join(root, 'no', 'such')]), /--save-dir .*does not exist/);
  });
  it('it must be a folder', () => {
    const f = join(root, 'a-file');
    writeFileSync(f, 'x');
    refusedEarly(tabtrain(['train', '--data', IRIS, '--steps', '2', '--save-dir', f]), /--save-dir .*not a folder/);
  });
  it('train refuses a folder that already holds checkpoints unless --overwrite', () => {
    refusedEarly(tabtrain(['train', '--data', IRIS, '--steps', '2', '--save-dir', runDir]), /--save-dir .*already holds checkpoints.*--overwrite/);
  });
  it('--out or --save-dir is required', () => {
    const r = tabtrain(['train', '--data', IRIS, '--steps', '2']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/missing --out .*--save-dir/);
  });
  it('--keep and --periodic-every are checked', () => {
    const r = tabtrain(['train', '--data', IRIS, '--steps', '2', '--save-dir', join(root, 'k'), '--keep', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--keep/);
    const p = tabtrain(['train', '--data', IRIS, '--steps', '2', '--out', join(root, 'p.ckpt'), '--periodic-every', '2']);
    expect(p.code).toBe(2);
    expect(p.stderr).toMatch(/--periodic-every .*--save-dir/);
  });
});

describe('help', () => {
  it('lists --save-dir, --periodic-every, --keep and the list command', () => {
    for (const c of ['train', 'resume', 'fresh']) {
      const h = tabtrain(['help', c]).stdout;
      for (const f of ['save-dir', 'periodic-every', 'keep']) expect(h, `${c} --${f}`).toMatch(new RegExp(`--${f}\\b`));
    }
    expect(tabtrain(['help', 'resume']).stdout).toMatch(/DIR/);
    const l = tabtrain(['help', 'list']);
    expect(l.code, l.stderr).toBe(0);
    expect(l.stdout).toMatch(/--json/);
    expect(tabtrain(['help']).stdout).toMatch(/tabtrain list/);
  }, 60_000);
});

it('Ctrl-C writes latest.ckpt into --save-dir', async () => {
  const d = join(root, 'sigint');
  const child = tabtrainAsync(['train', '--data', IRIS, '--hidden', '8', '--steps', '1000000', '--log-every', '1', '--save-dir', d]);
  let stderr = '';
  await new Promise<void>((res) => {
    child.stderr!.on('data', (b: Buffer) => {
      stderr += b.toString();
      if (/step \d+\//.test(stderr) && !child.killed) {
        child.kill('SIGINT'); // once: a second Ctrl-C quits without saving
        res();
      }
    });
  });
  const code = await new Promise<number | null>((res) => child.on('close', (c) => res(c)));
  expect(code, stderr).toBe(130);
  expect(ckpts(d), stderr).toContain('latest.ckpt');
  expect(stderr).toMatch(/tabtrain resume .*sigint/);
}, 60_000);
