// Reference outputs of the TypeScript engine for the Python package's tests (python/tests): run by
// them through tsx, on the tfjs CPU backend. Only calls the engine; computes nothing itself.
//   tsx test/support/py-reference.ts families OUT_DIR   per family: FAMILY.before.ckpt (a run a few
//        steps in, mid-epoch), FAMILY.after.ckpt (one step later), FAMILY.data.json (the dataset),
//        FAMILY.logits.json (eval-mode logits of the before-checkpoint on a few samples); and
//        order.json: a cursor's sample order over two epochs from a mid-epoch position, with the
//        dropout seed drawn at every step
//   tsx test/support/py-reference.ts parse FILE OUT.json [FILE OUT.json ...]   the dataset
//        tabtrain's parser makes of each FILE (a file or a folder, as the CLI reads --data)
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { encodeCkpt } from '../../src/ckpt/format';
import { makeConfig, type ConfigOverrides } from '../../src/engine/config';
import { Cursor } from '../../src/engine/cursor';
import type { Dataset } from '../../src/engine/data/types';
import { uploadDataset } from '../../src/engine/device-data';
import { positionsOf } from '../../src/engine/models';
import { Rng } from '../../src/engine/rng';
import { parseDataset } from '../../src/engine/data';
import type { ParseOptions } from '../../src/engine/data/types';
import { readDataFiles } from '../../src/cli/files';
import { Trainer } from '../../src/engine/trainer';
import { images, tabular, text } from './synthetic';

/**
 * One configuration per family, together covering every optimizer, dropout, clipping, a decaying
 * schedule and freezing. charlm uses SGD: its attention key bias has a gradient that is zero in
 * exact arithmetic, so Adam's and Lion's normalised updates turn float rounding noise into full
 * steps of either sign (docs/python.md "Numerical contract").
 */
const CASES: { family: string; ds: () => Dataset; o: ConfigOverrides }[] = [
  { family: 'mlp', ds: () => tabular(40, 5, 3), o: { hidden: [8, 6], dropout: 0.25, optimizer: 'lion', batchSize: 6, schedule: 'cosine', warmupSteps: 2, steps: 30, clipNorm: 0.5 } },
  { family: 'cnn', ds: () => images(24, 8, 2), o: { filters: [3, 4], hidden: [5], dropout: 0.2, optimizer: 'adamw', weightDecay: 0.05, batchSize: 4, steps: 30 } },
  { family: 'charlm', ds: () => text(400), o: { contextLength: 8, dModel: 8, numHeads: 2, numLayers: 1, dropout: 0.1, optimizer: 'sgd', momentum: 0.9, weightDecay: 0.01, batchSize: 4, steps: 30, freeze: ['pos_emb'] } },
  { family: 'resnet', ds: () => images(24, 8, 2), o: { filters: [3, 4], blocks: 1, dropout: 0.1, optimizer: 'adamw', batchSize: 4, steps: 30, schedule: 'step', scheduleSteps: 2 } },
];

const BEFORE = 3;

function dataJson(ds: Dataset): unknown {
  if (ds.kind === 'text') return { kind: 'text', ids: Array.from(ds.ids), vocab: ds.vocab, fingerprint: ds.fingerprint };
  if (ds.kind === 'image') return { kind: 'image', x: Array.from(ds.x), y: Array.from(ds.y), numImages: ds.numImages, height: ds.height, width: ds.width, channels: ds.channels, classes: ds.classes, fingerprint: ds.fingerprint };
  return { kind: 'tabular', x: Array.from(ds.x), y: Array.from(ds.y), numRows: ds.numRows, numFeatures: ds.numFeatures, task: ds.task, classes: ds.classes, fingerprint: ds.fingerprint };
}

async function families(out: string): Promise<void> {
  for (const c of CASES) {
    const ds = c.ds();
    const t = Trainer.create({ config: makeConfig(ds, { family: c.family as ConfigOverrides['family'], ...c.o }), dataset: ds, runId: `ref-${c.family}` });
    await t.train({ target: { steps: BEFORE } });
    writeFileSync(join(out, `${c.family}.before.ckpt`), await encodeCkpt(await t.snapshot('latest')));
    // eval-mode logits on the first samples of the dataset
    const ids = Int32Array.from({ length: 3 }, (_, i) => i);
    const data = uploadDataset(ds, positionsOf(t.config.model));
    const { x } = data.batch(ids);
    const logits = t.model.forward(t.modelTensors, x, { training: false, dropoutSeed: 0 });
    writeFileSync(join(out, `${c.family}.logits.json`), JSON.stringify({ sampleIds: Array.from(ids), shape: logits.shape, logits: Array.from(await logits.data()) }));
    tf.dispose([x, logits]);
    data.dispose();
    t.stepOnce();
    writeFileSync(join(out, `${c.family}.after.ckpt`), await encodeCkpt(await t.snapshot('latest')));
    writeFileSync(join(out, `${c.family}.data.json`), JSON.stringify(dataJson(ds)));
    t.dispose();
  }
}

/** As the trainer walks: a new run's cursor, some steps into epoch 0, then two more epochs. */
function order(outFile: string): void {
  const numTrain = 23;
  const batch = 5;
  const rng = Rng.fromSeed(42);
  const cursor = Cursor.start(rng, numTrain);
  cursor.next(batch, rng);
  rng.nextU32();
  cursor.next(batch, rng);
  rng.nextU32();
  const start = { cursor: cursor.state, rng: rng.state };
  const steps: { positions: number[]; dropoutSeed: number; epoch: number; index: number }[] = [];
  while (cursor.epoch < 3) {
    const positions = Array.from(cursor.next(batch, rng));
    steps.push({ positions, dropoutSeed: rng.nextU32(), epoch: cursor.epoch, index: cursor.index });
  }
  writeFileSync(outFile, JSON.stringify({ numTrain, batch, start, steps }));
}

const [cmd, out, ...rest] = process.argv.slice(2);
await tf.setBackend('cpu');
tf.enableProdMode();
if (cmd === 'families' && out) {
  await families(out);
  order(join(out, 'order.json'));
} else if (cmd === 'parse' && out && rest.length % 2 === 1) {
  // as the CLI reads --data (a file, or a folder of class folders), with --image-size/--channels from PARSE_OPTIONS
  const opts = JSON.parse(process.env.PARSE_OPTIONS ?? '{}') as ParseOptions;
  const pairs = [out, ...rest];
  for (let i = 0; i < pairs.length; i += 2) {
    const ds = await parseDataset(readDataFiles(pairs[i]!), opts);
    writeFileSync(pairs[i + 1]!, JSON.stringify({ ...(dataJson(ds) as object), featureNames: ds.kind === 'tabular' ? ds.featureNames : undefined }));
  }
}
else {
  process.stderr.write('usage: tsx test/support/py-reference.ts families OUT_DIR | parse FILE OUT.json [FILE OUT.json ...]\n');
  process.exit(2);
}
