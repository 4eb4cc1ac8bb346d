#!/usr/bin/env python3
"""Independent .ckpt reader, written from docs/ckpt-format.md with only the standard library and
numpy (deliberately not the `safetensors` package). Used by test/unit/ckpt-python.test.ts.

Usage: python3 read_ckpt.py FILE
Prints one JSON object:
  {"metadata_keys": [...], "format": ..., "version": ..., "state": {...},
   "integrity_ok": bool, "header_bytes": N,
   "tensors": {name: {"dtype", "shape", "data_offsets", "sum", "first", "hex"}}}
Exits 1 with a message on stderr if the file breaks the layout rules.
"""
import hashlib
import json
import math
import struct
import sys

import numpy as np

DTYPES = {"F32": np.dtype("<f4"), "I32": np.dtype("<i4")}


def fail(msg):
    sys.stderr.write("read_ckpt.py: " + msg + "\n")
    sys.exit(1)


def finite_or_str(x):
    """JSON has no NaN/Infinity; send those as strings so the JS side can parse the output."""
    x = float(x)
    return x if math.isfinite(x) else repr(x)


def main(path):
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        fail("file shorter than 8 bytes")
    (n,) = struct.unpack("<Q", raw[:8])
    if n > len(raw) - 8:
        fail("header length %d exceeds file size %d" % (n, len(raw)))
    header_text = raw[8 : 8 + n].decode("utf-8")
    if not header_text.startswith("{") or not header_text.rstrip(" ").endswith("}"):
        fail("header must start with '{' and be padded with spaces only")
    # object_pairs_hook keeps the key order, which is the data layout order.
    pairs = json.loads(header_text, object_pairs_hook=lambda p: p)
    header = dict(pairs)
    buf = raw[8 + n :]

    meta = header.pop("__metadata__")
    if sorted(dict(meta)) != ["format", "integrity", "state", "version"]:
        fail("unexpected metadata keys %r" % [k for k, _ in meta])
    meta = dict(meta)

    tensors = {}
    canonical_tensors = []
    expected = 0
    for name, entry in pairs:
        if name == "__metadata__":
            continue
        entry = dict(entry)
        dtype = DTYPES[entry["dtype"]]
        shape = [int(d) for d in entry["shape"]]
        begin, end = entry["data_offsets"]
        if begin != expected:
            fail("tensor %s does not start where the previous one ended" % name)
        count = int(np.prod(shape, dtype=np.int64)) if shape else 1
        if count * dtype.itemsize != end - begin or end > len(buf):
            fail("tensor %s: shape/offsets mismatch" % name)
        arr = np.frombuffer(buf, dtype=dtype, count=count, offset=begin).reshape(shape)
        flat = arr.reshape(-1)
        tensors[name] = {
            "dtype": entry["dtype"],
            "shape": shape,
            "data_offsets": [begin, end],
            "sum": finite_or_str(flat.astype(np.float64).sum()) if count else 0.0,
            "first": [finite_or_str(v) if entry["dtype"] == "F32" else int(v) for v in flat[:4]],
            "hex": buf[begin:end].hex(),
        }
        canonical_tensors.append([name, entry["dtype"], shape, [begin, end]])
        expected = end
    if expected != len(buf):
        fail("data buffer has %d bytes, tensors use %d" % (len(buf), expected))

    # The integrity canonical form from docs/ckpt-format.md.
    canonical = json.dumps(
        {"format": meta["format"], "version": meta["version"], "state": meta["state"], "tensors": canonical_tensors},
        separators=(",", ":"),
        ensure_ascii=False,
    )
    digest = hashlib.sha256(canonical.encode("utf-8") + buf).hexdigest()

    json.dump(
        {
            "metadata_keys": [k for k in meta],
            "format": meta["format"],
            "version": meta["version"],
            "state": json.loads(meta["state"]),
            "integrity_ok": meta["integrity"] == "sha256:" + digest,
            "header_bytes": n,
            "tensors": tensors,
        },
        sys.stdout,
        allow_nan=False,
    )


if __name__ == "__main__":
    if len(sys.argv) != 2:
        fail("usage: read_ckpt.py FILE")
    main(sys.argv[1])
