"""python -m tabtrain train | resume | fresh | inspect: the TypeScript CLI's commands and options
(docs/cli.md) on PyTorch. Under torchrun every process runs the same command; rank 0 prints and
writes. Errors are one line (exit 1; usage errors exit 2), never a stack trace unless
TABTRAIN_DEBUG=1."""
import argparse
import json
import math
import os
import signal
import sys
import threading
import time

import numpy as np
import torch
import torch.distributed as dist

from .ckpt import CkptError, decode_ckpt, write_ckpt
from .config import ConfigError, make_config
from .data import DatasetError, load_dataset, num_samples
from .models import TabtrainModel, buffer_defs, init_values, param_defs, positions
from .optim import FIELDS, apply_freeze, slot_names
from .plain import PlainError, check_fit, choose_model, foreign_names
from .rng import Cursor, Rng, split_sizes, steps_to_epochs
from .trainer import Run, RunError, new_run_id, validate_state

USAGE = """usage: python -m tabtrain COMMAND ...
  train --data FILE --out FILE.ckpt [--model mlp|cnn|charlm|resnet] [--steps N | --epochs E] [options]
  resume FILE.ckpt --data FILE [--out FILE.ckpt] [--steps N | --more-steps N] [--epochs E | --more-epochs N] [--lr X] [--batch-size B] [...] [--reschedule] [--force]
  fresh FILE.ckpt|FILE.safetensors --data FILE --out NEW.ckpt [train options]
  predict FILE.ckpt (--data FILE | --prompt TEXT [--length N] [--temperature T] [--seed S]) [--json]
  inspect FILE.ckpt [--json]
Distributed: torchrun --nproc-per-node N -m tabtrain resume RUN.ckpt --data FILE --steps S --out OUT.ckpt"""


class UsageError(Exception):
    pass


class Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(message)


def _ints(s):
    try:
        v = [int(x) for x in s.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError("expected comma-separated integers, got '%s'" % s) from None
    if not v or min(v) < 1:
        raise argparse.ArgumentTypeError("expected positive integers, got '%s'" % s)
    return v


def _pos_int(s):
    try:
        v = int(s)
    except ValueError:
        raise argparse.ArgumentTypeError("expected a positive integer, got '%s'" % s) from None
    if v < 1:
        raise argparse.ArgumentTypeError("expected a positive integer, got '%s'" % s)
    return v


def _float(s):
    try:
        v = float(s)
    except ValueError:
        raise argparse.ArgumentTypeError("expected a number, got '%s'" % s) from None
    if not math.isfinite(v):
        raise argparse.ArgumentTypeError("expected a finite number, got '%s'" % s)
    return v


TRAIN_FLAGS = [
    ("model", str, "family"), ("hidden", _ints, "hidden"), ("filters", _ints, "filters"), ("blocks", _pos_int, "blocks"),
    ("context-length", _pos_int, "contextLength"), ("d-model", _pos_int, "dModel"), ("heads", _pos_int, "numHeads"), ("layers", _pos_int, "numLayers"),
    ("batch-size", _pos_int, "batchSize"), ("optimizer", str, "optimizer"), ("seed", int, "seed"), ("schedule", str, "schedule"),
    ("warmup-steps", int, "warmupSteps"), ("schedule-steps", _pos_int, "scheduleSteps"), ("val-fraction", _float, "valFraction"),
    ("clip-norm", _float, "clipNorm"), ("dropout", _float, "dropout"), ("log-every", _pos_int, "logEvery"), ("eval-every", _pos_int, "evalEvery"),
    ("momentum", _float, "momentum"), ("beta1", _float, "beta1"), ("beta2", _float, "beta2"), ("eps", _float, "eps"), ("weight-decay", _float, "weightDecay"),
    ("patience", _pos_int, "patience"), ("stop-if-loss-above", _float, "stopIfLossAbove"), ("by-step", _pos_int, "stopByStep"),
]


# resume: what may change (src/engine/resume-rules.ts) and what is refused (use fresh)
RESUME_APPLY = [
    ("momentum", _float, "momentum"), ("beta1", _float, "beta1"), ("beta2", _float, "beta2"), ("eps", _float, "eps"), ("weight-decay", _float, "weightDecay"),
    ("batch-size", _pos_int, "batchSize"), ("clip-norm", _float, "clipNorm"), ("dropout", _float, "dropout"), ("log-every", _pos_int, "logEvery"),
    ("eval-every", _pos_int, "evalEvery"), ("patience", _pos_int, "patience"), ("stop-if-loss-above", _float, "stopIfLossAbove"), ("by-step", _pos_int, "stopByStep"),
]
RESUME_REFUSE = [
    ("model", str, "family"), ("hidden", _ints, "hidden"), ("filters", _ints, "filters"), ("blocks", _pos_int, "blocks"), ("context-length", _pos_int, "contextLength"),
    ("d-model", _pos_int, "dModel"), ("heads", _pos_int, "numHeads"), ("layers", _pos_int, "numLayers"), ("optimizer", str, "optimizer"), ("seed", int, "seed"),
    ("val-fraction", _float, "valFraction"), ("schedule", str, "schedule"), ("warmup-steps", int, "warmupSteps"), ("schedule-steps", _pos_int, "scheduleSteps"),
    ("label", str, "label"), ("task", str, "task"), ("image-size", _pos_int, "imageSize"), ("channels", int, "channels"), ("freeze", str, "freeze"),
]
DIVERGES = "the run no longer matches an uninterrupted one"


def build_parser():
    p = Parser(prog="python -m tabtrain", add_help=False)
    sub = p.add_subparsers(dest="command", parser_class=Parser)
    common = dict(add_help=True)
    tr = sub.add_parser("train", **common)
    fr = sub.add_parser("fresh", **common)
    fr.add_argument("checkpoint")
    for q in (tr, fr):
        q.add_argument("--data", required=True)
        q.add_argument("--out", required=True)
        q.add_argument("--overwrite", action="store_true")
        q.add_argument("--label")
        q.add_argument("--task", choices=["classification", "regression"])
        q.add_argument("--image-size", type=_pos_int, dest="image_size")
        q.add_argument("--channels", type=int, choices=[1, 3])
        q.add_argument("--steps", type=_pos_int)
        q.add_argument("--epochs", type=_pos_int)
        q.add_argument("--lr", type=_float)
        q.add_argument("--freeze", action="append")
        for flag, typ, _ in TRAIN_FLAGS:
            q.add_argument("--" + flag, type=typ, dest=flag.replace("-", "_"))
    rs = sub.add_parser("resume", **common)
    rs.add_argument("checkpoint")
    rs.add_argument("--data", required=True)
    rs.add_argument("--out")
    rs.add_argument("--steps", type=_pos_int)
    rs.add_argument("--more-steps", type=_pos_int)
    rs.add_argument("--epochs", type=_pos_int)
    rs.add_argument("--more-epochs", type=_pos_int)
    rs.add_argument("--lr", type=_float)
    rs.add_argument("--force", action="store_true")
    rs.add_argument("--reschedule", action="store_true")
    for flag, typ, key in RESUME_APPLY + RESUME_REFUSE:
        rs.add_argument("--" + flag, type=typ, dest=key, action="append" if flag == "freeze" else "store")
    for q in (tr, fr, rs):
        q.add_argument("--checkpoint-every", type=int, default=0)
        q.add_argument("--quiet", action="store_true")
        q.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto", help="where to train (auto: CUDA when available)")
    pr = sub.add_parser("predict", **common)
    pr.add_argument("checkpoint")
    pr.add_argument("--data", help="a dataset like the training one (CSV with the label column, images, text)")
    pr.add_argument("--prompt", help="charlm: text to continue")
    pr.add_argument("--length", type=_pos_int, default=200)
    pr.add_argument("--temperature", type=_float, default=1.0)
    pr.add_argument("--seed", type=int, default=1)
    pr.add_argument("--json", action="store_true")
    pr.add_argument("--device", choices=["auto", "cpu", "cuda"], default="cpu")
    ins = sub.add_parser("inspect", **common)
    ins.add_argument("checkpoint")
    ins.add_argument("--json", action="store_true")
    return p


# -- distributed --------------------------------------------------------------------------------
def setup_distributed(device_opt):
    world = int(os.environ.get("WORLD_SIZE", "1"))
    local = int(os.environ.get("LOCAL_RANK", "0"))
    cuda = device_opt == "cuda" or (device_opt == "auto" and torch.cuda.is_available())
    if device_opt == "cuda" and not torch.cuda.is_available():
        raise RunError("--device cuda: no CUDA device is available here")
    device = "cuda:%d" % local if cuda else "cpu"
    if cuda:
        torch.cuda.set_device(local)
    if world > 1 and not dist.is_initialized():
        dist.init_process_group(backend="nccl" if cuda else "gloo")
    return device, world


def is_main():
    return not (dist.is_available() and dist.is_initialized()) or dist.get_rank() == 0


def say(msg, quiet=False):
    if is_main() and not quiet:
        sys.stderr.write(msg + "\n")
        sys.stderr.flush()


# -- commands -----------------------------------------------------------------------------------
def read_checkpoint(path):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        raise RunError("cannot read checkpoint %s: no such file" % path) from None
    except IsADirectoryError:
        raise RunError("%s is not a tabtrain checkpoint (.ckpt): it is a folder" % path) from None
    except OSError as e:
        raise RunError("cannot read checkpoint %s: %s" % (path, e.strerror)) from None
    try:
        return decode_ckpt(data)
    except CkptError as e:
        if e.code in ("wrong_format", "truncated", "bad_json", "bad_header_length") and not path.endswith(".ckpt"):
            raise RunError("%s is not a tabtrain checkpoint (.ckpt): %s" % (path, e)) from None
        raise RunError("%s: %s" % (path, e)) from None


def check_out(path, overwrite, inp=None):
    d = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(d):
        raise RunError("--out %s: the folder %s does not exist" % (path, d))
    if os.path.isdir(path):
        raise RunError("--out %s is a folder, not a file" % path)
    if inp is not None and os.path.exists(path) and os.path.samefile(path, inp):
        raise RunError("--out %s is the input checkpoint: it would replace the parent; choose another file" % path)
    if os.path.exists(path) and not overwrite:
        raise RunError("--out %s exists; add --overwrite to replace it" % path)


def progress(quiet):
    t0 = [time.time()]

    def on(run, point):
        if quiet or not is_main() or ("trainLoss" not in point and "valLoss" not in point):
            return
        parts = ["step %d" % run.step, "epoch %d" % run.epoch]
        if "trainLoss" in point:
            parts.append("loss %.4f (ema %.4f)" % (point["trainLoss"], point["lossEma"]))
        if "valLoss" in point:
            parts.append("val_loss %.4f" % point["valLoss"])
        if "valAccuracy" in point:
            parts.append("val_acc %.3f" % point["valAccuracy"])
        parts.append("%.1fs" % (time.time() - t0[0]))
        say("  ".join(parts))

    return on


def run_and_save(run, target, out, every, quiet, segment):
    def save(kind):
        state, tensors = run.snapshot(kind, segment)
        if is_main():
            write_ckpt(out, state, tensors)

    def after(r):
        if every and r.step % every == 0:
            save("latest")

    # Ctrl-C: finish the step in flight, save `latest`, exit 130 (as the TypeScript CLI does).
    interrupted = []
    old = signal.signal(signal.SIGINT, lambda *_: interrupted.append(True)) if threading.current_thread() is threading.main_thread() else None
    try:
        result = run.train(target, after_step=after, on_progress=progress(quiet), should_stop=lambda: bool(interrupted))
    finally:
        if old is not None:
            signal.signal(signal.SIGINT, old)
    if result == "stopped":
        save("latest")
        say("interrupted at step %d: saved %s" % (run.step, out))
        raise KeyboardInterrupt
    save("final")
    if run.stop_reason:
        say("stopped early at step %d: %s" % (run.step, run.stop_reason))
    say("wrote %s at step %d (epoch %d)" % (out, run.step, run.epoch), quiet)


def segment_of(run, device):
    return {"framework": "pytorch", "version": torch.__version__, "processes": run.world, "device": device.split(":")[0], "fromStep": run.step}


def cmd_resume(a):
    ck = read_checkpoint(a.checkpoint)
    state = validate_state(ck.state)
    cfg = state["config"]
    if a.steps is not None and a.more_steps is not None:
        raise UsageError("--steps and --more-steps are both a step target: give one")
    if a.epochs is not None and a.more_epochs is not None:
        raise UsageError("--epochs and --more-epochs are both an epoch target: give one")
    opts = cfg.get("data", {})
    ds = load_dataset(a.data, opts.get("label"), opts.get("task"), opts.get("imageSize"), opts.get("channels"))
    if ds["fingerprint"]["sha256"] != state["dataset"]["fingerprint"]["sha256"] and not a.force:
        raise RunError(
            "the dataset changed since this checkpoint was saved (checkpoint: %s; now: %s); start fresh from its weights instead (python -m tabtrain fresh %s --data %s --out NEW.ckpt), or --force"
            % (state["dataset"]["fingerprint"]["summary"], ds["fingerprint"]["summary"], a.checkpoint, a.data)
        )
    steps = a.steps if a.more_steps is None else state["step"] + a.more_steps
    epochs = a.epochs if a.more_epochs is None else state["cursor"]["epoch"] + a.more_epochs
    saved_target = dict(cfg["target"])
    if steps is not None or epochs is not None:
        target = {k: v for k, v in (("steps", steps), ("epochs", epochs)) if v is not None}
        cfg["target"] = target
    apply_resume_changes(a, state, ds, saved_target)
    out = a.out or a.checkpoint
    device, _ = setup_distributed(a.device)
    run = Run(state, ck.tensors, ds, device)
    if run.is_done(cfg["target"]):
        unit = "steps" if cfg["target"].get("steps") is not None and run.step >= cfg["target"]["steps"] else "epochs"
        where = "already at step %d" % run.step if unit == "steps" else "already at epoch %d" % run.epoch
        say("%s; the target (--%s %s) is reached: nothing to train. Use --more-%s N to train further." % (where, unit, cfg["target"][unit], unit))
        return 0
    run.lineage["resumedAt"] = list(run.lineage["resumedAt"]) + [run.step]
    say("resuming at step %d (epoch %d) on %d process%s (%s)" % (run.step, run.epoch, run.world, "" if run.world == 1 else "es", device), a.quiet)
    run_and_save(run, cfg["target"], out, a.checkpoint_every, a.quiet, segment_of(run, device))
    return 0


def _stored(cfg, key):
    """The run's own value of a setting resume refuses to change (the same value is no change)."""
    from .config import family_values

    data, sch = cfg.get("data", {}), cfg["schedule"]
    if key == "family":
        return cfg["model"]["family"]
    if key in ("hidden", "filters", "blocks", "contextLength", "dModel", "numHeads", "numLayers"):
        return family_values(cfg["model"]).get(key)
    if key == "optimizer":
        return cfg["optimizer"]["kind"]
    if key == "schedule":
        return sch["kind"]
    if key == "scheduleSteps":
        return sch.get("totalSteps", sch.get("stepSize"))
    if key == "warmupSteps":
        return sch.get("warmupSteps")
    if key == "imageSize":
        return (data.get("imageSize") or {}).get("height")
    if key in ("label", "task", "channels"):
        return data.get(key)
    return cfg.get(key)


def apply_resume_changes(a, state, ds, saved_target):
    """session.ts resumeConfig: the allowed changes applied with a warning each, the refused ones
    named together; a decaying schedule re-planned for a new batch size or --reschedule."""
    cfg = state["config"]
    refused = ["--" + flag for flag, _, key in RESUME_REFUSE if getattr(a, key) is not None and getattr(a, key) != _stored(cfg, key)]
    opt = cfg["optimizer"]
    own = FIELDS[opt["kind"]]
    for flag, _, key in RESUME_APPLY[:5] + [("lr", None, "lr")]:
        v = getattr(a, key)
        if v is None:
            continue
        if key not in own:
            refused.append("--%s, which %s does not have" % (flag, opt["kind"]))
        elif v != opt[key]:
            say("%s changed from %s to %s: %s" % (flag, opt[key], v, DIVERGES), a.quiet)
            opt[key] = v
    if refused:
        raise RunError("cannot resume with a changed %s: these fix the model, the data or its order; start a new run from these weights with fresh instead" % ", ".join(refused))
    saved_b = cfg["batchSize"]
    for flag, _, key in RESUME_APPLY[5:11]:
        v = getattr(a, key)
        if v is None:
            continue
        was = cfg["model"]["dropout"] if key == "dropout" else cfg.get(key)
        if v != was:
            say("%s changed from %s to %s" % (flag, was, v), a.quiet)
            if key == "dropout":
                cfg["model"]["dropout"] = v
            else:
                cfg[key] = v
    if a.stopIfLossAbove is not None or a.stopByStep is not None:
        was = cfg.get("stopIfLoss") or {}
        above, by = a.stopIfLossAbove if a.stopIfLossAbove is not None else was.get("above"), a.stopByStep if a.stopByStep is not None else was.get("byStep")
        if above is None or by is None:
            raise RunError("cannot resume with these settings: --stop-if-loss-above and --by-step go together")
        cfg["stopIfLoss"] = {"above": above, "byStep": by}
    if cfg["batchSize"] % max(1, int(os.environ.get("WORLD_SIZE", "1"))):
        raise RunError("the batch size %d does not split evenly across %s processes" % (cfg["batchSize"], os.environ.get("WORLD_SIZE")))
    sch = cfg["schedule"]
    num_train = split_sizes(num_samples(ds, positions(cfg["model"])), cfg["valFraction"])[0]
    cur = state["cursor"]

    def planned(b, t):
        total = t.get("steps") if t.get("steps") is not None else math.inf
        if t.get("epochs") is not None:
            total = min(total, state["step"] + steps_to_epochs(cur["epoch"], cur["index"], num_train, b, t["epochs"]))
        return total

    if sch["kind"] in ("cosine", "linear"):
        frm = to = sch["totalSteps"]
        if cfg["batchSize"] != saved_b:
            if frm == planned(saved_b, saved_target):
                to = planned(cfg["batchSize"], saved_target)
            elif frm > state["step"]:
                to = state["step"] + max(1, math.floor((frm - state["step"]) * saved_b / cfg["batchSize"] + 0.5))
        if a.reschedule:
            t = planned(cfg["batchSize"], cfg["target"])
            if math.isfinite(t):
                to = t
        if to != frm and math.isfinite(to):
            say("%s schedule length changed from %d to %d steps" % (sch["kind"], frm, to), a.quiet)
            sch["totalSteps"] = to
    elif a.reschedule:
        say("--reschedule: a %s schedule has no length to stretch; nothing changed" % sch["kind"], a.quiet)


def _options(a):
    o = {}
    for flag, _, key in TRAIN_FLAGS:
        v = getattr(a, flag.replace("-", "_"))
        if v is not None:
            o[key] = v
    for key in ("steps", "epochs", "lr"):
        if getattr(a, key) is not None:
            o[key] = getattr(a, key)
    if a.freeze:
        o["freeze"] = a.freeze
    return o


def new_state(config, ds, tensors, lineage):
    """A new run's state at step 0 (trainer.ts Trainer.create): RNG from the seed, the first permutation drawn."""
    rng = Rng.from_seed(config["seed"])
    num_train, num_val = split_sizes(num_samples(ds, positions(config["model"])), config["valFraction"])
    cursor = Cursor.start(rng, num_train)
    names = sorted(d[0] for d in param_defs(config["model"]))
    trainable, _ = apply_freeze(names, config["freeze"])
    shapes = {d[0]: d[1] for d in param_defs(config["model"])}
    for p in trainable:
        for s in slot_names(config["optimizer"]):
            tensors["optim.%s.%s" % (p, s)] = np.zeros(shapes[p], np.float32)
    return {
        "config": config, "step": 0, "cursor": cursor.state, "optimizer": {"kind": config["optimizer"]["kind"], "updates": 0},
        "schedule": {"lr": config["optimizer"]["lr"]}, "rng": {"algorithm": "xoshiro128**", "state": rng.state},
        "metrics": {"history": [], "best": None, "sinceBest": 0},
        "dataset": {"fingerprint": ds["fingerprint"], "numTrain": num_train, "numVal": num_val}, "lineage": lineage,
        "kind": "latest", "backend": "pytorch", "appVersion": "python", "createdAt": "",
    }


def read_weights(path):
    """model.* tensors from a .ckpt, or from a plain safetensors file (no tabtrain metadata, e.g.
    from PyTorch) whose tensors are named model.<path>: (tensors, parent state or None, metadata).
    As the TypeScript CLI decides: by content, the strict .ckpt decoder first."""
    try:
        ck = read_checkpoint(path)
        return {k: v for k, v in ck.tensors.items() if k.startswith("model.")}, validate_state(ck.state), None
    except RunError as err:
        if not os.path.isfile(path):
            raise
        with open(path, "rb") as f:
            data = f.read()
        try:
            decode_ckpt(data)
        except CkptError as e:
            if e.code != "wrong_format" or len(data) < 9 or data[8:9] != b"{":
                raise err from None
    from safetensors import safe_open

    try:
        with safe_open(path, "np") as f:
            meta = f.metadata() or {}
            t = {k: f.get_tensor(k) for k in f.keys()}
    except Exception as e:  # noqa: BLE001 - safetensors raises several types
        raise RunError("cannot read %s as safetensors: %s" % (path, e)) from None
    foreign = foreign_names(list(t))
    if foreign:
        shown = ", ".join(json.dumps(n)[:60] for n in foreign[:8]) + (", ... (%d in all)" % len(foreign) if len(foreign) > 8 else "")
        raise RunError("%s is neither a tabtrain checkpoint nor weights named model.<path> in tabtrain's layout: unknown tensor names %s (see docs/cli.md \"fresh from plain weights\")" % (path, shown))
    if not t:
        raise RunError("%s has no tensors" % path)
    if not all(np.issubdtype(v.dtype, np.floating) for v in t.values()):
        raise RunError("%s: only float tensors are weights" % path)
    return {k: v.astype(np.float32) for k, v in t.items()}, None, meta


def cmd_train(a, fresh=False):
    check_out(a.out, a.overwrite, a.checkpoint if fresh else None)
    parent_state, weights = None, {}
    meta = None
    if fresh:
        weights, parent_state, meta = read_weights(a.checkpoint)
    data_opts = {k: v for k, v in (("label", a.label), ("task", a.task)) if v is not None}
    if a.image_size is not None:
        data_opts["imageSize"] = {"height": a.image_size, "width": a.image_size}
    if a.channels is not None:
        data_opts["channels"] = a.channels
    ds = load_dataset(a.data, a.label, a.task, data_opts.get("imageSize"), data_opts.get("channels"))
    base = parent_state["config"]["model"] if parent_state else None
    o = _options(a)
    said, square = None, []
    if meta is not None:  # plain weights: no config to keep (plain.py)
        o, said = choose_model(weights, ds["kind"], o)
    config = make_config(ds, o, data_opts, base)
    if meta is not None:
        expected = [("model." + d[0], d[1]) for d in param_defs(config["model"])] + [("model." + d[0], d[1]) for d in buffer_defs(config["model"])]
        square = check_fit(weights, meta, expected, a.checkpoint, config["model"]["family"])
    tensors, loaded, reinit = {}, [], []
    for name, shape, init, _ in param_defs(config["model"]):
        w = weights.get("model." + name)
        if w is not None and list(w.shape) == list(shape):
            tensors["model." + name] = np.asarray(w, np.float32)
            loaded.append(name)
        else:
            if w is not None and sorted(w.shape) == sorted(shape) and len(shape) == 2:
                raise RunError("model.%s has shape %s, expected %s: a PyTorch Linear.weight is [out, in], tabtrain's kernels are [in, out]; transpose it" % (name, list(w.shape), shape))
            if w is not None:
                reinit.append(name)
            tensors["model." + name] = init_values(name, shape, init, config["seed"])
    for name, shape, init in buffer_defs(config["model"]):
        w = weights.get("model." + name)
        tensors["model." + name] = np.asarray(w, np.float32) if w is not None and list(w.shape) == list(shape) else (np.ones if init == "ones" else np.zeros)(shape, np.float32)
    lineage = {"runId": new_run_id(), "origin": "scratch", "resumedAt": []}
    if fresh and parent_state:
        lineage["origin"] = "fresh"
        lineage["parent"] = {"runId": parent_state["lineage"]["runId"], "step": parent_state["step"], "fingerprint": parent_state["dataset"]["fingerprint"]["sha256"]}
    elif fresh:
        lineage["origin"] = "fresh"
    state = new_state(config, ds, tensors, lineage)
    device, _ = setup_distributed(a.device)
    run = Run(state, tensors, ds, device)
    if said:
        # always, as the TypeScript CLI: where the model came from is not progress
        say("fresh from plain weights %s: %s" % (a.checkpoint, said))
        if square:
            say("  note: square kernels loaded as [in, out], their layout cannot be told from the shape: %s (a file from PyTorch's [out, in] says __metadata__ layout=torch)" % ", ".join(square))
    if fresh:
        say("fresh from %s: loaded %s; re-initialised %s" % (a.checkpoint, ", ".join(loaded) or "nothing", ", ".join(reinit) or "nothing"), a.quiet)
    run_and_save(run, config["target"], a.out, a.checkpoint_every, a.quiet, segment_of(run, device))
    return 0


def cmd_predict(a):
    """Eval-mode predictions: per sample of --data (class and probability, or the regression value
    in the label's units), or a charlm continuation of --prompt."""
    ck = read_checkpoint(a.checkpoint)
    s = validate_state(ck.state)
    cfg = s["config"]
    spec = cfg["model"]
    device, _ = setup_distributed(a.device)
    model = TabtrainModel(spec, {k[6:]: v for k, v in ck.tensors.items() if k.startswith("model.")}).to(device)
    model.eval()
    labels = s["dataset"].get("labels")
    if spec["family"] == "charlm":
        if a.prompt is None or not labels:
            raise UsageError("predict with a charlm checkpoint needs --prompt TEXT (and a checkpoint that records its vocabulary)")
        idx = {c: i for i, c in enumerate(labels)}
        unknown = sorted({c for c in a.prompt if c not in idx})
        if unknown:
            raise RunError("the prompt has characters the model never saw: %s" % ", ".join(repr(c) for c in unknown))
        T = spec["contextLength"]
        ids = [idx[c] for c in a.prompt]
        rng = Rng.from_seed(a.seed)
        with torch.no_grad():
            for _ in range(a.length):
                # causal: padding after the prompt does not change the prediction at its last position
                window = (ids + [0] * T)[:T] if len(ids) < T else ids[-T:]
                logits = model(torch.tensor([window], device=device))[min(len(ids), T) - 1].double().cpu()
                if a.temperature <= 0:
                    nxt = int(torch.argmax(logits))
                else:
                    p = torch.softmax(logits / a.temperature, 0).numpy()
                    nxt = min(int(np.searchsorted(np.cumsum(p), rng.next_float() * p.sum(), side="right")), len(p) - 1)
                ids.append(nxt)
        text = "".join(labels[i] for i in ids)
        print(json.dumps({"text": text}) if a.json else text)
        return 0
    if a.data is None:
        raise UsageError("predict needs --data FILE (or --prompt for a charlm checkpoint)")
    opts = cfg.get("data", {})
    ds = load_dataset(a.data, opts.get("label"), opts.get("task"), opts.get("imageSize"), opts.get("channels"))
    if ds["kind"] == "tabular" and ds["numFeatures"] != spec.get("inputSize"):
        raise RunError("%s encodes to %d features, the model takes %d: use a file with the training data's columns" % (a.data, ds["numFeatures"], spec.get("inputSize")))
    rows = []
    with torch.no_grad():
        n = len(ds["x"])
        for i in range(0, n, 256):
            logits = model(torch.as_tensor(ds["x"][i : i + 256]).to(device)).cpu()
            if cfg["task"] == "regression":
                st = ds.get("labelStats", {"mean": 0.0, "std": 1.0})
                rows += [{"sample": i + j, "value": float(v) * st["std"] + st["mean"]} for j, v in enumerate(logits.reshape(-1).tolist())]
            else:
                p = torch.softmax(logits.double(), 1)
                for j in range(len(p)):
                    k = int(torch.argmax(p[j]))
                    rows.append({"sample": i + j, "class": labels[k] if labels else k, "probability": float(p[j, k])})
    if a.json:
        print(json.dumps(rows))
    else:
        print("\n".join("%d\t%s\t%s" % (r["sample"], r.get("class", r.get("value")), "%.4f" % r["probability"] if "probability" in r else "") for r in rows))
    return 0


def cmd_inspect(a):
    ck = read_checkpoint(a.checkpoint)
    s = validate_state(ck.state)
    if a.json:
        tensors = [{"name": n, "dtype": "F32" if t.dtype == np.float32 else "I32", "shape": list(t.shape)} for n, t in ck.tensors.items()]
        print(json.dumps({"file": a.checkpoint, "state": s, "tensors": tensors}, indent=2))
        return 0
    cfg = s["config"]
    n_params = sum(int(np.prod(t.shape)) for n, t in ck.tensors.items() if n.startswith("model."))
    lin = s["lineage"]
    lines = [
        "%s: %s checkpoint, tabtrain %s, %s%s, %s" % (a.checkpoint, s["kind"], s["appVersion"], s["backend"], " (%s)" % s["device"] if s.get("device") else "", s["createdAt"]),
        "model: %s %s" % (cfg["model"]["family"], json.dumps(cfg["model"], separators=(",", ":"))),
        "parameters: %d; position: step %d, epoch %d, sample %d of %d in the epoch" % (n_params, s["step"], s["cursor"]["epoch"], s["cursor"]["index"], s["dataset"]["numTrain"]),
        "optimizer: %s, %d updates; schedule %s, lr now %s" % (json.dumps(cfg["optimizer"]), s["optimizer"]["updates"], json.dumps(cfg["schedule"]), s["schedule"]["lr"]),
        "dataset: %s" % s["dataset"]["fingerprint"]["summary"],
        "lineage: run %s, %s%s" % (lin["runId"], lin["origin"], ", resumed at steps %s" % ", ".join(map(str, lin["resumedAt"])) if lin["resumedAt"] else ""),
    ]
    for seg in lin.get("segments", []):
        lines.append("  %s %s: steps %d-%d, %d process(es), %s" % (seg["framework"], seg.get("version", ""), seg["fromStep"], seg["toStep"], seg["processes"], seg["device"]))
    print("\n".join(lines))
    return 0


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(USAGE)
        return 0 if argv else 2
    try:
        a = build_parser().parse_args(argv)
        if a.command == "inspect":
            return cmd_inspect(a)
        if a.command == "resume":
            return cmd_resume(a)
        if a.command == "predict":
            return cmd_predict(a)
        if a.command in ("train", "fresh"):
            return cmd_train(a, fresh=a.command == "fresh")
        raise UsageError("unknown command '%s' (expected train, resume, fresh, predict or inspect)" % argv[0])
    except UsageError as e:
        msg = str(e)
        sys.stderr.write("tabtrain: %s\n%s\n" % (msg, USAGE.splitlines()[0]))
        return 2
    except (RunError, CkptError, DatasetError, ConfigError, PlainError, ValueError) as e:
        if os.environ.get("TABTRAIN_DEBUG"):
            raise
        sys.stderr.write("tabtrain: %s\n" % e)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `... | head`: the reader has gone; nothing to report
        sys.stdout = open(os.devnull, "w")
        return 0
    except Exception as e:  # noqa: BLE001 - a bug or a file nobody checked for: one line, not a stack
        if os.environ.get("TABTRAIN_DEBUG"):
            raise
        sys.stderr.write("tabtrain: internal error: %s: %s (set TABTRAIN_DEBUG=1 for the stack)\n" % (type(e).__name__, e))
        return 1
    finally:
        if dist.is_available() and dist.is_initialized():
            dist.destroy_process_group()
