"""A tabtrain run in PyTorch: the state of a checkpoint on torch tensors, trained with the same
data order, dropout masks, optimizer and schedule as src/engine/trainer.ts, and written back as a
.ckpt the TypeScript engine resumes. With torch.distributed initialised (torchrun), every rank
draws the same global batch and trains on its contiguous share under DistributedDataParallel."""
import datetime
import json
import math
import uuid

import numpy as np
import torch
import torch.distributed as dist

from . import __version__
from .data import batch as data_batch, labels_of, num_samples
from .models import Dropout, TabtrainModel, buffer_defs, param_defs, positions
from .optim import Optimizer, apply_freeze, lr_at, slot_names
from .rng import Cursor, Rng, split_indices, steps_to_epochs

LOSS_EMA_BETA = 0.9
MAX_HISTORY = 1000
MAX_EVAL_SAMPLES = 512
STATE_KEYS = ("config", "step", "cursor", "optimizer", "schedule", "rng", "metrics", "dataset", "lineage", "kind", "backend", "appVersion", "createdAt")


class RunError(Exception):
    """A refused run (bad checkpoint state, a dataset that does not fit): one line for people."""


def validate_state(s):
    """The checks of src/engine/state.ts validateState that resume relies on."""
    def fail(what):
        raise RunError("checkpoint state: " + what)

    if not isinstance(s, dict):
        fail("not an object")
    for k in STATE_KEYS:
        if k not in s:
            fail("missing " + k)
    c = s["config"]
    if not isinstance(c, dict) or not isinstance(c.get("model"), dict) or not isinstance(c.get("optimizer"), dict):
        fail("missing config")
    cur = s["cursor"]
    u32 = lambda v: isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 0xFFFFFFFF
    if not isinstance(cur, dict) or not isinstance(cur.get("epochRng"), list) or len(cur["epochRng"]) != 4 or not all(map(u32, cur["epochRng"])):
        fail("cursor must be {epoch, index, epochRng: four u32}")
    r = s["rng"]
    if not isinstance(r, dict) or r.get("algorithm") != "xoshiro128**" or not isinstance(r.get("state"), list) or len(r["state"]) != 4 or not all(map(u32, r["state"])):
        fail('rng must be {algorithm: "xoshiro128**", state: four u32}')
    nat = lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0
    num = lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
    if not nat(s["step"]):
        fail("step is not a non-negative integer")
    if not (nat(cur.get("epoch")) and nat(cur.get("index"))):
        fail("cursor must be {epoch, index, epochRng: four u32}")
    o = s["optimizer"]
    if not isinstance(o, dict) or not nat(o.get("updates")) or o.get("kind") != c["optimizer"].get("kind"):
        fail("optimizer must be {kind (the config's), updates}")
    if c["model"].get("family") not in ("mlp", "cnn", "charlm", "resnet"):
        fail("config: unknown model family %s (known: mlp, cnn, charlm, resnet)" % c["model"].get("family"))
    if c["optimizer"].get("kind") not in ("adamw", "sgd", "lion") or not all(num(c["optimizer"].get(k)) for k in c["optimizer"] if k != "kind"):
        fail("config: bad optimizer %s" % json.dumps(c["optimizer"]))
    if not isinstance(c.get("schedule"), dict) or c["schedule"].get("kind") not in ("constant", "cosine", "linear", "step"):
        fail("config: bad schedule")
    for k in ("batchSize", "logEvery", "evalEvery"):
        if not (nat(c.get(k)) and c[k] > 0):
            fail("config: %s must be a positive integer" % k)
    if not nat(c.get("seed")) or not num(c.get("valFraction")) or not num(c.get("clipNorm")) or not isinstance(c.get("freeze"), list) or not isinstance(c.get("target"), dict):
        fail("config: seed, valFraction, clipNorm, freeze and target must be set")
    if c.get("task") not in ("classification", "regression", "lm"):
        fail("config: unknown task %s" % c.get("task"))
    m, d, l = s["metrics"], s["dataset"], s["lineage"]
    if not isinstance(m, dict) or not isinstance(m.get("history"), list):
        fail("metrics must be {history: [...], best}")
    if not isinstance(d, dict) or not isinstance(d.get("fingerprint"), dict) or not isinstance(d["fingerprint"].get("sha256"), str):
        fail("dataset.fingerprint missing")
    if not isinstance(l, dict) or not isinstance(l.get("runId"), str) or not isinstance(l.get("resumedAt"), list):
        fail("lineage must be {runId, origin, resumedAt}")
    return s


def record_point(history, point, max_len=MAX_HISTORY):
    """state.ts recordPoint: keep the history evenly spread and bounded."""
    stride = 1 << 30
    for p in history:
        while stride > 1 and p["step"] % stride != 0:
            stride //= 2
    if not history:
        stride = 1
    if len(history) >= max_len / 2 and point["step"] % stride != 0:
        return
    history.append(point)
    while len(history) > max_len:
        stride *= 2
        history[:] = [p for p in history if p["step"] % stride == 0]


def _world():
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


class Run:
    def __init__(self, state, tensors, dataset, device="cpu"):
        """state: a checkpoint's JSON state (validated); tensors: name -> array (model.*, optim.*)."""
        self.state = state
        self.config = state["config"]
        self.spec = self.config["model"]
        self.ds = dataset
        self.device = device
        self.rank, self.world = _world()
        self.T = positions(self.spec)
        n = num_samples(dataset, self.T)
        self.train_ids, self.val_ids = split_indices(n, self.config["valFraction"], self.config["seed"])
        B = self.config["batchSize"]
        if B > len(self.train_ids):
            raise RunError("batch size %d is larger than the %d training samples" % (B, len(self.train_ids)))
        if B % self.world != 0:
            raise RunError("the batch size %d does not split evenly across %d processes: use a process count that divides it" % (B, self.world))
        defs = param_defs(self.spec)
        model_t = {}
        for name, shape, _, _ in defs + [(b[0], b[1], None, None) for b in buffer_defs(self.spec)]:
            key = "model." + name
            if key not in tensors:
                raise RunError("cannot resume: the model does not match the checkpoint: %s is missing" % key)
            if list(np.shape(tensors[key])) != list(shape):
                raise RunError("cannot resume: the model does not match the checkpoint: %s has shape %s, expected %s" % (key, list(np.shape(tensors[key])), shape))
            model_t[name] = tensors[key]
        extra = [k for k in tensors if k.startswith("model.") and k[6:] not in model_t]
        if extra:
            raise RunError("cannot resume: the model does not match the checkpoint: unexpected %s" % ", ".join(extra))
        self.model = TabtrainModel(self.spec, model_t).to(device)
        names = sorted(d[0] for d in defs)
        self.trainable, frozen = apply_freeze(names, self.config.get("freeze", []))
        for n_ in frozen:
            self.model.tensor(n_).requires_grad_(False)
        decays = {d[0]: d[3] for d in defs}
        slots = {}
        for p in self.trainable:
            for s in slot_names(self.config["optimizer"]):
                key = "optim.%s.%s" % (p, s)
                if key not in tensors:
                    raise RunError("cannot resume: optimizer state %s is missing from the checkpoint" % key)
                slots["%s.%s" % (p, s)] = torch.as_tensor(np.array(tensors[key], np.float32)).to(device)
        self.opt = Optimizer(self.config["optimizer"], self.trainable, decays, self.config["clipNorm"], slots, state["optimizer"]["updates"])
        self.step = state["step"]
        self.rng = Rng(state["rng"]["state"])
        self.cursor = Cursor.restore(state["cursor"], len(self.train_ids))
        m = state["metrics"]
        self.history = list(m["history"])
        self.best = m.get("best")
        self.loss_ema = m.get("lossEma")
        self.since_best = m.get("sinceBest", 0)
        self.lineage = dict(state["lineage"])
        self.last_loss = None
        self.stop_reason = None
        self.ddp = None
        if self.world > 1:
            self.ddp = torch.nn.parallel.DistributedDataParallel(self.model, device_ids=[torch.device(device).index] if device.startswith("cuda") else None)

    # -- position and target ------------------------------------------------------------------
    @property
    def epoch(self):
        return self.cursor.epoch

    def total_steps(self, target):
        total = math.inf
        if target.get("steps") is not None:
            total = target["steps"]
        if target.get("epochs") is not None:
            total = min(total, self.step + steps_to_epochs(self.cursor.epoch, self.cursor.index, len(self.train_ids), self.config["batchSize"], target["epochs"]))
        return total

    def is_done(self, target):
        if target.get("steps") is not None and self.step >= target["steps"]:
            return True
        if target.get("epochs") is not None and self.epoch >= target["epochs"]:
            return True
        return False

    def lr(self):
        return lr_at(self.config["schedule"], self.config["optimizer"]["lr"], self.step)

    # -- one step -----------------------------------------------------------------------------
    def _tensors(self, x, y):
        xt = torch.as_tensor(x).to(self.device)
        yt = torch.as_tensor(y).to(self.device)
        if self.ds["kind"] != "text":
            xt = xt.to(torch.float32)
        return xt, yt

    def loss_of(self, logits, y):
        if self.config["task"] == "regression":
            return torch.mean((logits.reshape(-1) - y.to(torch.float32)) ** 2)
        return -torch.mean(torch.log_softmax(logits, dim=1).gather(1, y.long().reshape(-1, 1)))

    def step_once(self):
        B = self.config["batchSize"]
        pos = self.cursor.next(B, self.rng)
        sample_ids = self.train_ids[pos]
        dropout_seed = self.rng.next_u32()
        lr = self.lr()
        b = B // self.world
        mine = sample_ids[self.rank * b : (self.rank + 1) * b]
        x, y = self._tensors(*data_batch(self.ds, mine, self.T))
        drop = Dropout(self.spec["dropout"], True, dropout_seed, self.rank, self.world)
        new_buffers = {}
        module = self.ddp or self.model
        for p in self.model.parameters():
            p.grad = None
        logits = module(x, training=True, dropout=drop, new_buffers=new_buffers, world=self.world)
        loss = self.loss_of(logits, y)
        loss.backward()
        params = {n: self.model.tensor(n) for n in self.trainable}
        grads = {n: params[n].grad for n in self.trainable}
        self.opt.apply(params, grads, lr)
        with torch.no_grad():
            for n, v in new_buffers.items():
                self.model.tensor(n).copy_(v)
        loss = loss.detach()
        if self.world > 1:
            dist.all_reduce(loss)
            loss = loss / self.world
        self.last_loss = float(loss)
        self.step += 1
        return lr

    # -- evaluation (every rank computes the same numbers) -------------------------------------
    @torch.no_grad()
    def evaluate(self):
        ids = self.val_ids[:MAX_EVAL_SAMPLES]
        B = self.config["batchSize"]
        classify = self.config["task"] != "regression"
        loss_sum = torch.zeros((), dtype=torch.float32)
        correct = torch.zeros((), dtype=torch.float32)
        count = 0
        for i in range(0, len(ids), B):
            chunk = ids[i : i + B]
            x, y = self._tensors(*data_batch(self.ds, chunk, self.T))
            logits = self.model(x, training=False)
            if not classify:
                loss_sum = loss_sum + torch.sum((logits.reshape(-1) - y) ** 2).cpu()
            else:
                loss_sum = loss_sum + (-torch.sum(torch.log_softmax(logits, 1).gather(1, y.long().reshape(-1, 1)))).cpu()
                correct = correct + torch.sum((torch.argmax(logits, 1) == y.long()).to(torch.float32)).cpu()
            count += len(chunk) * self.T
        out = {"valLoss": float(loss_sum) / count}
        if classify:
            out["valAccuracy"] = float(correct) / count
        return out

    # -- the loop -----------------------------------------------------------------------------
    def train(self, target, after_step=None, on_progress=None, should_stop=None):
        """Trains to the target; 'stopped' when should_stop() asked for it between two steps."""
        cfg = self.config
        patience, stop_if = cfg.get("patience"), cfg.get("stopIfLoss")
        self.stop_reason = None
        while not self.is_done(target):
            if should_stop and should_stop():
                return "stopped"
            lr = self.step_once()
            point = {"step": self.step, "epoch": self.epoch}
            record, reason = False, None
            check_loss = stop_if is not None and self.step == stop_if["byStep"]
            if self.step % cfg["logEvery"] == 0 or check_loss:
                loss = self.last_loss
                if not math.isfinite(loss):
                    raise RunError("training diverged at step %d: the loss is %s" % (self.step, loss))
                self.loss_ema = loss if self.loss_ema is None else LOSS_EMA_BETA * self.loss_ema + (1 - LOSS_EMA_BETA) * loss
                point.update(trainLoss=loss, lossEma=self.loss_ema, lr=lr)
                record = True
            if check_loss and self.loss_ema > stop_if["above"]:
                reason = "the training loss EMA %.4f is still above %s at step %d" % (self.loss_ema, stop_if["above"], self.step)
            end = reason is not None or self.is_done(cfg["target"])
            if len(self.val_ids) > 0 and (self.step % cfg["evalEvery"] == 0 or end):
                point.update(self.evaluate())
                if math.isfinite(point["valLoss"]) and (self.best is None or point["valLoss"] < self.best["valLoss"]):
                    self.best = dict(point)
                    self.since_best = 0
                else:
                    self.since_best += 1
                if reason is None and patience is not None and self.since_best >= patience:
                    reason = "%d evaluations without a new best validation loss" % self.since_best
                record = True
            if record:
                record_point(self.history, point)
            if on_progress:
                on_progress(self, point)
            if after_step:
                after_step(self)
            if reason:
                self.stop_reason = reason
                return "done"
        return "done"

    # -- back to a checkpoint -----------------------------------------------------------------
    def snapshot(self, kind, segment=None):
        """(state, [(name, float32 array)]): tensors model.* then optim.*, each sorted by name."""
        model = self.model.named()
        tensors = [("model." + n, model[n].detach().cpu().numpy().astype(np.float32)) for n in sorted(model)]
        tensors += [("optim." + k, self.opt.slots[k].detach().cpu().numpy().astype(np.float32)) for k in sorted(self.opt.slots)]
        for name, a in tensors:
            if not np.all(np.isfinite(a)):
                raise RunError("training diverged by step %d: %s holds NaN or Infinity; the last good checkpoint is kept" % (self.step, name))
        lineage = dict(self.lineage)
        lineage["resumedAt"] = list(lineage["resumedAt"])
        if segment is not None:
            segs = list(lineage.get("segments", []))
            segs.append(dict(segment, toStep=self.step))
            lineage["segments"] = segs
        metrics = {"history": [dict(p) for p in self.history], "best": self.best, "sinceBest": self.since_best}
        if self.loss_ema is not None:
            metrics["lossEma"] = self.loss_ema
        fp = self.state["dataset"]["fingerprint"] if self.state["dataset"]["fingerprint"]["sha256"] == self.ds["fingerprint"]["sha256"] else self.ds["fingerprint"]
        ds_info = {"fingerprint": fp, "numTrain": len(self.train_ids), "numVal": len(self.val_ids)}
        labels = labels_of(self.ds)
        if labels is not None:
            ds_info["labels"] = labels
        # the data schema tabtrain wrote (state version 2) stays with the same data; Python does not make one
        parent_ds = self.state.get("dataset") or {}
        same_data = fp is parent_ds.get("fingerprint")
        if same_data and "schema" in parent_ds:
            ds_info["schema"] = parent_ds["schema"]
        state = {
            "config": self.config,
            "step": self.step,
            "cursor": self.cursor.state,
            "optimizer": {"kind": self.config["optimizer"]["kind"], "updates": self.opt.updates},
            "schedule": {"lr": self.lr()},
            "rng": {"algorithm": "xoshiro128**", "state": self.rng.state},
            "metrics": metrics,
            "dataset": ds_info,
            "lineage": lineage,
            "kind": kind,
            "backend": "pytorch",
            "device": "%s, %d process%s" % (self.device, self.world, "" if self.world == 1 else "es"),
            "appVersion": "python-%s (torch %s)" % (__version__, torch.__version__),
            "createdAt": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
        }
        if "schema" in ds_info and "stateVersion" in self.state:
            state["stateVersion"] = self.state["stateVersion"]
        return state, tensors


def new_run_id():
    return str(uuid.uuid4())
