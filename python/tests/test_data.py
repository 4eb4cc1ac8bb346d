"""The Python parsers against tabtrain's on the sample datasets and on PNGs of every kind: the same
features (values, order, names), labels, classes and fingerprint."""
import json
import subprocess
import os

import numpy as np
import pytest

from conftest import ROOT, run_tsx
from tabtrain.data import load_dataset

SAMPLES = os.path.join(ROOT, "public", "samples")


SAMPLE_NAMES = ["iris.csv", "penguins.csv", "titanic.csv", "shapes.zip"]


@pytest.fixture(scope="module")
def parsed(tmp_path_factory):
    """tabtrain's parse of every sample and of a text with CRLF and astral characters, in one tsx run."""
    d = tmp_path_factory.mktemp("parsed")
    text = d / "t.txt"
    text.write_bytes("héllo\r\nwörld 🙂 ok\r\n".encode() * 5)
    files = {n: os.path.join(SAMPLES, n) for n in SAMPLE_NAMES}
    files["t.txt"] = str(text)
    args = []
    for n, path in files.items():
        args += [path, str(d / (n + ".json"))]
    run_tsx("test/support/py-reference.ts", "parse", *args)
    return {n: (path, json.loads((d / (n + ".json")).read_text())) for n, path in files.items()}


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_samples_like_tabtrain(parsed, name):
    path, ref = parsed[name]
    ds = load_dataset(path)
    assert ds.get("featureNames") == ref.get("featureNames")
    assert ds["classes"] == ref["classes"] and ds.get("task") == ref.get("task")
    assert ds["fingerprint"] == ref["fingerprint"]
    np.testing.assert_array_equal(ds["y"], np.array(ref["y"]))
    x = np.array(ref["x"], np.float32).reshape(ds["x"].shape)
    assert np.abs(ds["x"] - x).max() == 0


def test_text_like_tabtrain(parsed):
    path, ref = parsed["t.txt"]
    ds = load_dataset(path)
    assert ds["vocab"] == ref["vocab"]
    assert ds["ids"].tolist() == ref["ids"]
    assert ds["fingerprint"] == ref["fingerprint"]


def _png(path, pixels, ctype, depth, filt, palette=None, trns=None):
    """A minimal PNG encoder (test only): `pixels` [h, w, channels] of raw samples, every row with filter `filt`."""
    import struct
    import zlib

    h, w, ch = pixels.shape
    if depth == 16:
        rows = [b"".join(struct.pack(">H", int(v)) for v in pixels[y].reshape(-1)) for y in range(h)]
    elif depth == 8:
        rows = [bytes(pixels[y].reshape(-1).astype(np.uint8)) for y in range(h)]
    else:
        rows = [bytes(np.packbits(np.unpackbits(pixels[y].reshape(-1).astype(np.uint8)[:, None], axis=1)[:, 8 - depth :].reshape(-1))) for y in range(h)]
    bpp = max(1, depth * ch // 8)
    raw, prev = b"", bytes(len(rows[0]))
    for r in rows:
        out = bytearray()
        for i, v in enumerate(r):
            a = r[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            p = a + b - c
            pred = [0, a, b, (a + b) >> 1, a if abs(p - a) <= abs(p - b) and abs(p - a) <= abs(p - c) else (b if abs(p - b) <= abs(p - c) else c)][filt]
            out.append((v - pred) & 255)
        raw += bytes([filt]) + bytes(out)
        prev = r

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, ctype, 0, 0, 0))
    if palette is not None:
        data += chunk(b"PLTE", bytes(palette.reshape(-1)))
    if trns is not None:
        data += chunk(b"tRNS", trns)
    data += chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def test_image_folder_like_tabtrain(tmp_path):
    """Every PNG colour type and filter, 1/2/8/16-bit samples, palettes with alpha, resized down
    and up, grayscale: the same floats as tabtrain's parser, and the same fingerprint."""
    import struct

    rng = np.random.default_rng(3)
    root = tmp_path / "pets"
    cases = [  # (class, ctype, depth, channels, max, palette/trns)
        ("cat", 2, 8, 3, 255, None), ("cat", 6, 8, 4, 255, None), ("cat", 0, 16, 1, 65535, None),
        ("dog", 0, 2, 1, 3, None), ("dog", 3, 4, 1, 15, "palette"), ("dog", 4, 8, 2, 255, None), ("dog", 2, 16, 3, 65535, "key"),
    ]
    for i, (cls, ctype, depth, ch, mx, extra) in enumerate(cases):
        h, w = 5 + i, 9 - i
        px = rng.integers(0, mx + 1, (h, w, ch))
        pal = trns = None
        if extra == "palette":
            pal = rng.integers(0, 256, (16, 3)).astype(np.uint8)
            trns = bytes(rng.integers(0, 256, 7).astype(np.uint8))
        if extra == "key":
            px[0, 0] = [1, 2, 3]
            trns = struct.pack(">HHH", 1, 2, 3)
        _png(str(root / cls / ("%d.png" % i)), px, ctype, depth, i % 5, pal, trns)
    (root / "dog" / "notes.txt").write_text("ignored")
    for opts, kw in (({"imageSize": {"height": 6, "width": 6}, "channels": 1}, {"image_size": {"height": 6, "width": 6}, "channels": 1}), ({}, {})):
        out = tmp_path / "ref.json"
        env = dict(os.environ, PARSE_OPTIONS=json.dumps(opts))
        r = subprocess.run([os.path.join(ROOT, "node_modules", ".bin", "tsx"), "test/support/py-reference.ts", "parse", str(root), str(out)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        ref = json.loads(out.read_text())
        ds = load_dataset(str(root), **kw)
        assert ds["classes"] == ref["classes"] == ["cat", "dog"]
        assert ds["y"].tolist() == ref["y"]
        assert ds["fingerprint"] == ref["fingerprint"]
        x = np.array(ref["x"], np.float32).reshape(ds["x"].shape)
        assert np.abs(ds["x"] - x).max() == 0
