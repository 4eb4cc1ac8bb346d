"""AdamW, SGD and Lion with tabtrain's formulas, op order and state (slots per parameter, the
integer update count), clipping by global norm, the LR schedules and freeze patterns
(src/engine/optim/, schedule.ts, freeze.ts; docs/model-math.md)."""
import math
import re

import torch

SLOTS = {"adamw": lambda cfg: ["m", "v"], "sgd": lambda cfg: ["momentum"] if cfg["momentum"] > 0 else [], "lion": lambda cfg: ["m"]}
DEFAULTS = {
    "adamw": lambda o, text: {"kind": "adamw", "lr": o.get("lr", 3e-3 if text else 1e-2), "beta1": o.get("beta1", 0.9), "beta2": o.get("beta2", 0.999), "eps": o.get("eps", 1e-8), "weightDecay": o.get("weightDecay", 0.01)},
    "sgd": lambda o, text: {"kind": "sgd", "lr": o.get("lr", 0.05), "momentum": o.get("momentum", 0.9), "weightDecay": o.get("weightDecay", 0)},
    "lion": lambda o, text: {"kind": "lion", "lr": o.get("lr", 3e-4 if text else 1e-3), "beta1": o.get("beta1", 0.9), "beta2": o.get("beta2", 0.99), "weightDecay": o.get("weightDecay", 0.01)},
}
FIELDS = {"adamw": ["lr", "beta1", "beta2", "eps", "weightDecay"], "sgd": ["lr", "momentum", "weightDecay"], "lion": ["lr", "beta1", "beta2", "weightDecay"]}


def slot_names(cfg):
    if cfg["kind"] not in SLOTS:
        raise ValueError("unknown optimizer %r: known optimizers are %s" % (cfg["kind"], ", ".join(SLOTS)))
    return SLOTS[cfg["kind"]](cfg)


def _f32(v):
    return torch.tensor(v, dtype=torch.float32)


def make_update(cfg, lr, t):
    """The update for the t-th step (t from 1) at this LR: (g, w, slots, decay) -> (w', slots').
    Every scalar is a float32 made from a float64 number, as tf.scalar does."""
    kind = cfg["kind"]
    lr_t = _f32(lr)
    if kind == "adamw":
        b1, b2 = _f32(cfg["beta1"]), _f32(cfg["beta2"])
        omb1, omb2 = _f32(1 - cfg["beta1"]), _f32(1 - cfg["beta2"])
        bc1, bc2 = _f32(1 - math.pow(cfg["beta1"], t)), _f32(1 - math.pow(cfg["beta2"], t))
        eps, decay = _f32(cfg["eps"]), _f32(lr * cfg["weightDecay"])

        def step(g, w, s, decays):
            m2 = b1 * s["m"] + omb1 * g
            v2 = b2 * s["v"] + omb2 * (g * g)
            u = (m2 / bc1) / (torch.sqrt(v2 / bc2) + eps)
            w2 = w - lr_t * u
            if decays and cfg["weightDecay"] > 0:
                w2 = w2 - decay * w
            return w2, {"m": m2, "v": v2}

        return step
    if kind == "sgd":
        mu, decay = _f32(cfg["momentum"]), _f32(lr * cfg["weightDecay"])

        def step(g, w, s, decays):
            out = {}
            st = g
            if cfg["momentum"] > 0:
                st = mu * s["momentum"] + g
                out["momentum"] = st
            w2 = w - lr_t * st
            if decays and cfg["weightDecay"] > 0:
                w2 = w2 - decay * w
            return w2, out

        return step
    if kind == "lion":
        b1, b2 = _f32(cfg["beta1"]), _f32(cfg["beta2"])
        omb1, omb2, wd = _f32(1 - cfg["beta1"]), _f32(1 - cfg["beta2"]), _f32(cfg["weightDecay"])

        def step(g, w, s, decays):
            m = s["m"]
            st = torch.sign(b1 * m + omb1 * g)
            if decays and cfg["weightDecay"] > 0:
                st = st + wd * w
            return w - lr_t * st, {"m": b2 * m + omb2 * g}

        return step
    raise ValueError("unknown optimizer %r: known optimizers are %s" % (kind, ", ".join(SLOTS)))


def clip_by_global_norm(grads, names, max_norm):
    total = _f32(0)
    for n in names:
        total = total + torch.sum(grads[n] * grads[n])
    norm = torch.sqrt(total)
    scale = _f32(max_norm) / torch.maximum(norm, _f32(max_norm))
    return {n: grads[n] * scale for n in names}


class Optimizer:
    """Slots by `<param>.<slot>` (float32 tensors) and the number of updates applied."""

    def __init__(self, cfg, trainable, decays, clip_norm=0.0, slots=None, updates=0):
        self.cfg, self.trainable, self.decays, self.clip_norm = cfg, sorted(trainable), decays, clip_norm
        self.slot_names = slot_names(cfg)
        self.slots = slots if slots is not None else {}
        self.updates = updates

    def init_slots(self, shapes):
        for n in self.trainable:
            for s in self.slot_names:
                self.slots.setdefault("%s.%s" % (n, s), torch.zeros(shapes[n], dtype=torch.float32))

    @torch.no_grad()
    def apply(self, params, grads, lr):
        """params: name -> tensor (updated in place); grads: name -> tensor."""
        t = self.updates + 1
        g = clip_by_global_norm(grads, self.trainable, self.clip_norm) if self.clip_norm > 0 else grads
        step = make_update(self.cfg, lr, t)
        for n in self.trainable:
            w = params[n]
            s = {k: self.slots["%s.%s" % (n, k)] for k in self.slot_names}
            w2, s2 = step(g[n], w.detach(), s, self.decays[n])
            for k, v in s2.items():
                self.slots["%s.%s" % (n, k)] = v
            w.copy_(w2)
        self.updates = t


def lr_at(schedule, base_lr, step):
    k = schedule["kind"]
    if k == "constant":
        return base_lr
    if k == "step":
        return base_lr * math.pow(schedule["gamma"], step // schedule["stepSize"])
    if k in ("cosine", "linear"):
        w, total, mf = schedule["warmupSteps"], schedule["totalSteps"], schedule["minFactor"]
        if step < w:
            return base_lr * (step + 1) / w
        span = max(1, total - w)
        progress = min(1, (step - w) / span)
        shape = 0.5 * (1 + math.cos(math.pi * progress)) if k == "cosine" else 1 - progress
        return base_lr * (mf + (1 - mf) * shape)
    raise ValueError("unknown schedule kind %s" % k)


def apply_freeze(names, patterns):
    """(trainable, frozen): `*` matches any run of characters; a pattern matching nothing is an error."""
    res = [(p, re.compile("^" + re.escape(p).replace("\\*", ".*") + "$")) for p in patterns]
    hits = {p: 0 for p in patterns}
    trainable, frozen = [], []
    for n in names:
        hit = False
        for p, r in res:
            if r.match(n):
                hits[p] += 1
                hit = True
        (frozen if hit else trainable).append(n)
    unused = [p for p in patterns if hits[p] == 0]
    if unused:
        raise ValueError("freeze pattern %s matches no parameter (parameters: %s)" % (", ".join("'%s'" % u for u in unused), ", ".join(names)))
    if not trainable:
        raise ValueError("every parameter is frozen: nothing would train")
    return trainable, frozen
