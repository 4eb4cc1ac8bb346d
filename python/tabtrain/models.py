"""The model families in PyTorch, on tabtrain's own tensor layouts (dense kernels [in, out], conv
kernels HWIO, images NHWC), so `model.*` tensors load as they are. docs/model-math.md is the spec."""
import math

import numpy as np
import torch
import torch.nn.functional as F

from .rng import Rng, hash_seed, name_hash

FAMILIES = ("mlp", "cnn", "charlm", "resnet")


def _dense(name, fan_in, fan_out):
    return [(name + ".kernel", [fan_in, fan_out], "glorot", True), (name + ".bias", [fan_out], "zeros", False)]


def _norm(name, dim):
    return [(name + ".gamma", [dim], "ones", False), (name + ".beta", [dim], "zeros", False)]


def _resnet_blocks(spec):
    out, cin = [], spec["filters"][0]
    for s, cout in enumerate(spec["filters"]):
        for b in range(spec["blocks"]):
            stride = 2 if s > 0 and b == 0 else 1
            out.append({"name": "stages.%d.%d" % (s, b), "cin": cin, "cout": cout, "stride": stride, "project": stride != 1 or cin != cout})
            cin = cout
    return out


def _cnn_flat(spec):
    n = len(spec["filters"])
    return (spec["height"] // 2**n) * (spec["width"] // 2**n) * spec["filters"][-1]


def param_defs(spec):
    """[(name, shape, init, decay)] in the family's fixed order."""
    f = spec["family"]
    out = []
    if f == "mlp":
        w = spec["inputSize"]
        for i, h in enumerate(spec["hidden"]):
            out += _dense("layers.%d" % i, w, h)
            w = h
        out += _dense("head", w, spec["outputSize"])
    elif f == "cnn":
        c = spec["channels"]
        for i, k in enumerate(spec["filters"]):
            out += [("conv.%d.kernel" % i, [3, 3, c, k], "glorot", True), ("conv.%d.bias" % i, [k], "zeros", False)]
            c = k
        out += _dense("fc", _cnn_flat(spec), spec["hidden"]) + _dense("head", spec["hidden"], spec["outputSize"])
    elif f == "charlm":
        V, T, d = spec["vocabSize"], spec["contextLength"], spec["dModel"]
        out += [("tok_emb", [V, d], "embedding", False), ("pos_emb", [T, d], "embedding", False)]
        for i in range(spec["numLayers"]):
            b = "blocks.%d" % i
            out += _norm(b + ".ln1", d) + _dense(b + ".attn.qkv", d, 3 * d) + _dense(b + ".attn.proj", d, d)
            out += _norm(b + ".ln2", d) + _dense(b + ".mlp.fc", d, 4 * d) + _dense(b + ".mlp.proj", 4 * d, d)
        out += _norm("ln_f", d) + _dense("head", d, V)
    elif f == "resnet":
        f0 = spec["filters"][0]
        out += [("stem.conv.kernel", [3, 3, spec["channels"], f0], "glorot", True)] + _norm("stem.bn", f0)
        for b in _resnet_blocks(spec):
            n = b["name"]
            out += [(n + ".conv1.kernel", [3, 3, b["cin"], b["cout"]], "glorot", True)] + _norm(n + ".bn1", b["cout"])
            out += [(n + ".conv2.kernel", [3, 3, b["cout"], b["cout"]], "glorot", True)] + _norm(n + ".bn2", b["cout"])
            if b["project"]:
                out += [(n + ".proj.kernel", [1, 1, b["cin"], b["cout"]], "glorot", True)] + _norm(n + ".proj_bn", b["cout"])
        out += _dense("head", spec["filters"][-1], spec["outputSize"])
    else:
        raise ValueError("unknown model family '%s' (known: %s)" % (f, ", ".join(FAMILIES)))
    return out


def buffer_defs(spec):
    """[(name, shape, init)]: batch-norm running statistics (resnet only)."""
    if spec["family"] != "resnet":
        return []

    def bn(n, c):
        return [(n + ".mean", [c], "zeros"), (n + ".var", [c], "ones")]

    out = bn("stem.bn", spec["filters"][0])
    for b in _resnet_blocks(spec):
        out += bn(b["name"] + ".bn1", b["cout"]) + bn(b["name"] + ".bn2", b["cout"])
        if b["project"]:
            out += bn(b["name"] + ".proj_bn", b["cout"])
    return out


def positions(spec):
    return spec["contextLength"] if spec["family"] == "charlm" else 1


def init_values(name, shape, init, seed):
    size = int(np.prod(shape)) if shape else 1
    if init == "zeros":
        return np.zeros(shape, np.float32)
    if init == "ones":
        return np.ones(shape, np.float32)
    rng = Rng.from_seed(hash_seed(seed, 0x1417, name_hash(name)))
    if init == "embedding":
        return np.array([0.02 * rng.next_normal() for _ in range(size)], np.float64).astype(np.float32).reshape(shape)
    receptive = int(np.prod(shape[:-2])) if len(shape) > 2 else 1
    limit = math.sqrt(6 / ((shape[-2] + shape[-1]) * receptive))
    return ((rng.floats(size) * 2 - 1) * limit).astype(np.float32).reshape(shape)


class Dropout:
    """Inverted dropout with masks from tabtrain's RNG, drawn for the GLOBAL batch: with the batch
    split evenly across `world` ranks along its first axis, rank `rank` keeps its own rows, so N
    processes apply exactly the masks one process would."""

    def __init__(self, rate, training, seed, rank=0, world=1):
        self.rate, self.training, self.seed, self.rank, self.world = rate, training, seed, rank, world

    def __call__(self, x, site):
        if not self.training or self.rate <= 0:
            return x
        local = x.numel()
        rng = Rng.from_seed(hash_seed(self.seed, site))
        u = rng.floats(local * self.world)[self.rank * local : (self.rank + 1) * local]
        mask = np.where(u < self.rate, 0.0, 1 / (1 - self.rate)).astype(np.float32)
        return x * torch.from_numpy(mask).reshape(x.shape).to(x.device)


def _dense_f(p, name, x):
    return torch.matmul(x, p[name + ".kernel"]) + p[name + ".bias"]


def _layer_norm(p, name, x):
    mean = x.mean(-1, keepdim=True)
    var = ((x - mean) ** 2).mean(-1, keepdim=True)
    return (x - mean) / torch.sqrt(var + 1e-5) * p[name + ".gamma"] + p[name + ".beta"]


def _conv_same(x, kernel, stride):
    """TensorFlow 'same' conv on NCHW input with an HWIO kernel."""
    kh, kw = kernel.shape[0], kernel.shape[1]
    pads = []
    for size, k in ((x.shape[3], kw), (x.shape[2], kh)):
        out = -(-size // stride)
        total = max((out - 1) * stride + k - size, 0)
        pads += [total // 2, total - total // 2]
    x = F.pad(x, pads)
    return F.conv2d(x, kernel.permute(3, 2, 0, 1), stride=stride)


def _batch_norm(p, name, x, training, new_buffers, world=1):
    """Batch norm over N, H, W (NCHW here). With `world` > 1 processes each holding a share of the
    batch, the statistics are the whole batch's (summed across ranks, differentiably), so the
    result is the one-process result."""
    if training:
        n = x.shape[0] * x.shape[2] * x.shape[3]
        if world > 1:
            from torch.distributed.nn.functional import all_reduce

            n *= world
            mean = all_reduce(x.sum(dim=(0, 2, 3))) / n
            var = all_reduce(((x - mean.view(1, -1, 1, 1)) ** 2).sum(dim=(0, 2, 3))) / n
        else:
            mean = x.mean(dim=(0, 2, 3))
            var = ((x - mean.view(1, -1, 1, 1)) ** 2).mean(dim=(0, 2, 3))
        if new_buffers is not None:
            unbiased = var * (n / (n - 1)) if n > 1 else var
            new_buffers[name + ".mean"] = (p[name + ".mean"] * 0.9 + mean * 0.1).detach()
            new_buffers[name + ".var"] = (p[name + ".var"] * 0.9 + unbiased * 0.1).detach()
    else:
        mean, var = p[name + ".mean"], p[name + ".var"]
    shp = (1, -1, 1, 1)
    normed = (x - mean.view(shp)) / torch.sqrt(var.view(shp) + 1e-5)
    return normed * p[name + ".gamma"].view(shp) + p[name + ".beta"].view(shp)


def forward(spec, p, x, training=False, dropout=None, new_buffers=None, world=1):
    """Logits [N, outputs] (charlm: [B*T, V]) from tensors `p` by tabtrain name (no `model.`)."""
    drop = dropout or Dropout(0, False, 0)
    f = spec["family"]
    if f == "mlp":
        h = x
        for i in range(len(spec["hidden"])):
            h = drop(torch.relu(_dense_f(p, "layers.%d" % i, h)), i)
        return _dense_f(p, "head", h)
    if f == "cnn":
        a = x.permute(0, 3, 1, 2)
        for i in range(len(spec["filters"])):
            a = _conv_same(a, p["conv.%d.kernel" % i], 1)
            a = torch.relu(a + p["conv.%d.bias" % i].view(1, -1, 1, 1))
            a = F.max_pool2d(a, 2, 2)
        z = a.permute(0, 2, 3, 1).reshape(a.shape[0], -1)  # HWC flatten order
        z = drop(torch.relu(_dense_f(p, "fc", z)), 0)
        return _dense_f(p, "head", z)
    if f == "charlm":
        V, T, d, H = spec["vocabSize"], spec["contextLength"], spec["dModel"], spec["numHeads"]
        dh = d // H
        B = x.shape[0]
        ids = x.reshape(B * T).long()
        h = F.one_hot(ids, V).to(torch.float32) @ p["tok_emb"]
        h = h.reshape(B, T, d) + p["pos_emb"]
        mask = torch.triu(torch.full((T, T), -1e9, dtype=torch.float32, device=x.device), diagonal=1)
        scale = torch.tensor(1 / math.sqrt(dh), dtype=torch.float32)
        site = 0
        for i in range(spec["numLayers"]):
            b = "blocks.%d" % i
            a = _layer_norm(p, b + ".ln1", h).reshape(B * T, d)
            W, bias = p[b + ".attn.qkv.kernel"], p[b + ".attn.qkv.bias"]
            q, k, v = [(a @ W[:, j * d : (j + 1) * d] + bias[j * d : (j + 1) * d]).reshape(B, T, H, dh).permute(0, 2, 1, 3) for j in range(3)]
            att = torch.softmax(q @ k.transpose(-1, -2) * scale + mask, dim=-1)
            att = drop(att, site)
            site += 1
            y = (att @ v).permute(0, 2, 1, 3).reshape(B * T, d)
            h = h + drop(_dense_f(p, b + ".attn.proj", y), site).reshape(B, T, d)
            site += 1
            m = _layer_norm(p, b + ".ln2", h).reshape(B * T, d)
            h = h + drop(_dense_f(p, b + ".mlp.proj", torch.relu(_dense_f(p, b + ".mlp.fc", m))), site).reshape(B, T, d)
            site += 1
        return _dense_f(p, "head", _layer_norm(p, "ln_f", h).reshape(B * T, d))
    if f == "resnet":
        def bn(n, a):
            return _batch_norm(p, n, a, training, new_buffers, world)

        a = torch.relu(bn("stem.bn", _conv_same(x.permute(0, 3, 1, 2), p["stem.conv.kernel"], 1)))
        for blk in _resnet_blocks(spec):
            n = blk["name"]
            r = torch.relu(bn(n + ".bn1", _conv_same(a, p[n + ".conv1.kernel"], blk["stride"])))
            r = bn(n + ".bn2", _conv_same(r, p[n + ".conv2.kernel"], 1))
            s = bn(n + ".proj_bn", _conv_same(a, p[n + ".proj.kernel"], blk["stride"])) if blk["project"] else a
            a = torch.relu(r + s)
        z = drop(a.mean(dim=(2, 3)), 0)
        return _dense_f(p, "head", z)
    raise ValueError("unknown model family '%s' (known: %s)" % (f, ", ".join(FAMILIES)))


class TabtrainModel(torch.nn.Module):
    """The parameters and buffers of one spec as a Module (for DistributedDataParallel); names are
    tabtrain's with '.' -> '__' (a Module attribute cannot hold a dot)."""

    def __init__(self, spec, tensors):
        super().__init__()
        self.spec = spec
        self.param_names = [d[0] for d in param_defs(spec)]
        self.buffer_names = [d[0] for d in buffer_defs(spec)]
        for n in self.param_names:
            self.register_parameter(n.replace(".", "__"), torch.nn.Parameter(torch.as_tensor(np.array(tensors[n], np.float32))))
        for n in self.buffer_names:
            self.register_buffer(n.replace(".", "__"), torch.as_tensor(np.array(tensors[n], np.float32)))

    def tensor(self, name):
        return getattr(self, name.replace(".", "__"))

    def named(self):
        return {n: self.tensor(n) for n in self.param_names + self.buffer_names}

    def forward(self, x, training=False, dropout=None, new_buffers=None, world=1):
        return forward(self.spec, self.named(), x, training, dropout, new_buffers, world)
