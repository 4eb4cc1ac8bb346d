// Safety copies in the Origin Private File System (docs/storage.md "A real full disk").
//
// Why: on a real full disk Chromium's IndexedDB (LevelDB) fails a write with an I/O error, and
// the next time the profile opens it deletes and recreates the origin's database: every run,
// checkpoint and dataset went (reproduced in test/browser/full-disk.test.ts). Files in the
// Origin Private File System are kept apart from that database and survive it. So the store
// keeps, beside IndexedDB, one file per run (its newest complete checkpoint, with the run record
// and the checkpoint's metadata) and one file per dataset (its record and raw files), and
// `recoverFromVault` puts back into IndexedDB whatever the database lost.
//
// Each file is written with createWritable(): Chromium writes to a swap file and replaces the
// old file only on close(), so a write that fails (the disk is full) leaves the previous copy
// whole. A copy is written after its IndexedDB transaction committed, so it never holds
// anything IndexedDB refused. Where OPFS is missing (Node, old browsers) every call is a no-op.
//
// File layout: [u32 LE n][n bytes of JSON header][payload]; the header holds an xxHash32 of the
// payload, checked before anything is restored.

import type { DataFile } from '../engine/data/types';
import type { DatasetRecord, RunRecord, StoredMeta } from './db';
import { checksumOf } from './xxh32';

const ROOT = 'tabtrain-vault';

export interface VaultRun {
  run: RunRecord;
  meta: StoredMeta;
  bytes: Uint8Array;
}

export interface VaultDataset {
  record: DatasetRecord;
  files: DataFile[];
}

type Dir = FileSystemDirectoryHandle;

async function rootDir(dbName: string, create: boolean): Promise<Dir | null> {
  const storage = (globalThis.navigator as Navigator | undefined)?.storage;
  if (!storage || typeof storage.getDirectory !== 'function') return null;
  try {
    const top = await (await storage.getDirectory()).getDirectoryHandle(ROOT, { create });
    return await top.getDirectoryHandle(encodeURIComponent(dbName), { create });
  } catch (e) {
    if (!create && (e as DOMException)?.name === 'NotFoundError') return null;
    throw e;
  }
}

async function sub(dbName: string, name: 'runs' | 'datasets', create: boolean): Promise<Dir | null> {
  const root = await rootDir(dbName, create);
  if (!root) return null;
  try {
    return await root.getDirectoryHandle(name, { create });
  } catch (e) {
    if (!create && (e as DOMException)?.name === 'NotFoundError') return null;
    throw e;
  }
}

/** A file name from an id: ids are UUIDs and hex hashes, but a name must never be a path. */
const fileName = (id: string) => `${encodeURIComponent(id)}.bin`;

function pack(header: object, payload: Uint8Array[]): Blob {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const n = new Uint8Array(4);
  new DataView(n.buffer).setUint32(0, json.byteLength, true);
  return new Blob([n, json, ...payload] as BlobPart[]);
}

function unpack(buf: Uint8Array): { header: Record<string, unknown>; payload: Uint8Array } | null {
  if (buf.byteLength < 4) return null;
  const n = new DataView(buf.buffer, buf.byteOffset, 4).getUint32(0, true);
  if (4 + n > buf.byteLength) return null;
  try {
    const header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(4, 4 + n))) as Record<string, unknown>;
    const payload = buf.subarray(4 + n);
    if (typeof header !== 'object' || header === null || header.sum !== checksumOf(payload)) return null;
    return { header, payload };
  } catch {
    return null;
  }
}

async function write(dir: Dir, name: string, blob: Blob): Promise<void> {
  const w = await (await dir.getFileHandle(name, { create: true })).createWritable();
  try {
    await w.write(blob);
    await w.close();
  } catch (e) {
    await w.abort().catch(() => undefined);
    throw e;
  }
}

async function remove(dir: Dir | null, name: string): Promise<void> {
  if (!dir) return;
  try {
    await dir.removeEntry(name);
  } catch (e) {
    if ((e as DOMException)?.name !== 'NotFoundError') throw e;
  }
}

/** Replaces the run's safety copy with this checkpoint (its newest complete save). */
export async function vaultCheckpoint(dbName: string, run: RunRecord, meta: StoredMeta, bytes: Uint8Array): Promise<void> {
  const dir = await sub(dbName, 'runs', true);
  if (!dir) return;
  await write(dir, fileName(run.id), pack({ v: 1, run, meta, sum: checksumOf(bytes) }, [bytes]));
}

/** Stores the dataset's safety copy. */
export async function vaultDataset(dbName: string, record: DatasetRecord, files: DataFile[]): Promise<void> {
  const dir = await sub(dbName, 'datasets', true);
  if (!dir) return;
  const sizes = files.map((f) => ({ path: f.path, bytes: f.bytes.byteLength }));
  const all = new Uint8Array(sizes.reduce((a, f) => a + f.bytes, 0));
  let at = 0;
  for (const f of files) {
    all.set(f.bytes, at);
    at += f.bytes.byteLength;
  }
  await write(dir, fileName(record.hash), pack({ v: 1, record, files: sizes, sum: checksumOf(all) }, [all]));
}

/** A deliberate delete: the run's copy goes too, so recovery never brings it back. */
export async function vaultForgetRun(dbName: string, runId: string): Promise<void> {
  await remove(await sub(dbName, 'runs', false), fileName(runId));
}

export async function vaultForgetDataset(dbName: string, hash: string): Promise<void> {
  await remove(await sub(dbName, 'datasets', false), fileName(hash));
}

/** A deleted checkpoint that is the run's copy: the copy goes (the run keeps its record in IndexedDB). */
export async function vaultForgetCheckpoint(dbName: string, runId: string, checkpointId: string): Promise<void> {
  const dir = await sub(dbName, 'runs', false);
  const held = dir && (await readOne(dir, fileName(runId)));
  if (held && (held.header.meta as StoredMeta)?.id === checkpointId) await remove(dir, fileName(runId));
}

async function readOne(dir: Dir, name: string): Promise<ReturnType<typeof unpack>> {
  try {
    const file = await (await dir.getFileHandle(name)).getFile();
    return unpack(new Uint8Array(await file.arrayBuffer()));
  } catch {
    return null;
  }
}

async function readAll(dir: Dir | null): Promise<{ name: string; entry: NonNullable<ReturnType<typeof unpack>> | null }[]> {
  if (!dir) return [];
  const out: { name: string; entry: NonNullable<ReturnType<typeof unpack>> | null }[] = [];
  for await (const [name, h] of (dir as unknown as { entries(): AsyncIterable<[string, FileSystemHandle]> }).entries()) {
    if (h.kind !== 'file' || !name.endsWith('.bin')) continue;
    out.push({ name, entry: await readOne(dir, name) });
  }
  return out;
}

/** Every safety copy that reads back whole; `damaged` names the files that do not (left in place). */
export async function readVault(dbName: string): Promise<{ runs: VaultRun[]; datasets: VaultDataset[]; damaged: string[] }> {
  const damaged: string[] = [];
  const runs: VaultRun[] = [];
  for (const { name, entry } of await readAll(await sub(dbName, 'runs', false))) {
    if (!entry) damaged.push(`runs/${name}`);
    else runs.push({ run: entry.header.run as RunRecord, meta: entry.header.meta as StoredMeta, bytes: entry.payload });
  }
  const datasets: VaultDataset[] = [];
  for (const { name, entry } of await readAll(await sub(dbName, 'datasets', false))) {
    if (!entry) {
      damaged.push(`datasets/${name}`);
      continue;
    }
    let at = 0;
    const files = (entry.header.files as { path: string; bytes: number }[]).map((f) => {
      const bytes = entry.payload.slice(at, at + f.bytes);
      at += f.bytes;
      return { path: f.path, bytes };
    });
    datasets.push({ record: entry.header.record as DatasetRecord, files });
  }
  return { runs, datasets, damaged };
}
