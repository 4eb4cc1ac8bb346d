import json
import os
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "python"))
TSX = os.path.join(ROOT, "node_modules", ".bin", "tsx")
BIN = os.path.join(ROOT, "src", "cli", "bin.mjs")


def run_tsx(*args, timeout=300):
    r = subprocess.run([TSX, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0:
        raise AssertionError("tsx %s failed (%d):\n%s%s" % (" ".join(args), r.returncode, r.stdout, r.stderr))
    return r


def tabtrain_ts(*args, timeout=300):
    """The TypeScript CLI, as a person runs it."""
    return subprocess.run(["node", BIN, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="session")
def reference(tmp_path_factory):
    """The TypeScript engine's checkpoints, data and logits for every family (test/support/py-reference.ts)."""
    out = tmp_path_factory.mktemp("reference")
    run_tsx("test/support/py-reference.ts", "families", str(out))
    return out


def load_dataset_json(path):
    d = json.loads(open(path).read())
    if d["kind"] == "text":
        return {"kind": "text", "ids": np.array(d["ids"], np.int32), "vocab": d["vocab"], "fingerprint": d["fingerprint"]}
    if d["kind"] == "image":
        x = np.array(d["x"], np.float32).reshape(d["numImages"], d["height"], d["width"], d["channels"])
        return dict(d, x=x, y=np.array(d["y"], np.int32))
    x = np.array(d["x"], np.float32).reshape(d["numRows"], d["numFeatures"])
    y = np.array(d["y"], np.int32 if d["task"] == "classification" else np.float32)
    return dict(d, x=x, y=y)


class Result:
    def __init__(self, returncode, stdout, stderr):
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


@pytest.fixture
def py(capsys):
    """python -m tabtrain in this process (no torch import per call): (args) -> Result."""
    from tabtrain.cli import main

    def call(*args):
        capsys.readouterr()
        code = main(list(args))
        out = capsys.readouterr()
        return Result(code, out.out, out.err)

    return call
