"""DistributedDataParallel on gloo: every family (batch norm and dropout included) continued on 2
processes matches the same continuation on 1, step for step in state and within 1e-5 in weights."""
import os
import subprocess
import sys

import numpy as np

from conftest import ROOT
from dist_families import continue_families
from tabtrain.ckpt import read_ckpt

STEPS = 3


def test_two_processes_match_one_for_every_family(reference, tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    two.mkdir()
    continue_families(str(reference), str(one), STEPS)
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python"), OMP_NUM_THREADS="1")
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", "--redirects", "1", "--tee", "2",
           os.path.join(os.path.dirname(__file__), "dist_families.py"), str(reference), str(two), str(STEPS)]
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    for family in ("mlp", "cnn", "charlm", "resnet"):
        a, b = read_ckpt(str(one / ("%s.ckpt" % family))), read_ckpt(str(two / ("%s.ckpt" % family)))
        assert a.state["device"].endswith("1 process") and b.state["device"].endswith("2 processes")
        for key in ("step", "cursor", "rng", "optimizer"):
            assert a.state[key] == b.state[key], (family, key)
        for k in a.tensors:
            assert np.abs(a.tensors[k] - b.tensors[k]).max() < 1e-5, (family, k)
