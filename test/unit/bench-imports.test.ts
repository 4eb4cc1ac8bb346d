// The bench's Node phases load in plain Node: nothing they import may reach the worker's
// browser-only modules (Vite `?url` imports of the wasm binaries). A full `npm run bench` once
// ran its browser phases for minutes and then died on the Node phase's import.
import { expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';

it('test/bench/node.ts and peers.ts import in Node (tsx, as npm run bench runs them)', () => {
  const code = "await import('./test/bench/node.ts'); await import('./test/bench/peers.ts'); console.log('loaded');";
  const out = execFileSync('npx', ['tsx', '--input-type=module', '-e', code], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  expect(out).toContain('loaded');
}, 120_000);
