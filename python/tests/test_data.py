"""The Python parsers against tabtrain's on the sample datasets: the same features (values, order,
names), labels, classes and fingerprint."""
import json
import os

import numpy as np
import pytest

from conftest import ROOT, run_tsx
from tabtrain.data import load_dataset

SAMPLES = os.path.join(ROOT, "public", "samples")


@pytest.mark.parametrize("name", ["iris.csv", "penguins.csv", "titanic.csv"])
def test_csv_like_tabtrain(tmp_path, name):
    out = tmp_path / "ref.json"
    run_tsx("test/support/py-reference.ts", "parse", os.path.join(SAMPLES, name), str(out))
    ref = json.loads(out.read_text())
    ds = load_dataset(os.path.join(SAMPLES, name))
    assert ds["featureNames"] == ref["featureNames"]
    assert ds["classes"] == ref["classes"] and ds["task"] == ref["task"]
    assert ds["fingerprint"] == ref["fingerprint"]
    np.testing.assert_array_equal(ds["y"], np.array(ref["y"]))
    x = np.array(ref["x"], np.float32).reshape(ref["numRows"], ref["numFeatures"])
    assert ds["x"].shape == x.shape
    assert np.abs(ds["x"] - x).max() == 0


def test_text_like_tabtrain(tmp_path):
    src = tmp_path / "t.txt"
    src.write_bytes("héllo\r\nwörld 🙂 ok\r\n".encode() * 5)
    out = tmp_path / "ref.json"
    run_tsx("test/support/py-reference.ts", "parse", str(src), str(out))
    ref = json.loads(out.read_text())
    ds = load_dataset(str(src))
    assert ds["vocab"] == ref["vocab"]
    assert ds["ids"].tolist() == ref["ids"]
    assert ds["fingerprint"] == ref["fingerprint"]
