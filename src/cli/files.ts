// File I/O for the CLI: atomic checkpoint writes and reading a dataset from a file or folder.
import { closeSync, constants, fstatSync, fsyncSync, openSync, readdirSync, readSync, realpathSync, renameSync, statSync, unlinkSync, writeSync, type Stats } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import type { DataFile } from '../engine/data/types';
import { INPUT_LIMITS } from '../engine/defaults';
import { checkInputFiles, checkSize, formatBytes } from '../engine/data/errors';
import { DatasetError, TabtrainError } from '../errors';

const CHUNK = 64 * 1024;
/** Fault injection for tests: slows every 64 KiB chunk down, so a kill lands mid-write. */
const WRITE_DELAY_MS = Number(process.env.TABTRAIN_TEST_WRITE_DELAY_MS ?? 0);
const SLEEPER = new Int32Array(new SharedArrayBuffer(4));

/**
 * Writes `bytes` to `path` so that, killed at any instant, `path` holds either its previous
 * complete content or the new one: write a temporary file beside it, fsync, rename over.
 */
export function writeFileAtomic(path: string, bytes: Uint8Array): void {
  removeStaleTemps(path);
  const tmp = tempPath(path, process.pid);
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

/** The temporary file a writer with this pid uses for `path`. */
const tempPath = (path: string, pid: number) => join(dirname(path), `.${basename(path)}.tmp-${pid}`);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0); // signal 0: only asks whether the process exists
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, but another user's
  }
}

const swept = new Set<string>();
/**
 * A writer killed mid-write leaves `.NAME.tmp-PID` beside `path`, forever: on this process's first
 * write to `path`, remove those whose writer is gone. A live writer's (another run writing the same
 * path right now) is left alone; a reused pid only means one is left for a later sweep.
 */
function removeStaleTemps(path: string): void {
  if (swept.has(path)) return;
  swept.add(path);
  const prefix = `.${basename(path)}.tmp-`;
  let names: string[];
  try {
    names = readdirSync(dirname(path));
  } catch {
    return; // the write itself will report the folder
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const pid = name.slice(prefix.length);
    if (!/^[1-9][0-9]*$/.test(pid) || Number(pid) === process.pid || alive(Number(pid))) continue;
    try {
      unlinkSync(join(dirname(path), name));
    } catch {
      /* gone already, or not ours to remove: harmless */
    }
  }
}

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

const sameFile = (a: Stats | null, b: Stats | null) => a !== null && b !== null && a.dev === b.dev && a.ino === b.ino;

/**
 * Checks that --out can be written, before any data is read or any step trained: a missing
 * folder used to fail only at the first write, after all the training. Also refuses the
 * surprises: replacing an existing file without `overwrite` (train, fresh), the --data file
 * (ever), and for fresh its parent checkpoint (ever). `resume X --out X` is allowed: it continues
 * the run in place, the documented use. Throws a one-line TabtrainError (exit 1).
 */
export function checkOut(out: string, o: { command: 'train' | 'resume' | 'fresh'; data: string; parent?: string; overwrite: boolean }): void {
  const refuse = (code: string, why: string) => {
    throw new TabtrainError(code, `--out ${out}: ${why}`, { path: out });
  };
  const folder = dirname(out);
  const dir = statOrNull(folder);
  if (!dir) refuse('out_folder_missing', `the folder ${folder} does not exist`);
  if (!dir!.isDirectory()) refuse('out_folder_missing', `${folder} is not a folder`);
  // A folder dataset is every file under it: a checkpoint written there would join the dataset
  // (and break or change it for the next resume).
  const data = statOrNull(o.data);
  const realFolder = (p: string) => {
    try {
      return realpathSync(p);
    } catch {
      return resolve(p);
    }
  };
  if (data?.isDirectory() && (realFolder(folder) + sep).startsWith(realFolder(o.data) + sep)) {
    refuse('out_is_input', `${out} is inside the --data folder ${o.data}; write the checkpoint outside it`);
  }
  const st = statOrNull(out);
  if (st) {
    if (st.isDirectory()) refuse('out_not_file', `${out} is a folder, not a file`);
    if (!st.isFile()) refuse('out_not_file', `${out} is not a regular file (a device, a pipe or a socket)`);
    if (sameFile(st, statOrNull(o.data))) refuse('out_is_input', `${out} is the --data file; write the checkpoint to another file`);
    const isParent = o.parent !== undefined && sameFile(st, statOrNull(o.parent));
    if (isParent && o.command === 'fresh') refuse('out_is_input', `${out} is the checkpoint fresh starts from; write the new run to another file`);
    if (!isParent && o.command !== 'resume' && !o.overwrite) refuse('out_exists', `${out} already exists; pass --overwrite to replace it`);
  }
  // Writable: create and remove the very temporary file the write will use.
  const tmp = tempPath(out, process.pid);
  try {
    closeSync(openSync(tmp, 'w', 0o644));
    unlinkSync(tmp);
  } catch (e) {
    refuse('out_unwritable', `cannot create a file in ${folder} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/** What a path that is not a regular file or folder is, for the message ("a character device"). */
function kindOf(st: Stats): string {
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * The bytes of a regular file, read only after its size (from stat) passed `maxBytes`. A device
 * (/dev/zero reads for ever), a FIFO (blocks for ever) or a socket is refused by name and never
 * opened for reading; the file is opened non-blocking and checked again on the open descriptor,
 * so a path swapped for a FIFO in between cannot block either. Reads exactly the size stat gave.
 */
function readRegularFile(path: string, st: Stats, maxBytes: number, refuse: (why: string) => never): Uint8Array {
  if (!st.isFile()) refuse(`${path} is ${kindOf(st)}, not a regular file, so it is not read; save the data to a file and pass that`);
  checkSize(st.size, maxBytes, path);
  let fd = -1;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    const now = fstatSync(fd);
    if (!now.isFile()) refuse(`${path} is ${kindOf(now)}, not a regular file, so it is not read`);
    checkSize(now.size, maxBytes, path);
    const out = new Uint8Array(now.size);
    let at = 0;
    while (at < out.length) {
      const n = readSync(fd, out, at, out.length - at, null);
      if (n === 0) break; // the file shrank while being read: what is there
      at += n;
    }
    return at === out.length ? out : out.subarray(0, at);
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}

/**
 * A data file, or a folder of images (paths relative to the folder's parent, so class folders
 * stay). Every file is stat'ed first: the total size and count are checked against the budgets
 * before anything is read, and a device, FIFO or socket anywhere is refused by name.
 */
export function readDataFiles(path: string, maxBytes: number = INPUT_LIMITS.bytes, maxFiles: number = INPUT_LIMITS.files): DataFile[] {
  const refuse = (why: string): never => {
    throw new DatasetError('not_a_regular_file', why, `file ${path}`, { file: path });
  };
  let st: Stats;
  try {
    st = statSync(path);
  } catch {
    throw new TabtrainError('file_not_found', `cannot read ${path}: no such file or folder`, { path });
  }
  if (!st.isDirectory()) return [{ path: basename(path), bytes: readRegularFile(path, st, maxBytes, refuse) }];
  const found: { full: string; st: Stats }[] = [];
  const root = dirname(path);
  const seen = new Set<string>(); // folders by device and inode: a symlink loop is walked once
  const walk = (dir: string, dst: Stats) => {
    const id = `${dst.dev}:${dst.ino}`;
    if (seen.has(id)) return;
    seen.add(id);
    for (const name of readdirSync(dir).sort()) {
      const full = join(dir, name);
      let fst: Stats;
      try {
        fst = statSync(full);
      } catch (e) {
        throw new TabtrainError('file_not_found', `cannot read ${full} in the --data folder (${(e as NodeJS.ErrnoException).code ?? 'unreadable'}: a broken link?); remove it from the folder`, { path: full });
      }
      if (fst.isDirectory()) walk(full, fst);
      else {
        if (!fst.isFile()) refuse(`${full} is ${kindOf(fst)}, not a regular file, so it is not read; remove it from the folder`);
        found.push({ full, st: fst });
        // checked as the walk goes too: a folder of millions of files is not listed whole first
        if (found.length > maxFiles) checkInputFiles(found.map((f) => ({ path: f.full, size: 0 })), path, { limits: { files: maxFiles } });
      }
    }
  };
  walk(path, st);
  checkInputFiles(found.map((f) => ({ path: f.full, size: f.st.size })), path, { maxBytes, limits: { files: maxFiles } });
  return found.map((f) => ({ path: relative(root, f.full), bytes: readRegularFile(f.full, f.st, maxBytes, refuse) }));
}

/** The bytes of a checkpoint file; the message names the file once (callers do not prefix it). */
export function readCkptFile(path: string): Uint8Array {
  const st = statOrNull(path);
  if (!st) throw new TabtrainError('file_not_found', `cannot read checkpoint ${path}: no such file`, { path });
  if (st.isDirectory()) throw new TabtrainError('not_a_checkpoint', `${path} is a folder, not a tabtrain checkpoint (.ckpt)`, { path });
  const refuse = (why: string): never => {
    throw new TabtrainError('not_a_checkpoint', why.replace(/; save the data.*$/, ''), { path });
  };
  const max = INPUT_LIMITS.checkpointBytes;
  if (st.isFile() && st.size > max) {
    throw new TabtrainError('checkpoint_too_large', `${path} is ${formatBytes(st.size)}, over the ${formatBytes(max)} limit for a checkpoint, so it is not read; is it the right file?`, { path, value: st.size, limit: max });
  }
  try {
    return readRegularFile(path, st, max, refuse);
  } catch (e) {
    if (e instanceof TabtrainError) throw e;
    throw new TabtrainError('file_unreadable', `cannot read checkpoint ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { path });
  }
}

/**
 * Whether `bytes` can be a .ckpt at all: a safetensors file is an 8-byte header length and a
 * JSON header starting with '{'. A CSV, a text or an image fails this, and is then named as "not a
 * checkpoint" rather than by a decoder detail ("header length ... exceeds file size"); a damaged
 * checkpoint passes and gets the decoder's precise message.
 */
export function looksLikeCkpt(bytes: Uint8Array): boolean {
  return bytes.length > 8 && bytes[8] === 0x7b;
}
