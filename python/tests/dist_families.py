"""Run under torchrun by test_distributed.py: continues every family's reference checkpoint
(py-reference.ts) STEPS steps on this process group; rank 0 writes OUT_DIR/FAMILY.ckpt."""
import os
import sys

import torch.distributed as dist

sys.path.insert(0, os.path.dirname(__file__))
from conftest import load_dataset_json  # noqa: E402
from tabtrain.ckpt import read_ckpt, write_ckpt  # noqa: E402
from tabtrain.trainer import Run  # noqa: E402


def continue_families(ref_dir, out_dir, steps):
    for family in ("mlp", "cnn", "charlm", "resnet"):
        c = read_ckpt(os.path.join(ref_dir, "%s.before.ckpt" % family))
        run = Run(c.state, c.tensors, load_dataset_json(os.path.join(ref_dir, "%s.data.json" % family)))
        for _ in range(steps):
            run.step_once()
        state, tensors = run.snapshot("latest")
        if not dist.is_initialized() or dist.get_rank() == 0:
            write_ckpt(os.path.join(out_dir, "%s.ckpt" % family), state, tensors)


if __name__ == "__main__":
    ref_dir, out_dir, steps = sys.argv[1], sys.argv[2], int(sys.argv[3])
    dist.init_process_group("gloo")
    continue_families(ref_dir, out_dir, steps)
    dist.destroy_process_group()
