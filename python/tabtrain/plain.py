"""`fresh` from a plain safetensors file (no tabtrain metadata), as the TypeScript CLI does it
(src/engine/plain-fresh.ts; docs/cli.md "Fresh from plain weights"): the family and sizes from
the options, else from the tensors (names; 1-D shapes only, whose layout PyTorch shares), else the
defaults, said in one line; every tensor must have a place in the model; a kernel that fits only
transposed or permuted, or any kernel of a file whose metadata says layout=torch, is refused."""
from .config import FAMILY_DATA, FAMILY_FIELDS, FAMILY_FOR

MARKS = [("charlm", ("model.tok_emb", "model.pos_emb", "model.blocks.")), ("resnet", ("model.stem.", "model.stages.")), ("cnn", ("model.conv.", "model.fc.")), ("mlp", ("model.layers.",))]
FLAGS = {"hidden": "hidden", "filters": "filters", "blocks": "blocks", "contextLength": "context-length", "dModel": "d-model", "numHeads": "heads", "numLayers": "layers"}
TRANSPOSE_2D = "a PyTorch Linear.weight is [out, in], tabtrain's kernels are [in, out]; transpose it (weight.T)"
PERMUTE_4D = "a PyTorch Conv2d.weight is [out, in, kh, kw], tabtrain's conv kernels are [kh, kw, in, out]; permute it (weight.permute(2, 3, 1, 0))"


class PlainError(Exception):
    pass


def _stack(s, prefix, suffix):
    out, i = [], 0
    while "model.%s.%d.%s" % (prefix, i, suffix) in s:
        out.append(s["model.%s.%d.%s" % (prefix, i, suffix)][0])
        i += 1
    return out or None


def _dim(s, name, axis=0):
    v = s.get("model." + name)
    return None if v is None else v[axis]


def infer_sizes(family, s):
    if family == "mlp":
        return {"hidden": _stack(s, "layers", "bias")}
    if family == "cnn":
        fc = _dim(s, "fc.bias")
        return {"filters": _stack(s, "conv", "bias"), "hidden": None if fc is None else [fc]}
    if family == "charlm":
        layers = _stack(s, "blocks", "ln1.gamma")
        d = _dim(s, "pos_emb", 1)
        return {"contextLength": _dim(s, "pos_emb"), "dModel": d if d is not None else _dim(s, "ln_f.gamma"), "numLayers": None if layers is None else len(layers)}
    filters, st = [], 0
    while "model.stages.%d.0.bn2.gamma" % st in s:
        filters.append(_dim(s, "stages.%d.0.bn2.gamma" % st))
        st += 1
    blocks = _stack(s, "stages.0", "bn1.gamma")
    return {"filters": filters or None, "blocks": None if blocks is None else len(blocks)}


def choose_model(weights, kind, o):
    """(options with the family and inferred sizes, the line saying where each came from)."""
    s = {k: list(v.shape) for k, v in weights.items()}
    marked = next((f for f, pre in MARKS if any(n.startswith(pre) for n in s)), None)
    if o.get("family") is not None:
        family, why = o["family"], "from --model"
    elif marked is not None:
        family, why = marked, "inferred from the tensor names"
    else:
        family, why = FAMILY_FOR[kind], "the default for %s data" % kind
    if family not in FAMILY_FIELDS:
        raise PlainError("unknown model family '%s'" % family)
    if FAMILY_DATA[family] != kind:
        raise PlainError("the %s model (%s) trains on %s data, not %s" % (family, why, FAMILY_DATA[family], kind))
    inferred = infer_sizes(family, s)
    out = dict(o, family=family)
    show = lambda v: ",".join(map(str, v)) if isinstance(v, list) else str(v)  # noqa: E731
    parts = ["model %s (%s)" % (family, why)]
    for key, default in FAMILY_FIELDS[family].items():
        if o.get(key) is not None:
            parts.append("--%s %s (given)" % (FLAGS[key], show(o[key])))
        elif inferred.get(key) is not None:
            out[key] = inferred[key]
            parts.append("--%s %s (inferred from the shapes)" % (FLAGS[key], show(inferred[key])))
        else:
            parts.append("--%s %s (the default: the shapes do not tell)" % (FLAGS[key], show(default)))
    return out, ", ".join(parts)


def check_fit(weights, metadata, expected, source, family):
    """expected: [(name with model., shape)]. Raises PlainError (one line); returns the square kernels loaded as they are."""
    want = dict((n, list(sh)) for n, sh in expected)
    unknown = [n for n in weights if n not in want]
    if unknown:
        cut = lambda l: ", ".join(l[:8] + (["... (%d in all)" % len(l)] if len(l) > 8 else []))  # noqa: E731
        raise PlainError("%s: tensors the %s model has no place for: %s (its tensors: %s); check --model and the sizes" % (source, family, cut(unknown), cut(list(want))))
    layout = metadata.get("layout")
    if layout not in (None, "tabtrain", "torch", "pytorch"):
        raise PlainError("%s: __metadata__ layout '%s' is not one tabtrain knows (tabtrain or torch)" % (source, str(layout)[:40]))
    torch_layout = layout in ("torch", "pytorch")
    refused, in_torch, square = [], [], []
    for name, shape in want.items():
        w = weights.get(name)
        if w is None:
            continue
        got = list(w.shape)
        kernel = name.endswith(".kernel") and len(shape) in (2, 4)
        torch_shape = [shape[1], shape[0]] if len(shape) == 2 else [shape[3], shape[2], shape[0], shape[1]] if len(shape) == 4 else None
        if kernel and torch_layout:
            in_torch.append(name)
        elif got == shape:
            if kernel and len(shape) == 2 and shape[0] == shape[1] and layout != "tabtrain":
                square.append(name)
        elif kernel and got == torch_shape:
            refused.append("%s has shape %s, expected %s: %s" % (name, _fmt(got), _fmt(shape), TRANSPOSE_2D if len(shape) == 2 else PERMUTE_4D))
    if in_torch:
        refused.append("%s: the file says its kernels are in PyTorch's layout (__metadata__ layout=torch); %s, and %s" % (", ".join(in_torch), TRANSPOSE_2D, PERMUTE_4D.replace("a PyTorch", "a")))
    if refused:
        raise PlainError("%s: refused, not loaded: %s" % (source, "; ".join(refused)))
    return square


def _fmt(shape):
    return "[%s]" % ",".join(map(str, shape))


def foreign_names(names):
    import re

    return [n for n in names if not re.match(r"^model\.[A-Za-z0-9_.]+$", n)]
