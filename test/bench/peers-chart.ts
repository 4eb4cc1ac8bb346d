// The chart of docs/performance.md: steps/s per side and workload from one bench run's peers
// (`peers` in Node, `browserPeers` in Chromium), as a self-contained SVG (no scripts). Log scale:
// the sides span three orders of magnitude on this machine. run.ts writes it next to
// latest.json; `npx tsx test/bench/peers-chart.ts [latest.json] [out.svg]` redraws it from a file.
import { readFileSync, writeFileSync } from 'node:fs';

type Side = { stepsPerSec?: number } | undefined;
type Peers = Record<string, Record<string, Side | unknown>>;

const SIDES: { where: 'peers' | 'browserPeers'; key: string; label: string; colour: string }[] = [
  { where: 'peers', key: 'tabtrainWasm', label: 'tabtrain CLI (wasm, Node)', colour: '#1f6feb' },
  { where: 'peers', key: 'tabtrainCpu', label: 'tabtrain CLI (cpu backend)', colour: '#7aa7f0' },
  { where: 'peers', key: 'jaxWasm', label: 'jax-js wasm (jit, Node)', colour: '#d1242f' },
  { where: 'peers', key: 'torchCpu', label: 'PyTorch 1.13 CPU', colour: '#8250df' },
  { where: 'browserPeers', key: 'tabtrainWasm', label: 'tabtrain page (wasm)', colour: '#0a3069' },
  { where: 'browserPeers', key: 'tabtrainWebgpu', label: 'tabtrain page (WebGPU, SwiftShader)', colour: '#2da44e' },
  { where: 'browserPeers', key: 'jaxWebgpu', label: 'jax-js WebGPU (jit, SwiftShader)', colour: '#bf8700' },
];

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

export function peersChart(results: { peers?: Peers; browserPeers?: Peers; startedAt?: string }): string {
  const rows: { workload: string; label: string; colour: string; v: number }[] = [];
  for (const w of ['A', 'B']) {
    for (const s of SIDES) {
      const v = (results[s.where]?.[w]?.[s.key] as Side)?.stepsPerSec;
      if (typeof v === 'number' && Number.isFinite(v) && v > 0) rows.push({ workload: w, label: s.label, colour: s.colour, v });
    }
  }
  const lo = Math.floor(Math.log10(Math.min(...rows.map((r) => r.v), 1)));
  const hi = Math.ceil(Math.log10(Math.max(...rows.map((r) => r.v), 10)));
  const [left, width, barH, gap] = [250, 420, 16, 4];
  const x = (v: number) => left + ((Math.log10(v) - lo) / (hi - lo)) * width;
  let y = 40;
  const parts: string[] = [];
  for (const w of ['A', 'B']) {
    const title = w === 'A' ? 'A: MLP 64-256-256-10, batch 256' : 'B: transformer ctx 64, d 64, 2 layers, 4 heads, batch 16';
    parts.push(`<text x="8" y="${y + 12}" font-weight="bold">${esc(title)}</text>`);
    y += 20;
    for (const r of rows.filter((q) => q.workload === w)) {
      parts.push(`<text x="${left - 6}" y="${y + 12}" text-anchor="end">${esc(r.label)}</text>`);
      parts.push(`<rect x="${left}" y="${y}" width="${Math.max(1, x(r.v) - left).toFixed(1)}" height="${barH}" fill="${r.colour}"/>`);
      parts.push(`<text x="${(x(r.v) + 4).toFixed(1)}" y="${y + 12}">${r.v >= 10 ? r.v.toFixed(1) : r.v.toPrecision(2)}</text>`);
      y += barH + gap;
    }
    y += 10;
  }
  const ticks: string[] = [];
  for (let p = lo; p <= hi; p++) {
    const tx = x(10 ** p).toFixed(1);
    ticks.push(`<line x1="${tx}" y1="30" x2="${tx}" y2="${y}" stroke="#ddd"/><text x="${tx}" y="${y + 14}" text-anchor="middle">${10 ** p >= 1 ? 10 ** p : (10 ** p).toFixed(-p)}</text>`);
  }
  const h = y + 24;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${left + width + 60}" height="${h}" font-family="sans-serif" font-size="11">
<title>Training steps per second per side (log scale), one npm run bench${results.startedAt ? ` at ${esc(results.startedAt)}` : ''}</title>
<rect width="100%" height="100%" fill="white"/>
<text x="8" y="16" font-size="13">Steps/s per side, log scale (2-core machine, no GPU: WebGPU is SwiftShader)</text>
${ticks.join('\n')}
${parts.join('\n')}
</svg>
`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [src = 'bench-results/latest.json', out = 'bench-results/peers.svg'] = process.argv.slice(2);
  writeFileSync(out, peersChart(JSON.parse(readFileSync(src, 'utf8'))));
  console.log(`wrote ${out}`);
}
