"""python -m tabtrain train and fresh: a new run in PyTorch is tabtrain's new run (same init,
split, defaults, data order), and fresh takes weights from a .ckpt or a plain safetensors file."""
import json
import os

import numpy as np
import pytest

from conftest import ROOT, tabtrain_ts
from tabtrain.ckpt import read_ckpt

IRIS = os.path.join(ROOT, "public", "samples", "iris.csv")


def _ok(r):
    assert r.returncode == 0, "exit %d\n%s%s" % (r.returncode, r.stdout, r.stderr)
    return r


@pytest.mark.parametrize("extra", [[], ["--optimizer", "sgd", "--schedule", "cosine", "--dropout", "0.2", "--hidden", "7"]])
def test_train_from_scratch_matches_tabtrain(tmp_path, extra, py):
    args = ["--data", IRIS, "--steps", "6", "--batch-size", "8", "--seed", "5", "--quiet", *extra]
    _ok(tabtrain_ts("train", *args, "--out", str(tmp_path / "ts.ckpt")))
    _ok(py("train", *args, "--out", str(tmp_path / "py.ckpt")))
    ts, py = read_ckpt(str(tmp_path / "ts.ckpt")), read_ckpt(str(tmp_path / "py.ckpt"))
    assert py.state["config"] == ts.state["config"]
    assert sorted(py.tensors) == sorted(ts.tensors)
    for k in ts.tensors:
        assert np.abs(py.tensors[k] - ts.tensors[k]).max() < 1e-5, k
    for key in ("step", "cursor", "rng", "optimizer"):
        assert py.state[key] == ts.state[key], key
    # the data schema (state version 2) is tabtrain's; the Python side does not write it yet
    ts_dataset = {k: v for k, v in ts.state["dataset"].items() if k != "schema"}
    assert py.state["dataset"] == ts_dataset


def test_fresh_from_plain_safetensors_and_transposed_kernel_refused(tmp_path, py):
    from safetensors.numpy import save_file

    _ok(py("train", "--data", IRIS, "--steps", "2", "--hidden", "5", "--out", str(tmp_path / "a.ckpt"), "--quiet"))
    a = read_ckpt(str(tmp_path / "a.ckpt"))
    plain = {k: v for k, v in a.tensors.items() if k.startswith("model.")}
    save_file(plain, str(tmp_path / "plain.safetensors"))
    r = _ok(py("fresh", str(tmp_path / "plain.safetensors"), "--data", IRIS, "--hidden", "5", "--steps", "1", "--lr", "1e-9", "--out", str(tmp_path / "b.ckpt")))
    assert "re-initialised nothing" in r.stderr
    b = read_ckpt(str(tmp_path / "b.ckpt"))
    assert np.abs(b.tensors["model.layers.0.kernel"] - plain["model.layers.0.kernel"]).max() < 1e-6
    assert b.state["lineage"]["origin"] == "fresh"
    # PyTorch's Linear layout [out, in] for a [4, 5] kernel: refused with the reason
    plain["model.layers.0.kernel"] = np.ascontiguousarray(plain["model.layers.0.kernel"].T)
    save_file(plain, str(tmp_path / "torch-layout.safetensors"))
    r = py("fresh", str(tmp_path / "torch-layout.safetensors"), "--data", IRIS, "--hidden", "5", "--steps", "1", "--out", str(tmp_path / "c.ckpt"))
    assert r.returncode == 1 and "transpose" in r.stderr and "Traceback" not in r.stderr



def test_fresh_from_plain_weights_as_the_typescript_cli(tmp_path, py):
    """docs/cli.md "Fresh from plain weights": sizes inferred and said, unknown names refused
    naming them, a file saying layout=torch refused even for a square kernel; the same lines
    as `tabtrain fresh` (test/unit/fresh-plain.test.ts)."""
    import torch
    from safetensors.torch import save_file

    from tabtrain.models import TabtrainModel, init_values, param_defs

    spec = {"family": "mlp", "inputSize": 4, "hidden": [12, 12], "outputSize": 3, "dropout": 0}
    m = TabtrainModel(spec, {n: init_values(n, s, i, 7) for n, s, i, _ in param_defs(spec)})
    sd = {"model." + n: m.tensor(n).detach().contiguous() for n in m.param_names}
    save_file(sd, str(tmp_path / "w.safetensors"))
    lines = []
    for side, run in (("py", py), ("ts", tabtrain_ts)):
        r = _ok(run("fresh", str(tmp_path / "w.safetensors"), "--data", IRIS, "--steps", "1", "--out", str(tmp_path / (side + ".ckpt")), "--quiet"))
        lines.append([l for l in r.stderr.splitlines() if l.startswith(("fresh from plain", "  note:"))])
    assert lines[0] == lines[1] and "--hidden 12,12 (inferred from the shapes)" in lines[0][0]
    assert read_ckpt(str(tmp_path / "py.ckpt")).state["config"]["model"]["hidden"] == [12, 12]
    save_file(sd, str(tmp_path / "t.safetensors"), metadata={"layout": "torch"})
    save_file({"fc1.weight": torch.zeros(12, 4)}, str(tmp_path / "u.safetensors"))
    save_file(dict(sd, **{"model.extra.scale": torch.zeros(3)}), str(tmp_path / "x.safetensors"))
    for f, want in (("t", "the file says its kernels are in PyTorch's layout"), ("u", 'unknown tensor names "fc1.weight"'), ("x", "tensors the mlp model has no place for: model.extra.scale")):
        errs = [run("fresh", str(tmp_path / (f + ".safetensors")), "--data", IRIS, "--steps", "1", "--out", str(tmp_path / "n.ckpt")) for run in (py, tabtrain_ts)]
        assert all(r.returncode == 1 and want in r.stderr and "Traceback" not in r.stderr for r in errs), (f, [r.stderr for r in errs])
        msg = [[l for l in r.stderr.splitlines() if l.startswith("tabtrain: ")][-1] for r in errs]
        assert msg[0][len("tabtrain: "):] == msg[1][len("tabtrain: error: "):], f  # the same message


def test_predict(tmp_path, py):
    import json

    _ok(py("train", "--data", IRIS, "--steps", "60", "--out", str(tmp_path / "i.ckpt"), "--quiet"))
    rows = json.loads(_ok(py("predict", str(tmp_path / "i.ckpt"), "--data", IRIS, "--json")).stdout)
    assert len(rows) == 150
    truth = [line.rsplit(",", 1)[1].strip() for line in open(IRIS).read().strip().splitlines()[1:]]
    assert sum(r["class"] == t for r, t in zip(rows, truth)) / 150 > 0.9
    text = tmp_path / "t.txt"
    text.write_text("abcabcabd " * 60)
    _ok(py("train", "--data", str(text), "--steps", "40", "--context-length", "8", "--d-model", "8", "--lr", "0.02", "--out", str(tmp_path / "t.ckpt"), "--quiet"))
    out = json.loads(_ok(py("predict", str(tmp_path / "t.ckpt"), "--prompt", "abca", "--length", "12", "--temperature", "0", "--json")).stdout)["text"]
    assert out.startswith("abca") and len(out) == 16 and set(out) <= set("abcd ")
    r = py("predict", str(tmp_path / "t.ckpt"), "--prompt", "xyz")
    assert r.returncode == 1 and "never saw" in r.stderr


def test_hostile_state_is_refused_in_one_line(tmp_path, py):
    from tabtrain.ckpt import write_ckpt

    ok = read_ckpt(os.path.join(ROOT, "test", "fixtures", "ckpt", "ok.mlp.ckpt"))
    for mutate, words in (
        (lambda s: s["config"]["model"].update(family="gpt9"), "unknown model family gpt9"),
        (lambda s: s.update(step=-1), "step is not"),
        (lambda s: s["config"].update(batchSize="8"), "batchSize"),
        (lambda s: s["cursor"].update(epochRng=[1, 2]), "cursor must be"),
    ):
        state = json.loads(json.dumps(ok.state))
        mutate(state)
        write_ckpt(str(tmp_path / "bad.ckpt"), state, ok.tensors)
        r = py("resume", str(tmp_path / "bad.ckpt"), "--data", IRIS)
        assert r.returncode == 1 and words in r.stderr and "Traceback" not in r.stderr, r.stderr
        assert len(r.stderr.strip().splitlines()) == 1


def test_resume_changes_like_tabtrain(tmp_path, py):
    """A resume that changes what tabtrain allows (batch size, weight decay, clip norm, a cosine
    schedule re-planned with --reschedule) continues as tabtrain's does; a fixed setting is refused."""
    _ok(tabtrain_ts("train", "--data", IRIS, "--steps", "10", "--batch-size", "12", "--schedule", "cosine", "--out", str(tmp_path / "a.ckpt"), "--quiet"))
    change = ["--data", IRIS, "--steps", "16", "--batch-size", "8", "--weight-decay", "0.05", "--clip-norm", "0.5", "--reschedule", "--quiet"]
    _ok(tabtrain_ts("resume", str(tmp_path / "a.ckpt"), *change, "--out", str(tmp_path / "ts.ckpt")))
    _ok(py("resume", str(tmp_path / "a.ckpt"), *change, "--out", str(tmp_path / "py.ckpt")))
    ts, pyc = read_ckpt(str(tmp_path / "ts.ckpt")), read_ckpt(str(tmp_path / "py.ckpt"))
    assert pyc.state["config"] == ts.state["config"]
    assert pyc.state["config"]["schedule"]["totalSteps"] == 16 and pyc.state["config"]["batchSize"] == 8
    for key in ("step", "cursor", "rng", "optimizer", "schedule"):
        assert pyc.state[key] == ts.state[key], key
    for k in ts.tensors:
        assert np.abs(pyc.tensors[k] - ts.tensors[k]).max() < 1e-5, k
    r = py("resume", str(tmp_path / "a.ckpt"), "--data", IRIS, "--hidden", "3,3", "--seed", "1", "--momentum", "0.5")
    assert r.returncode == 1 and "--hidden" in r.stderr and "--momentum, which adamw does not have" in r.stderr and "seed" not in r.stderr
