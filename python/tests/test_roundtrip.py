"""The tab -> PyTorch -> tab round trip with the real command lines: the TypeScript CLI trains 20
steps, torchrun with 2 processes continues to 60, the TypeScript CLI resumes to 80. And the
continuations agree: Python with tabtrain (1 process), 2 processes with 1."""
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from conftest import ROOT, tabtrain_ts
from tabtrain.ckpt import read_ckpt
from tabtrain.cli import main

IRIS = os.path.join(ROOT, "public", "samples", "iris.csv")
TORCHRUN = shutil.which("torchrun") or "torchrun"


def _ok(r):
    assert r.returncode == 0, "exit %d\n%s%s" % (r.returncode, r.stdout, r.stderr)
    return r


def torchrun(nproc, *args):
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python"), OMP_NUM_THREADS="1")
    # --redirects/--tee: torch 1.13's launcher cannot parse its own default ("0") on Python 3.11
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", str(nproc), "--redirects", "1", "--tee", "2", "-m", "tabtrain", *args]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)


def _maxdiff(a, b):
    assert sorted(a.tensors) == sorted(b.tensors)
    return max(float(np.abs(a.tensors[k] - b.tensors[k]).max()) for k in a.tensors)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    d = tmp_path_factory.mktemp("roundtrip")
    p = lambda n: str(d / n)
    _ok(tabtrain_ts("train", "--data", IRIS, "--steps", "20", "--batch-size", "16", "--out", p("ts20.ckpt"), "--quiet"))
    _ok(torchrun(2, "resume", p("ts20.ckpt"), "--data", IRIS, "--steps", "60", "--out", p("py60x2.ckpt"), "--quiet"))
    assert main(["resume", p("ts20.ckpt"), "--data", IRIS, "--steps", "60", "--out", p("py60x1.ckpt"), "--quiet"]) == 0  # in-process
    _ok(tabtrain_ts("resume", p("ts20.ckpt"), "--data", IRIS, "--steps", "60", "--out", p("ts60.ckpt"), "--quiet"))
    _ok(tabtrain_ts("resume", p("py60x2.ckpt"), "--data", IRIS, "--steps", "80", "--out", p("ts80.ckpt"), "--quiet"))
    return p


def test_two_processes_match_one(runs):
    assert _maxdiff(read_ckpt(runs("py60x2.ckpt")), read_ckpt(runs("py60x1.ckpt"))) < 1e-5


def test_pytorch_continuation_matches_tabtrain(runs):
    py, ts = read_ckpt(runs("py60x1.ckpt")), read_ckpt(runs("ts60.ckpt"))
    assert _maxdiff(py, ts) < 1e-5
    for key in ("step", "cursor", "rng", "optimizer"):
        assert py.state[key] == ts.state[key], key
    assert [p["step"] for p in py.state["metrics"]["history"]] == [p["step"] for p in ts.state["metrics"]["history"]]


def test_back_in_the_tab_loss_falls_and_lineage_shows_three_segments(runs):
    s20, s60, s80 = (read_ckpt(runs(n)).state for n in ("ts20.ckpt", "py60x2.ckpt", "ts80.ckpt"))
    assert (s20["step"], s60["step"], s80["step"]) == (20, 60, 80)
    assert s80["optimizer"]["updates"] == 80
    assert s20["metrics"]["lossEma"] > s60["metrics"]["lossEma"] > s80["metrics"]["lossEma"]
    lin = s80["lineage"]
    assert lin["resumedAt"] == [20, 60]
    assert lin["segments"] == [{"framework": "pytorch", "version": lin["segments"][0]["version"], "processes": 2, "device": "cpu", "fromStep": 20, "toStep": 60}]
    r = _ok(tabtrain_ts("inspect", runs("ts80.ckpt")))
    assert "steps 0-20: tabtrain" in r.stdout
    assert "steps 20-60: pytorch" in r.stdout and "2 processes on cpu" in r.stdout
    assert "steps 60-80: tabtrain" in r.stdout
    # the data schema tabtrain wrote survives the PyTorch stretch, so the model can still be used
    assert s60["dataset"]["schema"] == s20["dataset"]["schema"] and s60["stateVersion"] == s20["stateVersion"]
    assert s80["dataset"]["schema"]["classes"] == ["setosa", "versicolor", "virginica"]


def test_cli_errors_are_one_line(tmp_path, py):
    r = py("resume", str(tmp_path / "missing.ckpt"), "--data", IRIS)
    assert r.returncode == 1 and r.stderr.strip() == "tabtrain: cannot read checkpoint %s: no such file" % (tmp_path / "missing.ckpt")
    r = py("inspect", IRIS)
    assert r.returncode == 1 and "not a tabtrain checkpoint" in r.stderr and "Traceback" not in r.stderr
    r = py("resume", "x.ckpt", "--bogus")
    assert r.returncode == 2 and "Traceback" not in r.stderr
