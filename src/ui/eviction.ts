// Noticing that the browser cleared this site's IndexedDB (eviction under disk pressure, or
// "clear site data" for storage only). A small list of what was stored is kept in localStorage,
// which Chrome does not evict with IndexedDB; on load, whatever is listed but gone is reported.
// If all site data was cleared, the list went too: then there is nothing to report, by design.

const KEY = 'tabtrain.known';

interface Known {
  runs: Record<string, string>;
  datasets: Record<string, string>;
}

function read(): Known {
  try {
    const v = JSON.parse(localStorage.getItem(KEY) ?? '{}') as Partial<Known>;
    return { runs: v.runs ?? {}, datasets: v.datasets ?? {} };
  } catch {
    return { runs: {}, datasets: {} };
  }
}

function write(k: Known): void {
  try {
    localStorage.setItem(KEY, JSON.stringify(k));
  } catch {
    /* storage blocked or full: the check is best-effort */
  }
}

/**
 * Compares what is stored now with what was stored last time. Returns a message naming what
 * was lost (or null), and remembers the current contents.
 */
export function checkEviction(runs: { id: string; name: string }[], datasets: { hash: string; name: string }[]): string | null {
  const known = read();
  const runIds = new Set(runs.map((r) => r.id));
  const hashes = new Set(datasets.map((d) => d.hash));
  const lostRuns = Object.entries(known.runs).filter(([id]) => !runIds.has(id)).map(([, name]) => name);
  const lostData = Object.entries(known.datasets).filter(([h]) => !hashes.has(h)).map(([, name]) => name);
  write({ runs: Object.fromEntries(runs.map((r) => [r.id, r.name])), datasets: Object.fromEntries(datasets.map((d) => [d.hash, d.name])) });
  if (!lostRuns.length && !lostData.length) return null;
  const parts: string[] = [];
  if (lostRuns.length) parts.push(`${lostRuns.length} run${lostRuns.length > 1 ? 's' : ''} with ${lostRuns.length > 1 ? 'their' : 'its'} checkpoints (${lostRuns.join(', ')})`);
  if (lostData.length) parts.push(`${lostData.length} stored dataset${lostData.length > 1 ? 's' : ''} (${lostData.join(', ')})`);
  return `The browser cleared this site's storage since your last visit: ${parts.join(' and ')} are gone. Downloaded .ckpt files can be dropped here to continue; "Keep data persistent" asks the browser not to do this again.`;
}

/** Keeps the list current while the page runs (new runs and datasets, deliberate deletes). */
export function rememberStored(runs: { id: string; name: string }[] | null, datasets: { hash: string; name: string }[] | null): void {
  const k = read();
  if (runs) k.runs = Object.fromEntries(runs.map((r) => [r.id, r.name]));
  if (datasets) k.datasets = Object.fromEntries(datasets.map((d) => [d.hash, d.name]));
  write(k);
}
