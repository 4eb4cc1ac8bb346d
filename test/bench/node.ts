// The Node part of the bench: the same engine on the tfjs CPU backend (the CLI's before wasm;
// peers.ts measures wasm), in this
// process. Checkpoints go to files (encode + write + rename, as the CLI's --out does).
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, rmSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeCkpt } from '../../src/ckpt/format';
import type { CkptContents } from '../../src/ckpt/types';
import { useBackend } from '../../src/engine/backend';
import { compareThroughput, log, scalingPoint, stepOverhead, tensorGrowth, type SaveImpl } from './measure';
import { DATA_SIZES, FAMILIES, MAIN, SIZES, TINY, type Family } from './models';
import { APP_POLICY } from './policy';
import type { BackendResults } from './report';

const errorOf = (e: unknown) => ({ error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });

export interface NodeOptions {
  quick: boolean;
  /** steady-state steps per side per round, by family. */
  stepsPerRound: Record<Family, number>;
  rounds: Record<Family, number>;
  growthSteps: number;
}

export async function runNode(o: NodeOptions): Promise<BackendResults> {
  const r = await useBackend('cpu');
  const out: BackendResults = { backend: tf.getBackend(), ok: r.ok, reason: r.reason, throughput: {}, scaling: [] };
  if (!r.ok) return out;
  const dir = mkdtempSync(join(tmpdir(), 'tabtrain-bench-'));
  const writeCkpt = async (bytes: Uint8Array, step: number) => {
    const file = join(dir, `run.ckpt`);
    await writeFile(`${file}.${step}.tmp`, bytes);
    await rename(`${file}.${step}.tmp`, file);
  };
  // encodeCkpt + an atomic file write, as the CLI does.
  const saveFile = async (contents: CkptContents, step: number) => {
    const bytes = await encodeCkpt(contents);
    await writeCkpt(bytes, step);
    return { bytes: bytes.byteLength };
  };
  const save: SaveImpl = async (contents) => saveFile(contents, 0);
  try {
    for (const f of FAMILIES) {
      log(`node cpu: throughput ${MAIN[f].label}`);
      try {
        out.throughput[f] = await compareThroughput(MAIN[f], { warmSteps: 10, rounds: o.rounds[f], stepsPerRound: o.stepsPerRound[f], withApp: true });
      } catch (e) {
        out.throughput[f] = errorOf(e);
      }
    }
    log('node cpu: the engine\'s own CPU cost per step (tiny model, tabtrain vs bare loop)');
    try {
      out.stepOverhead = await stepOverhead(o.quick ? 20 : 200);
    } catch (e) {
      out.stepOverhead = errorOf(e);
    }
    log(`node cpu: tensor growth over ${o.growthSteps} steps (${TINY.label}, app checkpoint policy, files)`);
    try {
      out.growth = await tensorGrowth(TINY, o.growthSteps, APP_POLICY, save);
    } catch (e) {
      out.growth = errorOf(e);
    }
    for (const f of FAMILIES) {
      const cases = [...SIZES[f], ...DATA_SIZES[f].map((d) => ({ ...MAIN[f], label: `${MAIN[f].label}, data ${d}`, dataSize: d }))];
      for (const c of o.quick ? cases.slice(0, 2) : cases) {
        log(`node cpu: scaling ${c.label}`);
        try {
          out.scaling!.push(await scalingPoint(c, 5, saveFile));
        } catch (e) {
          out.scaling!.push({ label: c.label, ...errorOf(e) });
        }
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}
