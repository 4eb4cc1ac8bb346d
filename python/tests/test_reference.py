"""PyTorch against the TypeScript engine on the same checkpoints (test/support/py-reference.ts):
logits, one training step (weights, optimizer slots, batch-norm buffers, update count, cursor,
RNG), and the data order over two epochs from a mid-epoch position."""
import json
import os

import numpy as np
import pytest
import torch

from conftest import load_dataset_json
from tabtrain.ckpt import read_ckpt
from tabtrain.data import batch
from tabtrain.rng import Cursor, Rng
from tabtrain.trainer import Run

FAMILIES = ["mlp", "cnn", "charlm", "resnet"]
TOL = 1e-5


def _run(reference, family, kind="before"):
    c = read_ckpt(os.path.join(reference, "%s.%s.ckpt" % (family, kind)))
    ds = load_dataset_json(os.path.join(reference, "%s.data.json" % family))
    return c, Run(c.state, c.tensors, ds), ds


@pytest.mark.parametrize("family", FAMILIES)
def test_logits_match_tabtrain(reference, family):
    c, run, ds = _run(reference, family)
    ref = json.load(open(os.path.join(reference, "%s.logits.json" % family)))
    x, _ = batch(ds, np.array(ref["sampleIds"]), run.T)
    xt = torch.as_tensor(x)
    if ds["kind"] != "text":
        xt = xt.to(torch.float32)
    with torch.no_grad():
        logits = run.model(xt).numpy()
    assert list(logits.shape) == ref["shape"]
    diff = np.abs(logits.reshape(-1) - np.array(ref["logits"], np.float32)).max()
    assert diff < TOL, "%s logits differ by %g" % (family, diff)
    # and the logits are not trivially equal (a model that ignored its weights would fail above,
    # but one that ignored its input would not): different samples give different logits
    assert np.abs(logits[0] - logits[1]).max() > 1e-4


@pytest.mark.parametrize("family", FAMILIES)
def test_one_step_matches_tabtrain(reference, family):
    before, run, _ = _run(reference, family)
    after = read_ckpt(os.path.join(reference, "%s.after.ckpt" % family))
    run.step_once()
    state, tensors = run.snapshot("latest")
    tensors = dict(tensors)
    assert sorted(tensors) == sorted(after.tensors)
    moved = 0
    for name, want in after.tensors.items():
        diff = np.abs(tensors[name] - want).max()
        assert diff < TOL, "%s: %s differs by %g" % (family, name, diff)
        moved += int(np.abs(want - before.tensors[name]).max() > 1e-4)
    assert moved > len(after.tensors) // 3, "the step moved too little to test anything"
    for key in ("step", "cursor", "rng", "optimizer"):
        assert state[key] == after.state[key], key
    assert state["schedule"]["lr"] == pytest.approx(after.state["schedule"]["lr"], rel=1e-12)


def test_data_order_two_epochs_from_mid_epoch(reference):
    ref = json.loads((reference / "order.json").read_text())
    start = ref["start"]
    assert start["cursor"]["epoch"] == 0 and 0 < start["cursor"]["index"] < ref["numTrain"]
    rng = Rng(start["rng"])
    cursor = Cursor.restore(start["cursor"], ref["numTrain"])
    epochs = set()
    for want in ref["steps"]:
        got = cursor.next(ref["batch"], rng).tolist()
        assert got == want["positions"]
        assert rng.next_u32() == want["dropoutSeed"]
        assert (cursor.epoch, cursor.index) == (want["epoch"], want["index"])
        epochs.add(cursor.epoch)
    assert {1, 2} <= epochs
