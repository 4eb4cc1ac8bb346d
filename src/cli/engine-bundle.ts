// Everything the CLI takes from the engine, imported in one place so main.ts can load it
// lazily (after muting tfjs' import-time console advice).
export * as tf from '@tensorflow/tfjs';
import '../engine/wasm';
export { useBackend } from '../engine/backend';
export { decodeCkpt, encodeCkpt } from '../ckpt/format';
export { makeConfig } from '../engine/config';
export { parseDataset } from '../engine/data';
export { freshSession, resumeConfig, resumeSession, runSession } from '../engine/session';
export { plainFreshSession } from '../engine/plain-fresh';
export { validateState } from '../engine/state';
export { Trainer } from '../engine/trainer';
export { freshReportLines, parentEncoding } from '../engine/fresh';
export { Predictor } from '../engine/predict';
export { readCsvColumns, unzipFiles, DEFAULT_MAX_BYTES, isImagePath, isJunkPath, decodeImagesChecked } from '../engine/data';
