// File I/O for the CLI: atomic checkpoint writes and reading a dataset from a file or folder.
import { closeSync, fsyncSync, openSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import type { DataFile } from '../engine/data/types';
import { TabtrainError } from '../errors';

const CHUNK = 64 * 1024;
/** Fault injection for tests: slows every 64 KiB chunk down, so a kill lands mid-write. */
const WRITE_DELAY_MS = Number(process.env.TABTRAIN_TEST_WRITE_DELAY_MS ?? 0);
const SLEEPER = new Int32Array(new SharedArrayBuffer(4));

/**
 * Writes `bytes` to `path` so that, killed at any instant, `path` holds either its previous
 * complete content or the new one: write a temporary file beside it, fsync, rename over.
 */
export function writeFileAtomic(path: string, bytes: Uint8Array): void {
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}`);
  let fd = -1;
  try {
    fd = openSync(tmp, 'w', 0o644);
    let off = 0;
    while (off < bytes.length) {
      off += writeSync(fd, bytes, off, Math.min(CHUNK, bytes.length - off));
      if (WRITE_DELAY_MS > 0) Atomics.wait(SLEEPER, 0, 0, WRITE_DELAY_MS);
    }
    fsyncSync(fd);
    closeSync(fd);
    fd = -1;
    renameSync(tmp, path);
  } catch (e) {
    if (fd >= 0) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      /* already gone */
    }
    throw e;
  }
  // Make the rename itself durable.
  try {
    const dfd = openSync(dirname(path), 'r');
    fsyncSync(dfd);
    closeSync(dfd);
  } catch {
    /* some filesystems refuse fsync on a directory; the rename is still atomic */
  }
}

/** A file, or a folder of images (paths relative to the folder's parent, so class folders stay). */
export function readDataFiles(path: string): DataFile[] {
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new TabtrainError('file_not_found', `cannot read ${path}: no such file or folder`, { path });
  }
  if (!st.isDirectory()) return [{ path: basename(path), bytes: new Uint8Array(readFileSync(path)) }];
  const out: DataFile[] = [];
  const root = dirname(path);
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const full = join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else out.push({ path: relative(root, full), bytes: new Uint8Array(readFileSync(full)) });
    }
  };
  walk(path);
  return out;
}

export function readCkptFile(path: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch {
    throw new TabtrainError('file_not_found', `cannot read checkpoint ${path}: no such file`, { path });
  }
}
