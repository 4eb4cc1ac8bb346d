// encodeCkpt/decodeCkpt: round trips (byte-exact), the file layout, and every decoder error
// provoked on purpose with its code and message.

import { describe, expect, it } from 'vitest';
import { CkptError, type CkptErrorCode } from '../../src/ckpt/errors';
import { decodeCkpt, encodeCkpt, MAX_HEADER_BYTES } from '../../src/ckpt/format';
import type { CkptContents, CkptTensor } from '../../src/ckpt/types';
import { craft, diffContents, expectCkptError, type Header, mediumContents, smallContents, splitCkpt, xorshift } from './ckpt-testutil';

async function roundTrip(c: CkptContents): Promise<CkptContents> {
  const bytes = await encodeCkpt(c);
  const back = await decodeCkpt(bytes);
  expect(diffContents(c, back)).toBeNull();
  return back;
}

/** A valid small file, split for editing: tests change the header and re-craft it. */
async function parts(): Promise<{ header: Header; data: Uint8Array; meta: Record<string, string> }> {
  const { header, data } = splitCkpt(await encodeCkpt(smallContents()));
  return { header, data, meta: header.__metadata__ as Record<string, string> };
}

function entry(h: Header, name: string): Record<string, unknown> {
  return h[name] as Record<string, unknown>;
}

describe('round trip', () => {
  it('keeps F32 and I32 data byte-exact, including NaN payloads, -0, infinities and subnormals', async () => {
    const bits = new Uint32Array([0x7fc00000, 0x7fc00001, 0xffffffff, 0x7f800001, 0x80000000, 0x7f800000, 0xff800000, 0x00000001, 0x3f800000]);
    const c: CkptContents = {
      state: { step: 1 },
      tensors: [
        { name: 'model.f', dtype: 'F32', shape: [3, 3], data: new Float32Array(bits.buffer) },
        { name: 'model.i', dtype: 'I32', shape: [4], data: new Int32Array([-2147483648, 2147483647, 0, -1]) },
      ],
    };
    const back = await roundTrip(c);
    expect(Array.from(new Uint32Array(back.tensors[0]!.data.buffer))).toEqual(Array.from(bits));
    expect(Object.is(back.tensors[0]!.data[4], -0)).toBe(true);
    expect(back.tensors[1]!.data).toBeInstanceOf(Int32Array);
  });

  it('handles scalars, empty tensors with a 0 dim, and zero tensors', async () => {
    await roundTrip({
      state: {},
      tensors: [
        { name: 'model.scalar', dtype: 'F32', shape: [], data: new Float32Array([Math.PI]) },
        { name: 'model.empty', dtype: 'F32', shape: [0], data: new Float32Array(0) },
        { name: 'model.empty2', dtype: 'I32', shape: [3, 0, 2], data: new Int32Array(0) },
        { name: 'optim.after_empty', dtype: 'I32', shape: [], data: new Int32Array([5]) },
      ],
    });
    await roundTrip({ state: { only: 'state' }, tensors: [] });
  });

  it('handles many tensors in the given order', async () => {
    const back = await roundTrip(mediumContents(3, 300));
    expect(back.tensors.map((t) => t.name)).toEqual(mediumContents(3, 300).tensors.map((t) => t.name));
  });

  it('keeps the state JSON (unicode, escapes, nesting)', async () => {
    const state = { s: 'é ✓ 😀 "q" \\ \n\t\u0001 \u2028', n: [1.5, -0.25, 1e300], o: { a: null, b: [true, false] } };
    const back = await roundTrip({ state, tensors: [] });
    expect(back.state).toEqual(state);
  });

  it('writes a safetensors layout: aligned, contiguous, exact metadata keys', async () => {
    const c = mediumContents();
    const bytes = await encodeCkpt(c);
    const { header, headerText, data } = splitCkpt(bytes);
    expect((8 + Buffer.byteLength(headerText)) % 8).toBe(0);
    expect(headerText).toMatch(/^\{.*\} *$/s);
    expect(Object.keys(header.__metadata__ as object)).toEqual(['format', 'version', 'state', 'integrity']);
    expect(header.__metadata__).toMatchObject({ format: 'tabtrain.ckpt', version: '1', state: JSON.stringify(c.state) });
    let at = 0;
    for (const t of c.tensors) {
      const e = entry(header, t.name);
      expect(e).toEqual({ dtype: t.dtype, shape: t.shape, data_offsets: [at, at + t.data.byteLength] });
      expect(Buffer.compare(data.subarray(at, at + t.data.byteLength), new Uint8Array(t.data.buffer))).toBe(0);
      at += t.data.byteLength;
    }
    expect(at).toBe(data.length);
  });

  it('is deterministic and does not touch its input', async () => {
    const c = smallContents();
    const a = await encodeCkpt(c);
    expect(diffContents(c, smallContents())).toBeNull();
    expect(Buffer.compare(a, await encodeCkpt(smallContents()))).toBe(0);
  });

  it('copies data out of an unaligned input and does not alias it', async () => {
    const bytes = await encodeCkpt(smallContents());
    const big = new Uint8Array(bytes.length + 3);
    big.set(bytes, 3);
    const input = big.subarray(3);
    const back = await decodeCkpt(input);
    expect(diffContents(smallContents(), back)).toBeNull();
    for (const t of back.tensors) {
      expect(t.data.buffer).not.toBe(big.buffer);
      expect(t.data.byteOffset).toBe(0);
    }
    big.fill(0);
    expect(diffContents(smallContents(), back)).toBeNull();
  });

  it('accepts a Node Buffer (its slice() is a view into a shared pool)', async () => {
    const pooled = Buffer.from(await encodeCkpt(smallContents())); // small: lands in the pool
    expect(pooled.buffer.byteLength).toBeGreaterThan(pooled.length);
    const back = await decodeCkpt(pooled);
    expect(diffContents(smallContents(), back)).toBeNull();
    for (const t of back.tensors) expect(t.data.buffer.byteLength).toBe(t.data.byteLength);
  });

  it('encodes tensors that are views into a larger buffer', async () => {
    const buf = new Float32Array([9, 1, 2, 3, 9]);
    const t: CkptTensor = { name: 'model.view', dtype: 'F32', shape: [3], data: buf.subarray(1, 4) };
    const back = await roundTrip({ state: {}, tensors: [t] });
    expect(Array.from(back.tensors[0]!.data)).toEqual([1, 2, 3]);
  });
});

describe('encoder rejects what it cannot write', () => {
  const one = (t: Partial<CkptTensor>): CkptContents => ({
    state: {},
    tensors: [{ name: 'model.x', dtype: 'F32', shape: [2], data: new Float32Array(2), ...t }],
  });
  const cases: [CkptErrorCode, CkptContents, RegExp | string][] = [
    ['bad_name', one({ name: 'model.<script>' }), /tensor name "model.<script>" is not allowed/],
    ['bad_name', one({ name: 'weights.x' }), /not allowed/],
    ['unknown_dtype', one({ dtype: 'F16' as 'F32' }), /tensor model.x: unknown dtype 'F16'/],
    ['bad_shape', one({ shape: [-2] }), /shape \[-2\] is not a list of non-negative integers/],
    ['bad_shape', one({ shape: [1.5] }), /not a list/],
    ['bad_shape', one({ shape: [3] }), /shape \[3\] has 3 elements but data has 2/],
    ['bad_tensor', one({ data: new Int32Array(2) }), 'tensor model.x: dtype F32 needs its data as Float32Array, got Int32Array'],
    ['bad_tensor', one({ dtype: 'I32' }), 'tensor model.x: dtype I32 needs its data as Int32Array, got Float32Array'],
    ['bad_state', { state: [] as unknown as Record<string, unknown>, tensors: [] }, /state must be a JSON object/],
    ['bad_state', { state: { big: 1n }, tensors: [] }, /not JSON-serialisable/],
  ];
  it.each(cases)('%s', async (code, contents, msg) => {
    await expectCkptError(() => encodeCkpt(contents), code, msg);
  });

  it('refuses to write a header its decoder would refuse (over 64 MiB)', async () => {
    const state = { blob: 'x'.repeat(MAX_HEADER_BYTES) };
    await expectCkptError(() => encodeCkpt({ state, tensors: [] }), 'bad_header_length', /^header would be \d+ bytes, over the 64 MiB limit/);
  });

  it('rejects duplicate names and cyclic state', async () => {
    const t = one({}).tensors[0]!;
    await expectCkptError(() => encodeCkpt({ state: {}, tensors: [t, t] }), 'bad_name', 'duplicate tensor name model.x');
    const cyc: Record<string, unknown> = {};
    cyc.self = cyc;
    await expectCkptError(() => encodeCkpt({ state: cyc, tensors: [] }), 'bad_state', /not JSON-serialisable/);
  });
});

describe('decoder errors', () => {
  it('truncated: shorter than the length prefix', async () => {
    for (let n = 0; n < 8; n++) {
      await expectCkptError(() => decodeCkpt(new Uint8Array(n)), 'truncated', `not a .ckpt file: file is ${n} bytes, shorter than the 8-byte header length`);
    }
  });

  it('bad_header_length: beyond the file, zero, beyond the cap', async () => {
    const { header, data } = await parts();
    const size = craft(header, data).length;
    await expectCkptError(() => decodeCkpt(craft(header, data, { headerLength: 2n ** 32n })), 'bad_header_length', `header length 4294967296 exceeds file size ${size}`);
    await expectCkptError(() => decodeCkpt(craft(header, data, { headerLength: 2n ** 64n - 1n })), 'bad_header_length', /^header length 18446744073709551615 exceeds/);
    await expectCkptError(() => decodeCkpt(craft('', new Uint8Array(0))), 'bad_header_length', 'header length is 0');
    const huge = new Uint8Array(8 + MAX_HEADER_BYTES + 8);
    new DataView(huge.buffer).setBigUint64(0, BigInt(MAX_HEADER_BYTES + 1), true);
    await expectCkptError(() => decodeCkpt(huge), 'bad_header_length', 'header length 67108865 exceeds the 64 MiB limit');
  });

  it('bad_json: invalid UTF-8, syntax errors with their byte position', async () => {
    const bad = craft('{"a":1}', new Uint8Array(0));
    bad[10] = 0xff;
    await expectCkptError(() => decodeCkpt(bad), 'bad_json', 'header is not valid UTF-8');
    await expectCkptError(() => decodeCkpt(craft('{"é": x}', new Uint8Array(0))), 'bad_json', 'header is not valid JSON at byte 7 of the header (file offset 15)');
    await expectCkptError(() => decodeCkpt(craft('{"a":1} x', new Uint8Array(0))), 'bad_json', /at byte 8 of the header/);
    await expectCkptError(() => decodeCkpt(craft('{"a":[1,2', new Uint8Array(0))), 'bad_json', 'header is not valid JSON at byte 16 of the header (file offset 24, unexpected end)');
  });

  it('bad_header: not an object, whitespace other than space padding, entry problems', async () => {
    const z = new Uint8Array(0);
    await expectCkptError(() => decodeCkpt(craft('[1,2]', z)), 'bad_header', 'header is not a JSON object');
    await expectCkptError(() => decodeCkpt(craft(' {}', z)), 'bad_header', /starting with '\{' and padded only with spaces/);
    await expectCkptError(() => decodeCkpt(craft('{}\n', z)), 'bad_header', /padded only with spaces/);
    const { header, data } = await parts();
    entry(header, 'model.dense.bias').x = 1;
    await expectCkptError(() => decodeCkpt(craft(header, data)), 'bad_header', "unknown key 'x' in tensor entry model.dense.bias");
    const p2 = await parts();
    delete entry(p2.header, 'model.dense.bias').shape;
    await expectCkptError(() => decodeCkpt(craft(p2.header, p2.data)), 'bad_header', "tensor model.dense.bias: entry missing key 'shape'");
    const p3 = await parts();
    p3.header['model.dense.bias'] = [1];
    await expectCkptError(() => decodeCkpt(craft(p3.header, p3.data)), 'bad_header', 'tensor model.dense.bias: entry is not an object');
    const p4 = await parts();
    entry(p4.header, 'model.dense.bias').dtype = 32;
    await expectCkptError(() => decodeCkpt(craft(p4.header, p4.data)), 'bad_header', 'tensor model.dense.bias: dtype is not a string');
  });

  it('unknown_dtype', async () => {
    const { header, data } = await parts();
    entry(header, 'model.dense.kernel').dtype = 'F16';
    await expectCkptError(() => decodeCkpt(craft(header, data)), 'unknown_dtype', 'tensor model.dense.kernel: unknown dtype F16 (this build reads F32 and I32)');
  });

  it('bad_offsets: out of range and malformed', async () => {
    const { header, data } = await parts();
    await expectCkptError(() => decodeCkpt(craft(header, data.subarray(0, 32))), 'bad_offsets', 'tensor model.dense.bias: data_offsets [24, 36] out of range (buffer is 32 bytes; truncated file?)');
    for (const offs of [[0], [8, 0], [-4, 24], ['0', 24], [0.5, 24], null, [0, 24, 28]]) {
      const p = await parts();
      entry(p.header, 'model.dense.kernel').data_offsets = offs;
      await expectCkptError(() => decodeCkpt(craft(p.header, p.data)), 'bad_offsets', /tensor model.dense.kernel: data_offsets .* must be \[begin, end\]/);
    }
  });

  it('overlap, gap, trailing_bytes', async () => {
    const p = await parts();
    entry(p.header, 'model.dense.bias').data_offsets = [20, 32];
    await expectCkptError(() => decodeCkpt(craft(p.header, p.data)), 'overlap', 'tensors model.dense.kernel and model.dense.bias overlap');
    const q = await parts();
    entry(q.header, 'model.dense.bias').data_offsets = [28, 40];
    entry(q.header, 'optim.step').data_offsets = [40, 44];
    const grown = new Uint8Array(44);
    grown.set(q.data);
    await expectCkptError(() => decodeCkpt(craft(q.header, grown)), 'gap', 'gap in the data buffer before model.dense.bias (bytes 24 to 28 belong to no tensor)');
    const r = await parts();
    const longer = new Uint8Array(r.data.length + 4);
    longer.set(r.data);
    await expectCkptError(() => decodeCkpt(craft(r.header, longer)), 'trailing_bytes', '4 trailing bytes after the last tensor (data buffer is 44 bytes, tensors use 40)');
  });

  it('bad_shape: size mismatch, malformed, overflowing', async () => {
    const { header, data } = await parts();
    entry(header, 'model.dense.kernel').data_offsets = [0, 20];
    entry(header, 'model.dense.bias').data_offsets = [20, 32];
    entry(header, 'optim.step').data_offsets = [32, 36];
    await expectCkptError(() => decodeCkpt(craft(header, data.subarray(0, 36))), 'bad_shape', 'tensor model.dense.kernel: shape [2,3] needs 24 bytes but data_offsets give 20');
    for (const [shape, msg] of [
      ['2', /shape '2' is not a list/],
      [[2, -3], /shape \[2,-3\] is not a list/],
      [[2, 3.5], /not a list/],
      [[2 ** 26, 2 ** 26, 2 ** 26], /shape \[67108864,67108864,67108864\] has too many elements/],
    ] as const) {
      const p = await parts();
      entry(p.header, 'model.dense.kernel').shape = shape;
      await expectCkptError(() => decodeCkpt(craft(p.header, p.data)), 'bad_shape', msg);
    }
  });

  it('bad_name: markup, foreign prefixes, prototype keys', async () => {
    for (const name of ['model.<script>alert(1)</script>', 'weights.a', 'model', 'model.a b', '__proto__', 'optim.ä']) {
      // Edit the text: assigning h['__proto__'] would set the prototype, not add a key.
      const { header, data } = await parts();
      const text = JSON.stringify(header).replace('"model.dense.bias"', JSON.stringify(name));
      const err = await expectCkptError(() => decodeCkpt(craft(text, data)), 'bad_name', /^tensor name .* is not allowed \(names must match/);
      expect(err.message.length).toBeLessThan(160);
    }
  });

  it('wrong_format and unsupported_version', async () => {
    const { header, data } = await parts();
    const noMeta = { ...header };
    delete noMeta.__metadata__;
    await expectCkptError(() => decodeCkpt(craft(noMeta, data)), 'wrong_format', /no __metadata__ \(a plain safetensors file\?\)/);
    const p = await parts();
    p.meta.format = 'foo';
    await expectCkptError(() => decodeCkpt(craft(p.header, p.data)), 'wrong_format', "format is 'foo', expected 'tabtrain.ckpt'");
    const q = await parts();
    q.header.__metadata__ = { format: 'pt' };
    entry(q.header, 'model.dense.kernel').dtype = 'BF16'; // a foreign file says "wrong format" first
    await expectCkptError(() => decodeCkpt(craft(q.header, q.data)), 'wrong_format', "format is 'pt', expected 'tabtrain.ckpt'");
    const r = await parts();
    delete (r.meta as Partial<Record<string, string>>).format;
    await expectCkptError(() => decodeCkpt(craft(r.header, r.data)), 'wrong_format', /metadata has no 'format'/);
    const s = await parts();
    s.meta.version = '7';
    await expectCkptError(() => decodeCkpt(craft(s.header, s.data)), 'unsupported_version', 'unsupported version 7 (this build reads version 1)');
  });

  it('bad_metadata: missing, unknown, non-string, malformed integrity, lone surrogate', async () => {
    const cases: [(m: Record<string, unknown>, h: Header) => void, string | RegExp][] = [
      [(m) => delete m.state, "metadata missing key 'state'"],
      [(m) => delete m.version, "metadata missing key 'version'"],
      [(m) => (m.x = 'y'), "unknown key 'x' in metadata"],
      [(m) => (m.state = { step: 1 }), "metadata value 'state' is not a string (safetensors metadata is string to string)"],
      [(m) => (m.integrity = 'md5:00'), /integrity "md5:00" is not of the form sha256:<64 lowercase hex digits>/],
      [(_m, h) => (h.__metadata__ = 'x'), '__metadata__ is not an object'],
      [(m) => (m.state = '{"a":"\ud800"}'), "metadata value 'state' contains a lone surrogate"],
    ];
    for (const [edit, msg] of cases) {
      const p = await parts();
      edit(p.meta, p.header);
      await expectCkptError(() => decodeCkpt(craft(p.header, p.data)), 'bad_metadata', msg);
    }
  });

  it('integrity: any change to data, state, name, dtype, shape or offsets', async () => {
    const msg = 'integrity check failed: the file is corrupted (sha256 mismatch)';
    const p = await parts();
    p.data[5] ^= 1;
    await expectCkptError(() => decodeCkpt(craft(p.header, p.data)), 'integrity', msg);
    const q = await parts();
    q.meta.state = JSON.stringify({ step: 13 });
    await expectCkptError(() => decodeCkpt(craft(q.header, q.data)), 'integrity', msg);
    const r = await parts();
    entry(r.header, 'model.dense.bias').dtype = 'I32';
    await expectCkptError(() => decodeCkpt(craft(r.header, r.data)), 'integrity', msg);
    const s = await parts();
    entry(s.header, 'model.dense.kernel').shape = [3, 2];
    await expectCkptError(() => decodeCkpt(craft(s.header, s.data)), 'integrity', msg);
    const t = await parts();
    const renamed: Header = {};
    for (const k of Object.keys(t.header)) renamed[k === 'model.dense.bias' ? 'model.dense.bias2' : k] = t.header[k];
    await expectCkptError(() => decodeCkpt(craft(renamed, t.data)), 'integrity', msg);
    const u = await parts(); // swap the two F32 tensors' order and offsets consistently
    const swapped: Header = { 'model.dense.bias': { ...entry(u.header, 'model.dense.bias'), data_offsets: [0, 12] } };
    swapped['model.dense.kernel'] = { ...entry(u.header, 'model.dense.kernel'), data_offsets: [12, 36] };
    swapped['optim.step'] = u.header['optim.step'];
    swapped.__metadata__ = u.meta;
    const d = new Uint8Array(u.data.length);
    d.set(u.data.subarray(24, 36), 0);
    d.set(u.data.subarray(0, 24), 12);
    d.set(u.data.subarray(36), 36);
    await expectCkptError(() => decodeCkpt(craft(swapped, d)), 'integrity', msg);
    // ...and the same file with a recomputed hash is accepted: the spec's hash is the decoder's.
    const ok = await decodeCkpt(craft(swapped, d, { fixIntegrity: true }));
    expect(ok.tensors.map((x) => x.name)).toEqual(['model.dense.bias', 'model.dense.kernel', 'optim.step']);
  });

  it('bad_state: valid integrity but the state is not a JSON object', async () => {
    for (const [state, msg] of [['{not json', 'state is not valid JSON'], ['[1,2]', 'state is not a JSON object'], ['null', 'state is not a JSON object']]) {
      const p = await parts();
      p.meta.state = state!;
      await expectCkptError(() => decodeCkpt(craft(p.header, p.data, { fixIntegrity: true })), 'bad_state', msg);
    }
  });

  it('accepts a header written without padding or with metadata first (other safetensors writers)', async () => {
    const { header, data } = await parts();
    const first: Header = { __metadata__: header.__metadata__ };
    for (const k of Object.keys(header)) if (k !== '__metadata__') first[k] = header[k];
    const back = await decodeCkpt(craft(first, data, { pad: false }));
    expect(diffContents(smallContents(), back)).toBeNull();
  });

  it('a non-Uint8Array argument is a programming error (TypeError), not a bad file', async () => {
    const bytes = await encodeCkpt(smallContents());
    await expect(decodeCkpt(bytes.buffer as unknown as Uint8Array)).rejects.toThrow(TypeError);
  });

  it('errors survive a structured-clone boundary via toJSON/revive', async () => {
    const err = await expectCkptError(() => decodeCkpt(new Uint8Array(3)), 'truncated');
    const back = CkptError.revive(structuredClone(err.toJSON()));
    expect(back).toBeInstanceOf(CkptError);
    expect(back?.code).toBe('truncated');
    expect(back?.message).toBe(err.message);
    expect(CkptError.revive({ name: 'Error', message: 'x' })).toBeNull();
  });

  it('random shapes and values round-trip (seeded)', async () => {
    const rnd = xorshift(1234);
    for (let k = 0; k < 30; k++) {
      const tensors: CkptTensor[] = [];
      for (let i = 0; i < 1 + (rnd() % 6); i++) {
        const shape = Array.from({ length: rnd() % 4 }, () => rnd() % 4);
        const n = shape.reduce((a, b) => a * b, 1);
        const words = Uint32Array.from({ length: n }, () => rnd());
        tensors.push(rnd() % 2
          ? { name: `model.t${i}`, dtype: 'F32', shape, data: new Float32Array(words.buffer) }
          : { name: `optim.t${i}.m`, dtype: 'I32', shape, data: new Int32Array(words.buffer) });
      }
      await roundTrip({ state: { k }, tensors });
    }
  });
});
