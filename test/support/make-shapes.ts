// Generates public/samples/shapes.zip: 16x16 PNGs of circles, squares and crosses in one
// folder per class, with seeded random size, position and colour. Run: npx tsx test/support/make-shapes.ts
import { writeFileSync } from 'node:fs';
import { encode } from 'fast-png';
import { zipSync } from 'fflate';
import { Rng } from '../../src/engine/rng';

const S = 16;
const rng = Rng.fromSeed(2026);
const files: Record<string, Uint8Array> = {};
for (const cls of ['circle', 'cross', 'square']) {
  for (let i = 0; i < 40; i++) {
    const data = new Uint8Array(S * S * 3);
    const bg = 20 + rng.nextInt(40);
    const fg = [120 + rng.nextInt(135), 120 + rng.nextInt(135), 120 + rng.nextInt(135)];
    const r = 3 + rng.nextInt(3);
    const cx = r + 1 + rng.nextInt(S - 2 * r - 2);
    const cy = r + 1 + rng.nextInt(S - 2 * r - 2);
    for (let y = 0; y < S; y++) {
      for (let x = 0; x < S; x++) {
        const dx = x - cx;
        const dy = y - cy;
        const on =
          cls === 'circle' ? Math.abs(Math.hypot(dx, dy) - r) < 0.8 : cls === 'square' ? Math.max(Math.abs(dx), Math.abs(dy)) === r : (Math.abs(dx) <= 0 || Math.abs(dy) <= 0) && Math.max(Math.abs(dx), Math.abs(dy)) <= r;
        const p = (y * S + x) * 3;
        for (let c = 0; c < 3; c++) data[p + c] = on ? fg[c] : bg + rng.nextInt(10);
      }
    }
    files[`shapes/${cls}/${String(i).padStart(2, '0')}.png`] = encode({ width: S, height: S, data, channels: 3, depth: 8 });
  }
}
writeFileSync('public/samples/shapes.zip', zipSync(files, { level: 9, mtime: new Date('2026-01-01T00:00:00Z') }));
console.log(`wrote public/samples/shapes.zip with ${Object.keys(files).length} images`);
