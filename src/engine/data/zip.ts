// .zip archives -> DataFile list. fflate's unzipSync keeps this identical in a worker and in
// Node (its async unzip spawns sub-workers from blob: URLs, which a strict CSP forbids). The
// filter skips macOS resource forks, dot-files and folders before inflating anything, and the
// size budget is checked on the sizes the archive declares, so a zip bomb is refused before it
// is inflated.
import { unzipSync } from 'fflate';
import { DatasetError, checkSize, formatBytes } from './errors';
import type { DataFile } from './types';

/** Forward slashes, no leading "./" or "/": the same path whether from a zip, Windows or a drop. */
export function normalisePath(path: string): string {
  return path.replace(/\\/g, '/').replace(/^(\.\/|\/)+/, '');
}

/** Entries nobody meant as data: macOS metadata, hidden files, Windows thumbnails. */
export function isJunkPath(path: string): boolean {
  const parts = normalisePath(path).split('/');
  const base = parts[parts.length - 1]!.toLowerCase();
  return parts.some((p) => p === '__MACOSX' || p.startsWith('.')) || base === 'thumbs.db' || base === 'desktop.ini';
}

export function unzipFiles(bytes: Uint8Array, name: string, maxBytes: number): DataFile[] {
  let declared = 0;
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes, {
      filter: (f) => {
        if (f.name.endsWith('/') || isJunkPath(f.name)) return false;
        declared += f.originalSize;
        checkSize(declared, maxBytes, `${name} (uncompressed)`);
        return true;
      },
    });
  } catch (e) {
    if (e instanceof DatasetError) throw e;
    const why = e instanceof Error ? e.message : String(e);
    throw new DatasetError('bad-zip', `${name} is not a readable zip file (${why}): it may be cut short or damaged; zip the folder again`, `file ${name}`);
  }
  const files = Object.entries(entries).map(([path, data]) => ({ path: normalisePath(path), bytes: data }));
  const total = files.reduce((s, f) => s + f.bytes.length, 0);
  // Declared sizes can lie; the inflated total is what memory actually holds.
  if (total > maxBytes) {
    throw new DatasetError('too-large', `${name} unpacks to ${formatBytes(total)}, over the ${formatBytes(maxBytes)} limit`);
  }
  return files;
}
