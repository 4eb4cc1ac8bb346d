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

/**
 * Work on one run's copy, in order: a save's copy, a later save's copy, a delete. Saves do not
 * wait for their copy (the checkpoint is stored; its copy follows a moment later), so two
 * copies of one run could otherwise finish out of order, or a delete be undone by a copy still
 * being written.
 */
const queues = new Map<string, Promise<void>>();

function queued(dbName: string, runId: string, task: () => Promise<void>): Promise<void> {
  const k = `${dbName}\n${runId}`;
  const p = (queues.get(k) ?? Promise.resolve()).then(task);
  const settled = p.catch(() => undefined);
  queues.set(k, settled);
  void settled.then(() => {
    if (queues.get(k) === settled) queues.delete(k);
  });
  return p;
}

/** Resolves once every copy queued so far is written or has failed (tests; a clean shutdown). */
export async function copiesSettled(): Promise<void> {
  while (queues.size) await Promise.all(queues.values());
}

/** Replaces the run's safety copy with this checkpoint (its newest complete save), after the run's earlier copies. */
export function vaultCheckpoint(dbName: string, run: RunRecord, meta: StoredMeta, bytes: Uint8Array): Promise<void> {
  return queued(dbName, run.id, async () => {
    const dir = await sub(dbName, 'runs', true);
    if (!dir) return;
    // a body's metadata already holds this very checksum of these bytes (index.ts commit)
    await write(dir, fileName(run.id), pack({ v: 1, run, meta, sum: meta.checksum ?? checksumOf(bytes) }, [bytes]));
  });
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
export function vaultForgetRun(dbName: string, runId: string): Promise<void> {
  return queued(dbName, runId, async () => remove(await sub(dbName, 'runs', false), fileName(runId)));
}

export async function vaultForgetDataset(dbName: string, hash: string): Promise<void> {
  await remove(await sub(dbName, 'datasets', false), fileName(hash));
}

/** A deleted checkpoint that is the run's copy: the copy goes (the run keeps its record in IndexedDB). */
export function vaultForgetCheckpoint(dbName: string, runId: string, checkpointId: string): Promise<void> {
  return queued(dbName, runId, () => forgetIfHeld(dbName, runId, checkpointId));
}

async function forgetIfHeld(dbName: string, runId: string, checkpointId: string): Promise<void> {
  const dir = await sub(dbName, 'runs', false);
  if (!dir) return;
  let held: Awaited<ReturnType<typeof headerOf>> = null;
  try {
    held = await headerOf(await (await dir.getFileHandle(fileName(runId))).getFile());
  } catch (e) {
    if ((e as DOMException)?.name === 'NotFoundError') return;
    throw e;
  }
  if ((held?.header.meta as StoredMeta | undefined)?.id === checkpointId) await remove(dir, fileName(runId));
}

/** A copy's header, read alone (a few hundred bytes): recovery reads payloads only of what it restores. */
export interface VaultEntry {
  /** `runs/<file>` or `datasets/<file>`, for messages. */
  name: string;
  header: Record<string, unknown>;
  file: File;
  /** where the payload starts in the file. */
  at: number;
}

async function headerOf(file: File): Promise<{ header: Record<string, unknown>; at: number } | null> {
  if (file.size < 4) return null;
  const n = new DataView(await file.slice(0, 4).arrayBuffer()).getUint32(0, true);
  if (4 + n > file.size) return null;
  try {
    const header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(await file.slice(4, 4 + n).arrayBuffer())) as unknown;
    return typeof header === 'object' && header !== null && !Array.isArray(header) ? { header: header as Record<string, unknown>, at: 4 + n } : null;
  } catch {
    return null;
  }
}

/** The payload, or null when its checksum does not match the header's. */
export async function payloadOf(e: VaultEntry): Promise<Uint8Array | null> {
  const payload = new Uint8Array(await e.file.slice(e.at).arrayBuffer());
  return e.header.sum === checksumOf(payload) ? payload : null;
}

async function headers(dbName: string, kind: 'runs' | 'datasets', damaged: string[]): Promise<VaultEntry[]> {
  const dir = await sub(dbName, kind, false);
  if (!dir) return [];
  const out: VaultEntry[] = [];
  for await (const [name, h] of (dir as unknown as { entries(): AsyncIterable<[string, FileSystemHandle]> }).entries()) {
    if (h.kind !== 'file' || !name.endsWith('.bin')) continue;
    const file = await (h as FileSystemFileHandle).getFile();
    const head = await headerOf(file);
    if (head) out.push({ name: `${kind}/${name}`, file, ...head });
    else damaged.push(`${kind}/${name}`);
  }
  return out;
}

/** The headers of every safety copy; `damaged` names the files whose header does not read. */
export async function listVault(dbName: string): Promise<{ runs: VaultEntry[]; datasets: VaultEntry[]; damaged: string[] }> {
  const damaged: string[] = [];
  const runs = await headers(dbName, 'runs', damaged);
  const datasets = await headers(dbName, 'datasets', damaged);
  return { runs, datasets, damaged };
}

/** A run copy's contents (header + verified payload), or null when damaged. */
export async function readRunCopy(e: VaultEntry): Promise<VaultRun | null> {
  const bytes = await payloadOf(e);
  return bytes && { run: e.header.run as RunRecord, meta: e.header.meta as StoredMeta, bytes };
}

/** A dataset copy's contents, or null when damaged. */
export async function readDatasetCopy(e: VaultEntry): Promise<VaultDataset | null> {
  const payload = await payloadOf(e);
  if (!payload) return null;
  let at = 0;
  const files = (e.header.files as { path: string; bytes: number }[]).map((f) => {
    const bytes = payload.slice(at, at + f.bytes);
    at += f.bytes;
    return { path: f.path, bytes };
  });
  return { record: e.header.record as DatasetRecord, files };
}
