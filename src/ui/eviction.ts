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
export function checkEviction(runs: { id: string; name: string }[], datasets: { hash: string; name: string }[], restored?: Restored): string | null {
  const known = read();
  const back = restoredText(restored);
  const runIds = new Set(runs.map((r) => r.id));
  const hashes = new Set(datasets.map((d) => d.hash));
  const lostRuns = Object.entries(known.runs).filter(([id]) => !runIds.has(id)).map(([, name]) => name);
  const lostData = Object.entries(known.datasets).filter(([h]) => !hashes.has(h)).map(([, name]) => name);
  write({ runs: Object.fromEntries(runs.map((r) => [r.id, r.name])), datasets: Object.fromEntries(datasets.map((d) => [d.hash, d.name])) });
  if (!lostRuns.length && !lostData.length) return back ? `The browser lost this site's database (a full disk does this). ${back}` : null;
  const parts: string[] = [];
  if (lostRuns.length) parts.push(`${lostRuns.length} run${lostRuns.length > 1 ? 's' : ''} with ${lostRuns.length > 1 ? 'their' : 'its'} checkpoints (${lostRuns.join(', ')})`);
  if (lostData.length) parts.push(`${lostData.length} stored dataset${lostData.length > 1 ? 's' : ''} (${lostData.join(', ')})`);
  return `The browser cleared this site's storage since your last visit: ${parts.join(' and ')} are gone.${back ? ` ${back}` : ''} Downloaded .ckpt files can be dropped here to continue; "Keep data persistent" asks the browser not to do this again.`;
}

/** What the start-up recovery put back from the safety copies (src/store/recover.ts). */
export interface Restored {
  runs: { name: string; step: number; kind: string }[];
  datasets: { name: string }[];
  damaged: string[];
  error?: string;
}

function restoredText(r: Restored | undefined): string {
  if (!r) return '';
  const parts: string[] = [];
  if (r.runs.length) parts.push(`Restored from safety copies: ${r.runs.map((x) => `${x.name} (its ${x.kind} checkpoint, step ${x.step}; older checkpoints of it are gone)`).join(', ')}.`);
  if (r.datasets.length) parts.push(`Restored dataset${r.datasets.length > 1 ? 's' : ''}: ${r.datasets.map((d) => d.name).join(', ')}.`);
  if (r.damaged.length) parts.push(`Damaged safety copies, not restored: ${r.damaged.join(', ')}.`);
  if (r.error) parts.push(`Restoring from the safety copies failed: ${r.error}.`);
  return parts.join(' ');
}

/** Keeps the list current while the page runs (new runs and datasets, deliberate deletes). */
export function rememberStored(runs: { id: string; name: string }[] | null, datasets: { hash: string; name: string }[] | null): void {
  const k = read();
  if (runs) k.runs = Object.fromEntries(runs.map((r) => [r.id, r.name]));
  if (datasets) k.datasets = Object.fromEntries(datasets.map((d) => [d.hash, d.name]));
  write(k);
}
