"""The .ckpt reader and writer: round trips, the same strict checks and codes as the TypeScript
decoder on the same broken files, and files both sides read."""
import json
import os
import struct

import numpy as np
import pytest

from conftest import ROOT, tabtrain_ts
from tabtrain.ckpt import CkptError, decode_ckpt, encode_ckpt, read_ckpt, write_ckpt

FIXTURES = os.path.join(ROOT, "test", "fixtures", "ckpt")


def _good():
    return encode_ckpt({"a": 1, "s": "é"}, [("model.w", np.arange(6, dtype=np.float32).reshape(2, 3)), ("optim.w.m", np.array([7], np.int32))])


def test_round_trip():
    c = decode_ckpt(_good())
    assert c.state == {"a": 1, "s": "é"}
    assert list(c.tensors) == ["model.w", "optim.w.m"]
    assert c.tensors["model.w"].dtype == np.float32 and c.tensors["model.w"].tolist() == [[0, 1, 2], [3, 4, 5]]
    assert c.tensors["optim.w.m"].dtype == np.int32


def test_safetensors_opens_what_we_write(tmp_path):
    from safetensors.numpy import load_file

    p = tmp_path / "x.ckpt"
    p.write_bytes(_good())
    assert load_file(str(p))["model.w"].tolist() == [[0, 1, 2], [3, 4, 5]]
    n = struct.unpack("<Q", p.read_bytes()[:8])[0]
    assert (8 + n) % 8 == 0


def _with_header(mutate):
    raw = _good()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8 : 8 + n])
    mutate(header)
    js = json.dumps(header, separators=(",", ":")).encode()
    return struct.pack("<Q", len(js)) + js + raw[8 + n :]


def _rename_first(h):
    items = list(h.items())
    h.clear()
    h.update([("model/../x", items[0][1])] + items[1:])


CASES = {
    "truncated": lambda: b"\x01\x02",
    "bad_header_length": lambda: struct.pack("<Q", 1000) + b"{}",
    "bad_json": lambda: struct.pack("<Q", 5) + b"{nope",
    "wrong_format": lambda: _with_header(lambda h: h.pop("__metadata__")),
    "unsupported_version": lambda: _with_header(lambda h: h["__metadata__"].update(version="2")),
    "bad_metadata": lambda: _with_header(lambda h: h["__metadata__"].update(extra="x")),
    "bad_name": lambda: _with_header(_rename_first),
    "unknown_dtype": lambda: _with_header(lambda h: h["model.w"].update(dtype="F64")),
    "bad_shape": lambda: _with_header(lambda h: h["model.w"].update(shape=[2, 2])),
    "trailing_bytes": lambda: _good() + b"\0\0\0\0",
    "integrity": lambda: _good()[:-1] + b"\x09",
}


@pytest.mark.parametrize("code", sorted(CASES))
def test_refuses_with_the_typescript_code(code):
    with pytest.raises(CkptError) as e:
        decode_ckpt(CASES[code]())
    assert e.value.code == code


def test_plain_safetensors_from_pytorch_is_not_a_ckpt(tmp_path):
    from safetensors.numpy import save_file

    p = tmp_path / "plain.safetensors"
    save_file({"model.w": np.zeros((2, 2), np.float32)}, str(p))
    with pytest.raises(CkptError, match="not a .ckpt file") as e:
        read_ckpt(str(p))
    assert e.value.code == "wrong_format"


def test_shared_fixtures_give_the_same_verdict_on_both_sides():
    """Every file in test/fixtures/ckpt: Python's verdict is the one in its name (ok-* decode, the
    rest fail with the code before the first '.'), and TypeScript's test reads the same files."""
    files = sorted(f for f in os.listdir(FIXTURES) if f.endswith(".ckpt"))
    assert len(files) >= 5
    for f in files:
        data = open(os.path.join(FIXTURES, f), "rb").read()
        want = f.split(".")[0]
        if want == "ok":
            decode_ckpt(data)
        else:
            with pytest.raises(CkptError) as e:
                decode_ckpt(data)
            assert e.value.code == want, f


def test_written_file_is_read_by_typescript(tmp_path):
    """A Python-written file goes through the TypeScript decoder and state validator (inspect)."""
    src = os.path.join(FIXTURES, "ok.mlp.ckpt")
    c = read_ckpt(src)
    c.state["lineage"]["resumedAt"].append(c.state["step"])
    out = tmp_path / "py.ckpt"
    write_ckpt(str(out), c.state, c.tensors)
    r = tabtrain_ts("inspect", str(out), "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["state"]["lineage"]["resumedAt"] == c.state["lineage"]["resumedAt"]
