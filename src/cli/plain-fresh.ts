// `tabtrain fresh WEIGHTS.safetensors`: the CLI side of starting from a plain safetensors file
// (no tabtrain metadata; ckpt/plain.ts reads it, engine/plain-fresh.ts fits it to a model).
// Only reached when the strict .ckpt decoder said the file is safetensors but not a .ckpt
// (wrong_format): a damaged .ckpt keeps the decoder's own reason.
import { decodePlainSafetensors, PLAIN_NAME_RE, type PlainWeights } from '../ckpt/plain';
import { TabtrainError, withPrefix } from '../errors';
import { looksLikeCkpt, readCkptFile } from './files';

/**
 * The file's weights, every tensor named `model.<path>` (refused before any data is read
 * otherwise). `notCkpt`, the .ckpt decoder's wrong_format, is what is said for a file that is not
 * safetensors at all (a CSV): "not a tabtrain checkpoint" reads better than a header detail.
 */
export function readPlainWeights(path: string, notCkpt: unknown): PlainWeights {
  const bytes = readCkptFile(path); // its errors name the file already
  if (!looksLikeCkpt(bytes)) throw notCkpt;
  let w: PlainWeights;
  try {
    w = decodePlainSafetensors(bytes);
  } catch (e) {
    throw withPrefix(e, `${path}: `);
  }
  const foreign = w.tensors.map((t) => t.name).filter((n) => !PLAIN_NAME_RE.test(n));
  if (foreign.length) {
    const shown = foreign.length > 8 ? `${foreign.slice(0, 8).map((n) => JSON.stringify(n).slice(0, 60)).join(', ')}, ... (${foreign.length} in all)` : foreign.map((n) => JSON.stringify(n).slice(0, 60)).join(', ');
    throw new TabtrainError('unknown_tensors', `${path} is neither a tabtrain checkpoint nor weights named model.<path> in tabtrain's layout: unknown tensor names ${shown} (see docs/cli.md "fresh from plain weights")`, { path });
  }
  if (!w.tensors.length) throw new TabtrainError('unknown_tensors', `${path} has no tensors`, { path });
  return w;
}
