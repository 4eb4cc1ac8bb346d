// --save-dir DIR: the app's checkpoint kinds as files in one folder, each written atomically:
// latest.ckpt (every --checkpoint-every steps and on Ctrl-C), best.ckpt (a new best validation
// loss), step-N.ckpt (every --periodic-every steps, the last --keep kept) and final.ckpt. `resume
// DIR` continues from the newest (by the checkpoint's own createdAt, then step) and `list DIR`
// shows them all.
import { mkdirSync, readdirSync, rmdirSync, statSync, unlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { CheckpointKind, StateMeta } from '../engine/state';
import { TabtrainError } from '../errors';
import { checkOut, writeFileAtomic } from './files';

/** The file a checkpoint of `kind` at `step` gets in a save folder. */
export function fileFor(kind: CheckpointKind, step: number): string {
  return kind === 'periodic' ? `step-${step}.ckpt` : `${kind}.ckpt`;
}

const PERIODIC = /^step-(\d+)\.ckpt$/;

/**
 * Checks --save-dir before any data is read, and creates it when missing (its parent must exist):
 * the same refusals as --out (files.ts checkOut: not the --data file, not inside a --data folder,
 * a file must be creatable there), and train/fresh refuse a folder that already holds checkpoints
 * unless `overwrite` (fresh never writes into the folder of the checkpoint it starts from).
 */
export function checkSaveDir(dir: string, o: { command: 'train' | 'resume' | 'fresh'; data: string; parent?: string; overwrite: boolean }): void {
  const refuse = (code: string, why: string): never => {
    throw new TabtrainError(code, `--save-dir ${dir}: ${why}`, { path: dir });
  };
  const st = statOrNull(dir);
  if (st && !st.isDirectory()) refuse('out_not_file', `${dir} is not a folder`);
  if (!st) {
    const parent = statOrNull(dirname(dir));
    if (!parent) refuse('out_folder_missing', `the folder ${dirname(dir)} does not exist`);
    if (!parent!.isDirectory()) refuse('out_folder_missing', `${dirname(dir)} is not a folder`);
  }
  if (st && o.command !== 'resume') {
    const held = readdirSync(dir).filter((f) => f.endsWith('.ckpt'));
    if (o.command === 'fresh' && o.parent !== undefined && held.some((f) => sameFile(join(dir, f), o.parent!))) {
      refuse('out_is_input', `it holds the checkpoint fresh starts from; write the new run to another folder`);
    }
    if (held.length && !o.overwrite) refuse('out_exists', `${dir} already holds checkpoints (${held.slice(0, 3).join(', ')}${held.length > 3 ? ', ...' : ''}); pass --overwrite to replace them, or choose another folder`);
  }
  let created = false;
  if (!st) {
    try {
      mkdirSync(dir);
      created = true;
    } catch (e) {
      refuse('out_unwritable', `cannot create the folder (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  }
  // The files it will write, each checked as --out is (a folder or a device at that name, the
  // --data file, inside a --data folder, a file creatable there); a folder just created for a
  // refused write is removed again.
  try {
    for (const name of ['latest.ckpt', 'best.ckpt', 'final.ckpt']) checkOut(join(dir, name), { command: 'resume', data: o.data, overwrite: true });
  } catch (e) {
    if (created) rmdirSync(dir);
    if (e instanceof TabtrainError) throw new TabtrainError(e.code, `--save-dir ${dir}: ${e.message.replace(/^--out [^:]*: /, '')}`, e.details);
    throw e;
  }
}

function statOrNull(path: string) {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

function sameFile(a: string, b: string): boolean {
  const x = statOrNull(a);
  const y = statOrNull(b);
  return x !== null && y !== null && x.dev === y.dev && x.ino === y.ino;
}

/** Writes checkpoints into a save folder and keeps the last `keep` periodic ones. */
export class SaveDir {
  constructor(
    readonly dir: string,
    readonly keep: number,
  ) {}

  write(kind: CheckpointKind, step: number, bytes: Uint8Array): void {
    const name = fileFor(kind, step);
    writeFileAtomic(join(this.dir, name), bytes);
    if (kind === 'periodic') this.prune(name);
  }

  /** Older periodic checkpoints past the last `keep`, after the new one is written (most recently written first, then the higher step). */
  private prune(written: string): void {
    const others = readdirSync(this.dir)
      .filter((f) => PERIODIC.test(f) && f !== written)
      .map((f) => ({ f, mtime: statOrNull(join(this.dir, f))?.mtimeMs ?? 0, step: Number(PERIODIC.exec(f)![1]) }))
      .sort((a, b) => b.mtime - a.mtime || b.step - a.step);
    for (const o of others.slice(Math.max(0, this.keep - 1))) {
      try {
        unlinkSync(join(this.dir, o.f));
      } catch {
        /* already gone */
      }
    }
  }
}

/** One checkpoint found in a folder: its state, or why it could not be read. */
export type Found = { file: string; path: string; state: StateMeta } | { file: string; path: string; error: string };

/** The `.ckpt` files of `dir` (not recursive), each read with `read` (errors kept, not thrown). */
export async function scanDir(dir: string, read: (path: string) => Promise<StateMeta>): Promise<Found[]> {
  const st = statOrNull(dir);
  if (!st) throw new TabtrainError('file_not_found', `cannot read ${dir}: no such folder`, { path: dir });
  if (!st.isDirectory()) throw new TabtrainError('not_a_folder', `${dir} is not a folder`, { path: dir });
  const out: Found[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.ckpt') && !f.startsWith('.')).sort()) {
    const path = join(dir, file);
    try {
      out.push({ file, path, state: await read(path) });
    } catch (e) {
      out.push({ file, path, error: (e as Error).message.split('\n')[0] });
    }
  }
  return out;
}

const KIND_ORDER: Record<string, number> = { final: 3, latest: 2, periodic: 1, best: 0 };

/** The newest readable checkpoint: the highest createdAt, then the highest step (then final, latest, periodic, best). */
export function newest(found: Found[]): (Found & { state: StateMeta }) | undefined {
  let best: (Found & { state: StateMeta }) | undefined;
  for (const f of found) {
    if (!('state' in f)) continue;
    if (!best) best = f;
    else {
      const a = f.state;
      const b = best.state;
      const c = a.createdAt.localeCompare(b.createdAt) || a.step - b.step || (KIND_ORDER[a.kind] ?? 0) - (KIND_ORDER[b.kind] ?? 0);
      if (c > 0) best = f;
    }
  }
  return best;
}

/** The last validation loss the checkpoint's history holds, or null. */
export function lastValLoss(s: StateMeta): number | null {
  for (let i = s.metrics.history.length - 1; i >= 0; i--) {
    const v = s.metrics.history[i].valLoss;
    if (v !== undefined && v !== null) return v;
  }
  return null;
}
