// --out is checked before any data is read or any step trained (a missing folder used to fail
// only after all the training, losing it), existing files are not replaced by surprise, and the
// temporary files of killed writes do not pile up.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DATASETS, tabtrain, tempDir, writeImageFolder } from '../support/cli';

const IRIS = join(DATASETS, 'iris.csv');
const PENGUINS = join(DATASETS, 'penguins.csv');
let dir: string;
let parent: string;
beforeAll(() => {
  dir = tempDir();
  parent = join(dir, 'parent.ckpt');
  const r = tabtrain(['train', '--data', IRIS, '--steps', '2', '--hidden', '8', '--quiet', '--out', parent]);
  expect(r.code, r.stderr).toBe(0);
});

const train = (out: string, ...extra: string[]) => tabtrain(['train', '--data', IRIS, '--steps', '2', '--hidden', '8', ...extra, '--out', out]);

/** Refused in one line, exit 1, before the dataset was read (no "reading ..." progress line). */
function refusedEarly(r: { code: number; stderr: string }, re: RegExp) {
  expect(r.code, r.stderr).toBe(1);
  expect(r.stderr).toMatch(re);
  expect(r.stderr).not.toMatch(/reading |step \d/);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
}

describe('--out is checked before any training', () => {
  it('a folder that does not exist', () => {
    const out = join(dir, 'no-such-folder', 'x.ckpt');
    refusedEarly(train(out), /--out .*no-such-folder.*: the folder .*no-such-folder does not exist/);
  });

  it('a folder that is a file', () => {
    const out = join(parent, 'x.ckpt');
    refusedEarly(train(out), /--out .*: .*parent\.ckpt is not a folder/);
  });

  it('a path that is a directory', () => {
    const sub = join(dir, 'a-folder');
    mkdirSync(sub);
    refusedEarly(train(sub), /--out .*a-folder is a folder, not a file/);
  });

  it('a path that is not a regular file (a FIFO)', () => {
    const fifo = join(dir, 'pipe.ckpt');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    refusedEarly(train(fifo, '--overwrite'), /--out .*pipe\.ckpt is not a regular file/);
  });

  it('a folder where nothing can be created', () => {
    // /proc refuses new files even to root (chmod would not stop root).
    refusedEarly(train('/proc/tabtrain-x.ckpt'), /--out \/proc\/tabtrain-x\.ckpt: cannot create a file in \/proc/);
  });
});

describe('no surprise overwrites', () => {
  it('train refuses an existing --out unless --overwrite', () => {
    const out = join(dir, 'exists.ckpt');
    writeFileSync(out, 'precious');
    refusedEarly(train(out), /--out .*exists\.ckpt already exists; pass --overwrite to replace it/);
    expect(readFileSync(out, 'utf8')).toBe('precious');
    const r = train(out, '--overwrite', '--quiet');
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(out, 'utf8')).not.toBe('precious');
  });

  it('fresh refuses an existing --out unless --overwrite, and never its parent', () => {
    const out = join(dir, 'fresh-exists.ckpt');
    writeFileSync(out, 'precious');
    refusedEarly(tabtrain(['fresh', parent, '--data', PENGUINS, '--label', 'species', '--steps', '1', '--out', out]), /already exists; pass --overwrite/);
    expect(readFileSync(out, 'utf8')).toBe('precious');
    const before = readFileSync(parent);
    for (const extra of [[], ['--overwrite']]) {
      refusedEarly(
        tabtrain(['fresh', parent, '--data', PENGUINS, '--label', 'species', '--steps', '1', ...extra, '--out', parent]),
        /--out .*parent\.ckpt is the checkpoint fresh starts from; write the new run to another file/,
      );
    }
    expect(readFileSync(parent).equals(before)).toBe(true);
  });

  it('resume X --out X continues in place (the documented use)', () => {
    const run = join(dir, 'inplace.ckpt');
    copyFileSync(parent, run);
    const r = tabtrain(['resume', run, '--data', IRIS, '--steps', '4', '--quiet', '--out', run]);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(run).equals(readFileSync(parent))).toBe(false);
  });

  it('never writes a checkpoint over the --data file, even with --overwrite', () => {
    const csv = join(dir, 'iris-copy.csv');
    copyFileSync(IRIS, csv);
    for (const r of [
      tabtrain(['train', '--data', csv, '--steps', '1', '--overwrite', '--out', csv]),
      tabtrain(['resume', parent, '--data', csv, '--steps', '4', '--out', csv]),
    ]) {
      refusedEarly(r, /--out .*iris-copy\.csv is the --data file/);
    }
    expect(readFileSync(csv).equals(readFileSync(IRIS))).toBe(true);
  });


  it('never writes a checkpoint into the --data folder (it would become part of the dataset)', () => {
    const images = writeImageFolder(join(dir, 'imgs'), 4, 8);
    const out = join(images, 'top', 'run.ckpt');
    refusedEarly(tabtrain(['train', '--data', images, '--steps', '1', '--image-size', '8', '--out', out]), /--out .*run\.ckpt is inside the --data folder/);
    expect(existsSync(out)).toBe(false);
  });
});

describe('temporary files of killed writes', () => {
  it('are removed on the next write to the same path; a live writer\'s is kept', () => {
    const sub = join(dir, 'tmps');
    mkdirSync(sub);
    // A pid that is certainly not alive: a child that has exited.
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    const stale = `.run.ckpt.tmp-${dead}`;
    const live = `.run.ckpt.tmp-${process.pid}`; // this test process is alive
    const other = `.other.ckpt.tmp-${dead}`; // another path's: not ours to touch
    for (const f of [stale, live, other]) writeFileSync(join(sub, f), 'partial');
    const r = train(join(sub, 'run.ckpt'), '--quiet');
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(sub).sort()).toEqual([live, other, 'run.ckpt'].sort());
    expect(existsSync(join(sub, stale))).toBe(false);
  });
});
