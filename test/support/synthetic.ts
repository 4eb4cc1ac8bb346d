// Small synthetic datasets for engine tests: built directly as typed arrays, so the engine's
// tests do not depend on the parsers (which have their own tests).
import { Rng } from '../../src/engine/rng';
import type { ImageDataset, TabularDataset, TextDataset } from '../../src/engine/data/types';

const fp = (sha: string, summary: string) => ({ sha256: sha.padEnd(64, '0'), summary, shape: {} });

export function tabular(rows = 96, features = 5, classes = 3, seed = 7): TabularDataset {
  const rng = Rng.fromSeed(seed);
  const x = new Float32Array(rows * features);
  const y = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    y[r] = r % classes;
    for (let f = 0; f < features; f++) x[r * features + f] = rng.nextNormal() + (f === y[r] ? 2 : 0);
  }
  return {
    kind: 'tabular', x, numRows: rows, numFeatures: features, featureNames: Array.from({ length: features }, (_, i) => `f${i}`),
    labelName: 'label', task: 'classification', y, classes: Array.from({ length: classes }, (_, i) => `c${i}`),
    dropped: [], notes: [], fingerprint: fp(`aa${rows}${classes}`, `synthetic ${rows}x${features}`),
  };
}

export function images(n = 48, size = 8, classes = 2, seed = 9): ImageDataset {
  const rng = Rng.fromSeed(seed);
  const x = new Float32Array(n * size * size);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % classes;
    for (let p = 0; p < size * size; p++) {
      const row = Math.floor(p / size);
      // class 0: bright top half, class 1: bright bottom half, plus noise
      const bright = y[i] === 0 ? row < size / 2 : row >= size / 2;
      x[i * size * size + p] = (bright ? 0.8 : 0.2) + 0.1 * rng.nextFloat();
    }
  }
  return {
    kind: 'image', x, numImages: n, height: size, width: size, channels: 1, y,
    classes: Array.from({ length: classes }, (_, i) => `k${i}`), notes: [], fingerprint: fp(`bb${n}`, `synthetic images ${n}`),
  };
}

export function text(chars = 1200): TextDataset {
  const base = 'the quick brown fox jumps over the lazy dog. ';
  const s = base.repeat(Math.ceil(chars / base.length)).slice(0, chars);
  const vocab = [...new Set(s)].sort();
  const ids = Int32Array.from(s, (c) => vocab.indexOf(c));
  return { kind: 'text', ids, vocab, notes: [], fingerprint: fp(`cc${chars}`, `synthetic text ${chars}`) };
}
