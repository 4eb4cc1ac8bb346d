// One error class for everything wrong with a .ckpt file, with a machine-readable code so the UI
// and the CLI can react (e.g. offer "fresh from weights" on unsupported_version) without parsing
// messages. Messages are one line, say what is wrong and where, and never echo more than a short,
// quoted excerpt of hostile input. The table of codes is in docs/ckpt-format.md.

export type CkptErrorCode =
  /** The file is shorter than the 8-byte header length prefix. */
  | 'truncated'
  /** The u64 header length is 0, beyond the file, or beyond the header cap. */
  | 'bad_header_length'
  /** The header is not UTF-8 JSON. */
  | 'bad_json'
  /** The header is JSON but not the expected shape (not an object, unknown/missing entry keys, padding). */
  | 'bad_header'
  /** A tensor's dtype is not one this build reads (F32, I32). */
  | 'unknown_dtype'
  /** data_offsets malformed or outside the data buffer. */
  | 'bad_offsets'
  /** Two tensors claim the same bytes. */
  | 'overlap'
  /** Unclaimed bytes between tensors. */
  | 'gap'
  /** Unclaimed bytes after the last tensor. */
  | 'trailing_bytes'
  /** A shape is malformed or disagrees with the tensor's byte size / element count. */
  | 'bad_shape'
  /** A tensor name is not `model.*` / `optim.*` over [A-Za-z0-9_.], or is duplicated. */
  | 'bad_name'
  /** Encoding only: a tensor's data is not the typed array its dtype needs. */
  | 'bad_tensor'
  /** No __metadata__, or its format is not tabtrain.ckpt (e.g. a plain safetensors file). */
  | 'wrong_format'
  /** The format version is not one this build reads. */
  | 'unsupported_version'
  /** The sha256 in the metadata does not match the header and data: the file is corrupted. */
  | 'integrity'
  /** __metadata__ has missing, unknown or non-string keys, or a malformed integrity value. */
  | 'bad_metadata'
  /** The state is not valid JSON / not a JSON object (decode), or not serialisable (encode). */
  | 'bad_state';

// The class is one kind of the tabtrain error family (src/errors.ts), where every kind is defined so
// it can be rebuilt on the far side of the worker boundary; imports from here keep working.
import { CkptError } from '../errors';
export { CkptError };

export function isCkptError(e: unknown): e is CkptError {
  return e instanceof CkptError;
}

/**
 * Quotes a value from a (possibly hostile) file for an error message: JSON-escaped, so control
 * characters and markup stay visible as text, and cut to a short excerpt so a 60 MB string
 * cannot become a 60 MB message.
 */
export function quote(value: unknown, max = 60): string {
  // Plain identifiers read best in single quotes ('state'); anything else is JSON-escaped.
  if (typeof value === 'string' && /^[A-Za-z0-9_.$-]{0,60}$/.test(value)) return `'${value}'`;
  let s: string;
  try {
    s = typeof value === 'string' ? JSON.stringify(value) : String(JSON.stringify(value));
  } catch {
    s = String(value);
  }
  return s.length > max ? `${s.slice(0, max)}...` : s;
}

/** A shape as the messages print it, e.g. [16,3]; long (hostile) shapes are cut short. */
export function formatShape(shape: readonly number[]): string {
  const s = `[${shape.join(',')}]`;
  return s.length > 80 ? `${s.slice(0, 80)}...]` : s;
}

/**
 * Index (UTF-16) of the first syntax error in a string JSON.parse rejected. A small iterative
 * JSON scanner (no recursion, so deep nesting cannot overflow the stack); linear in the input.
 */
export function jsonErrorIndex(s: string): number {
  const n = s.length;
  const stack: number[] = []; // 1 = object, 0 = array
  let i = 0;
  const ws = () => { while (i < n && ' \t\n\r'.includes(s[i]!)) i++; };
  const str = (): boolean => {
    if (s[i] !== '"') return false;
    for (i++; i < n; ) {
      const c = s.charCodeAt(i);
      if (c === 0x22) { i++; return true; }
      if (c < 0x20) return false;
      if (c !== 0x5c) { i++; continue; }
      if ('"\\/bfnrt'.includes(s[i + 1] ?? 'x')) i += 2;
      else if (s[i + 1] === 'u' && /^[0-9a-fA-F]{4}$/.test(s.slice(i + 2, i + 6))) i += 6;
      else return false;
    }
    return false;
  };
  const key = (): boolean => { ws(); if (!str()) return false; ws(); if (s[i] !== ':') return false; i++; return true; };
  const num = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
  for (;;) {
    ws(); // a value starts here
    const c = s[i];
    if (c === '{' || c === '[') {
      i++; ws();
      if (s[i] === (c === '{' ? '}' : ']')) i++;
      else { stack.push(c === '{' ? 1 : 0); if (c === '{' && !key()) return i; continue; }
    } else if (c === '"') { if (!str()) return i; }
    else if (s.startsWith('true', i) || s.startsWith('null', i)) i += 4;
    else if (s.startsWith('false', i)) i += 5;
    else { num.lastIndex = i; if (!num.test(s)) return i; i = num.lastIndex; }
    for (;;) { // after a value: close containers or move to the next element
      ws();
      if (stack.length === 0) return i; // trailing garbage (or, if i === n, nothing was wrong)
      const top = stack[stack.length - 1];
      if (s[i] === ',') { i++; if (top === 1 && !key()) return i; break; }
      if (s[i] === (top === 1 ? '}' : ']')) { i++; stack.pop(); continue; }
      return i;
    }
  }
}
