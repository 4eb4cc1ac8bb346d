"""The .ckpt format, version 1 (docs/ckpt-format.md): a safetensors file whose __metadata__ holds
format, version, state (JSON text) and integrity (sha256 over a canonical form and the data).

The decoder reads hostile files with the same checks, in the same order and with the same error
codes as the TypeScript decoder (src/ckpt/format.ts, layout.ts): every length is checked against
the file size before it is used.
"""
import hashlib
import json
import os
import re
import struct
from collections import OrderedDict

import numpy as np

CKPT_FORMAT = "tabtrain.ckpt"
CKPT_VERSION = "1"
MAX_HEADER_BYTES = 64 * 1024 * 1024
TENSOR_NAME_RE = re.compile(r"(model|optim)\.[A-Za-z0-9_.]+")
METADATA_KEYS = ("format", "version", "state", "integrity")
INTEGRITY_RE = re.compile(r"sha256:[0-9a-f]{64}")
DTYPES = {"F32": np.dtype("<f4"), "I32": np.dtype("<i4")}
ENTRY_KEYS = ("dtype", "shape", "data_offsets")
MAX_SAFE = 2**53 - 1
_SURROGATE = re.compile("[\ud800-\udfff]")


class CkptError(Exception):
    """A refused file. `code` is the same code the TypeScript decoder uses."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


def _quote(v):
    if isinstance(v, str):
        return "'" + v + "'"
    try:
        return json.dumps(v, separators=(",", ":"), ensure_ascii=False)
    except (TypeError, ValueError):
        return str(v)


def _is_index(v):
    """A non-negative safe integer; JSON 1.0 is the integer 1 (as in JavaScript), true is not."""
    if isinstance(v, bool):
        return False
    if isinstance(v, int):
        return 0 <= v <= MAX_SAFE
    if isinstance(v, float):
        return v.is_integer() and 0 <= v <= MAX_SAFE
    return False


def _format_shape(shape):
    return "[" + ", ".join(str(int(d)) for d in shape) + "]" if isinstance(shape, list) else _quote(shape)


def _check_name(name):
    if not isinstance(name, str) or not TENSOR_NAME_RE.fullmatch(name):
        raise CkptError("bad_name", "tensor name %s is not allowed (names must match ^(model|optim)\\.[A-Za-z0-9_.]+$)" % _quote(name))


def _element_count(name, shape):
    if not isinstance(shape, list) or not all(_is_index(d) for d in shape):
        raise CkptError("bad_shape", "tensor %s: shape %s is not a list of non-negative integers" % (name, _quote(shape)))
    if any(int(d) == 0 for d in shape):
        return 0
    count = 1
    for d in shape:
        count *= int(d)
        if count > MAX_SAFE // 4:
            raise CkptError("bad_shape", "tensor %s: shape %s has too many elements" % (name, _format_shape(shape)))
    return count


def _reject_constant(c):
    raise ValueError("not JSON: " + c)


def _loads(text):
    # JSON.parse has no NaN/Infinity; keep key order (the data layout order).
    return json.loads(text, object_pairs_hook=OrderedDict, parse_constant=_reject_constant)


def _dumps(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def canonical_string(fmt, version, state, entries):
    tensors = [[e["name"], e["dtype"], e["shape"], [e["begin"], e["end"]]] for e in entries]
    return _dumps({"format": fmt, "version": version, "state": state, "tensors": tensors})


def _integrity(fmt, version, state, entries, data):
    h = hashlib.sha256(canonical_string(fmt, version, state, entries).encode("utf-8"))
    h.update(data)
    return "sha256:" + h.hexdigest()


class Ckpt:
    """A decoded checkpoint: the JSON state and the tensors (numpy arrays) in file order."""

    def __init__(self, state, tensors):
        self.state = state
        self.tensors = tensors  # OrderedDict name -> np.ndarray

    def __repr__(self):
        return "Ckpt(step=%r, tensors=%d)" % (self.state.get("step"), len(self.tensors))


def _parse_header(raw):
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise CkptError("bad_json", "header is not valid UTF-8") from None
    try:
        header = _loads(text)
    except ValueError as e:
        pos = getattr(e, "pos", len(text))
        at = len(text[:pos].encode("utf-8", "surrogatepass"))
        end = ", unexpected end" if pos >= len(text) else ""
        raise CkptError("bad_json", "header is not valid JSON at byte %d of the header (file offset %d%s)" % (at, 8 + at, end)) from None
    if not isinstance(header, dict):
        raise CkptError("bad_header", "header is not a JSON object")
    last = text.rfind("}")
    if not text.startswith("{") or text[last + 1 :].strip(" ") != "":
        raise CkptError("bad_header", "header must be a JSON object starting with '{' and padded only with spaces")
    return header


def _read_metadata(header):
    if "__metadata__" not in header:
        raise CkptError("wrong_format", "not a .ckpt file: the header has no __metadata__ (a plain safetensors file?)")
    meta = header["__metadata__"]
    if not isinstance(meta, dict):
        raise CkptError("bad_metadata", "__metadata__ is not an object")
    if "format" not in meta:
        raise CkptError("wrong_format", "not a .ckpt file: metadata has no 'format' (expected 'tabtrain.ckpt')")
    if meta["format"] != CKPT_FORMAT:
        raise CkptError("wrong_format", "format is %s, expected '%s'" % (_quote(meta["format"]), CKPT_FORMAT))
    if "version" not in meta:
        raise CkptError("bad_metadata", "metadata missing key 'version'")
    if meta["version"] != CKPT_VERSION:
        v = meta["version"]
        shown = v if isinstance(v, str) and re.fullmatch(r"\d{1,9}", v) else _quote(v)
        raise CkptError("unsupported_version", "unsupported version %s (this build reads version %s)" % (shown, CKPT_VERSION))
    for k in meta:
        if k not in METADATA_KEYS:
            raise CkptError("bad_metadata", "unknown key %s in metadata" % _quote(k))
    for k in METADATA_KEYS:
        if k not in meta:
            raise CkptError("bad_metadata", "metadata missing key '%s'" % k)
        if not isinstance(meta[k], str):
            raise CkptError("bad_metadata", "metadata value '%s' is not a string (safetensors metadata is string to string)" % k)
    if not INTEGRITY_RE.fullmatch(meta["integrity"]):
        raise CkptError("bad_metadata", "integrity %s is not of the form sha256:<64 lowercase hex digits>" % _quote(meta["integrity"]))
    if _SURROGATE.search(meta["state"]):
        raise CkptError("bad_metadata", "metadata value 'state' contains a lone surrogate")
    return meta


def _read_entries(header, buf_len):
    entries = []
    expected = 0
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        _check_name(name)
        if not isinstance(entry, dict):
            raise CkptError("bad_header", "tensor %s: entry is not an object" % name)
        for k in entry:
            if k not in ENTRY_KEYS:
                raise CkptError("bad_header", "unknown key %s in tensor entry %s" % (_quote(k), name))
        for k in ENTRY_KEYS:
            if k not in entry:
                raise CkptError("bad_header", "tensor %s: entry missing key '%s'" % (name, k))
        dtype, shape, offs = entry["dtype"], entry["shape"], entry["data_offsets"]
        if not isinstance(dtype, str):
            raise CkptError("bad_header", "tensor %s: dtype is not a string" % name)
        if dtype not in DTYPES:
            raise CkptError("unknown_dtype", "tensor %s: unknown dtype %s (this build reads F32 and I32)" % (name, dtype))
        count = _element_count(name, shape)
        if not isinstance(offs, list) or len(offs) != 2 or not all(_is_index(o) for o in offs) or offs[0] > offs[1]:
            raise CkptError("bad_offsets", "tensor %s: data_offsets %s must be [begin, end] with 0 <= begin <= end" % (name, _quote(offs)))
        begin, end = int(offs[0]), int(offs[1])
        if end > buf_len:
            raise CkptError("bad_offsets", "tensor %s: data_offsets [%d, %d] out of range (buffer is %d bytes; truncated file?)" % (name, begin, end, buf_len))
        if begin < expected:
            other = next((e for e in entries if e["begin"] <= begin < e["end"]), entries[-1])
            raise CkptError("overlap", "tensors %s and %s overlap" % (other["name"], name))
        if begin > expected:
            raise CkptError("gap", "gap in the data buffer before %s (bytes %d to %d belong to no tensor)" % (name, expected, begin))
        if count * 4 != end - begin:
            raise CkptError("bad_shape", "tensor %s: shape %s needs %d bytes but data_offsets give %d" % (name, _format_shape(shape), count * 4, end - begin))
        entries.append({"name": name, "dtype": dtype, "shape": [int(d) for d in shape], "begin": begin, "end": end})
        expected = end
    if expected != buf_len:
        raise CkptError("trailing_bytes", "%d trailing bytes after the last tensor (data buffer is %d bytes, tensors use %d)" % (buf_len - expected, buf_len, expected))
    return entries


def decode_ckpt(data):
    """bytes -> Ckpt, or CkptError with the TypeScript decoder's code and reason."""
    data = bytes(data)
    size = len(data)
    if size < 8:
        raise CkptError("truncated", "not a .ckpt file: file is %d bytes, shorter than the 8-byte header length" % size)
    (n,) = struct.unpack("<Q", data[:8])
    if n > size - 8:
        raise CkptError("bad_header_length", "header length %d exceeds file size %d" % (n, size))
    if n > MAX_HEADER_BYTES:
        raise CkptError("bad_header_length", "header length %d exceeds the %d MiB limit" % (n, MAX_HEADER_BYTES // 1048576))
    if n == 0:
        raise CkptError("bad_header_length", "header length is 0")
    start = 8 + n
    header = _parse_header(data[8:start])
    meta = _read_metadata(header)
    entries = _read_entries(header, size - start)
    buf = data[start:]
    if _integrity(meta["format"], meta["version"], meta["state"], entries, buf) != meta["integrity"]:
        raise CkptError("integrity", "integrity check failed: the file is corrupted (sha256 mismatch)")
    try:
        state = _loads(meta["state"])
    except ValueError:
        raise CkptError("bad_state", "state is not valid JSON") from None
    if not isinstance(state, dict):
        raise CkptError("bad_state", "state is not a JSON object")
    state = json.loads(_dumps(state))  # plain dicts
    tensors = OrderedDict()
    for e in entries:
        arr = np.frombuffer(buf, dtype=DTYPES[e["dtype"]], count=(e["end"] - e["begin"]) // 4, offset=e["begin"])
        tensors[e["name"]] = arr.reshape(e["shape"]).astype(DTYPES[e["dtype"]].newbyteorder("="), copy=True)
    return Ckpt(state, tensors)


def encode_ckpt(state, tensors):
    """(state dict, [(name, array)] or {name: array}) -> .ckpt bytes. Arrays: float32 or int32."""
    if not isinstance(state, dict):
        raise CkptError("bad_state", "state must be a JSON object")
    try:
        state_text = _dumps(state)
    except (TypeError, ValueError) as e:
        raise CkptError("bad_state", "state is not JSON-serialisable: %s" % e) from None
    items = list(tensors.items()) if isinstance(tensors, dict) else list(tensors)
    entries, chunks, seen, offset = [], [], set(), 0
    for name, arr in items:
        _check_name(name)
        if name in seen:
            raise CkptError("bad_name", "duplicate tensor name %s" % name)
        seen.add(name)
        a = np.asarray(arr)
        if a.dtype == np.float32:
            dtype = "F32"
        elif a.dtype == np.int32:
            dtype = "I32"
        else:
            raise CkptError("unknown_dtype", "tensor %s: unknown dtype %s" % (name, _quote(str(a.dtype))))
        raw = np.ascontiguousarray(a, dtype=DTYPES[dtype]).tobytes()
        entries.append({"name": name, "dtype": dtype, "shape": [int(d) for d in a.shape], "begin": offset, "end": offset + len(raw)})
        chunks.append(raw)
        offset += len(raw)
    buf = b"".join(chunks)
    header = OrderedDict()
    for e in entries:
        header[e["name"]] = OrderedDict([("dtype", e["dtype"]), ("shape", e["shape"]), ("data_offsets", [e["begin"], e["end"]])])
    header["__metadata__"] = OrderedDict(
        [("format", CKPT_FORMAT), ("version", CKPT_VERSION), ("state", state_text), ("integrity", _integrity(CKPT_FORMAT, CKPT_VERSION, state_text, entries, buf))]
    )
    js = _dumps(header).encode("utf-8")
    n = -(-(8 + len(js)) // 8) * 8 - 8
    if n > MAX_HEADER_BYTES:
        raise CkptError("bad_header_length", "header would be %d bytes, over the %d MiB limit (state too large?)" % (n, MAX_HEADER_BYTES // 1048576))
    return struct.pack("<Q", n) + js + b" " * (n - len(js)) + buf


def read_ckpt(path):
    with open(path, "rb") as f:
        return decode_ckpt(f.read())


def write_atomic(path, data):
    """Temporary file beside the target, fsync, rename: a reader sees the old file or the new one."""
    path = os.path.abspath(path)
    tmp = os.path.join(os.path.dirname(path), ".%s.tmp-%d" % (os.path.basename(path), os.getpid()))
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_ckpt(path, state, tensors):
    write_atomic(path, encode_ckpt(state, tensors))
