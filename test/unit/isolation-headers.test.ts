// The cross-origin isolation headers are the same wherever the app is served: Vite's dev server
// and preview (vite.config.ts) and static hosts reading public/_headers. The browser tests check
// that the served pages are isolated (test/browser/wasm-threads.test.ts).
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import config from '../../vite.config';

const WANT = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

/** The headers public/_headers gives every path (`/*`), as name -> value. */
function staticHostHeaders(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  let inAll = false;
  for (const line of text.split('\n')) {
    if (!line.trim() || line.trim().startsWith('#')) continue;
    if (!/^\s/.test(line)) {
      inAll = line.trim() === '/*';
      continue;
    }
    const m = /^\s+([^:]+):\s*(.*)$/.exec(line);
    if (inAll && m) out[m[1].trim()] = m[2].trim();
  }
  return out;
}

it('dev server and preview send COOP same-origin and COEP require-corp', () => {
  expect(config.server?.headers).toEqual(WANT);
  expect(config.preview?.headers).toEqual(WANT);
});

it('public/_headers gives static hosts the same headers for every path', () => {
  expect(staticHostHeaders(readFileSync('public/_headers', 'utf8'))).toEqual(WANT);
});
