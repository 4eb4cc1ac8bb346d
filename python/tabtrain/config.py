"""A new run's config from a dataset and options, with tabtrain's defaults
(src/engine/config.ts makeConfig, defaults.ts, the registries' defaults)."""
import math

from .models import positions
from .optim import DEFAULTS, FIELDS
from .rng import split_sizes
from .data import num_samples

FAMILY_FOR = {"tabular": "mlp", "image": "cnn", "text": "charlm"}
FAMILY_DATA = {"mlp": "tabular", "cnn": "image", "resnet": "image", "charlm": "text"}
FAMILY_FIELDS = {
    "mlp": {"hidden": [64, 64]},
    "cnn": {"filters": [8, 16], "hidden": [32]},
    "charlm": {"contextLength": 32, "dModel": 32, "numHeads": 2, "numLayers": 1},
    "resnet": {"filters": [8, 16], "blocks": 1},
}


class ConfigError(Exception):
    pass


def family_values(spec):
    f = spec["family"]
    if f == "mlp":
        return {"hidden": spec["hidden"]}
    if f == "cnn":
        return {"filters": spec["filters"], "hidden": [spec["hidden"]]}
    if f == "charlm":
        return {k: spec[k] for k in ("contextLength", "dModel", "numHeads", "numLayers")}
    return {"filters": spec["filters"], "blocks": spec["blocks"]}


def build_spec(ds, family, o, base=None):
    if family not in FAMILY_FIELDS:
        raise ConfigError("unknown model family '%s' (known: %s)" % (family, ", ".join(FAMILY_FIELDS)))
    if FAMILY_DATA[family] != ds["kind"]:
        raise ConfigError("the %s model needs %s data, not %s" % (family, FAMILY_DATA[family], ds["kind"]))
    from_base = family_values(base) if base and base.get("family") == family else {}
    v = {k: o.get(k, from_base.get(k, d)) for k, d in FAMILY_FIELDS[family].items()}
    dropout = o.get("dropout", (base or {}).get("dropout", 0))
    if not 0 <= dropout < 1:
        raise ConfigError("model: dropout must be in [0, 1), got %s" % dropout)
    if family == "mlp":
        out = len(ds["classes"]) if ds["task"] == "classification" else 1
        return {"family": "mlp", "inputSize": ds["numFeatures"], "hidden": v["hidden"], "outputSize": out, "dropout": dropout}
    if family == "charlm":
        if v["dModel"] % v["numHeads"]:
            raise ConfigError("charlm: dModel %d must be divisible by numHeads %d" % (v["dModel"], v["numHeads"]))
        return {"family": "charlm", "vocabSize": len(ds["vocab"]), "contextLength": v["contextLength"], "dModel": v["dModel"], "numHeads": v["numHeads"], "numLayers": v["numLayers"], "dropout": dropout}
    img = {"height": ds["height"], "width": ds["width"], "channels": ds["channels"]}
    if family == "cnn":
        return dict({"family": "cnn"}, **img, filters=v["filters"], hidden=v["hidden"][0], outputSize=len(ds["classes"]), dropout=dropout)
    return dict({"family": "resnet"}, **img, filters=v["filters"], blocks=v["blocks"], outputSize=len(ds["classes"]), dropout=dropout)


def planned_steps(ds, model, val_fraction, batch_size, target):
    total = target.get("steps") if target.get("steps") is not None else math.inf
    if target.get("epochs") is not None:
        num_train, _ = split_sizes(num_samples(ds, positions(model)), val_fraction)
        spe = num_train // batch_size
        if spe > 0:
            total = min(total, target["epochs"] * spe)
    return total if math.isfinite(total) and total > 0 else None


def make_config(ds, o, data=None, base_spec=None):
    """o: flat options as the TypeScript ConfigOverrides (family, hidden, lr, batchSize, steps...)."""
    family = o.get("family") or (base_spec or {}).get("family") or FAMILY_FOR[ds["kind"]]
    model = build_spec(ds, family, o, base_spec)
    kind = o.get("optimizer", "adamw")
    if kind not in DEFAULTS:
        raise ConfigError("unknown optimizer %r: known optimizers are %s" % (kind, ", ".join(DEFAULTS)))
    for k in ("lr", "beta1", "beta2", "eps", "weightDecay", "momentum"):
        if k in o and k not in FIELDS[kind]:
            raise ConfigError("%s is not a setting of %s; its settings are %s" % (k, kind, ", ".join(FIELDS[kind])))
    optimizer = DEFAULTS[kind]({k: o[k] for k in FIELDS[kind] if k in o}, ds["kind"] == "text")
    batch = o.get("batchSize", 16 if ds["kind"] == "text" else 32)
    explicit = o.get("steps") is not None or o.get("epochs") is not None
    target = {k: o[k] for k in ("steps", "epochs") if o.get(k) is not None} if explicit else {"epochs": 10}
    val_fraction = o.get("valFraction", 0.1)
    sk = o.get("schedule", "constant")
    if sk in ("cosine", "linear"):
        total = o.get("scheduleSteps") or (planned_steps(ds, model, val_fraction, batch, target) if explicit else None) or 1000
        schedule = {"kind": sk, "warmupSteps": o.get("warmupSteps", 0), "totalSteps": total, "minFactor": 0.1}
    elif sk == "step":
        schedule = {"kind": "step", "stepSize": o.get("scheduleSteps", 100), "gamma": 0.5}
    elif sk == "constant":
        schedule = {"kind": "constant"}
    else:
        raise ConfigError("unknown schedule %s (constant, cosine, linear, step)" % sk)
    run_steps = planned_steps(ds, model, val_fraction, batch, target)
    eval_every = o.get("evalEvery") or (50 if run_steps is None else max(1, min(50, math.floor(run_steps / 10 + 0.5))))
    cfg = {
        "model": model, "task": ds["task"] if ds["kind"] == "tabular" else ("classification" if ds["kind"] == "image" else "lm"),
        "optimizer": optimizer, "schedule": schedule, "batchSize": batch, "seed": o.get("seed", 1), "valFraction": val_fraction,
        "clipNorm": o.get("clipNorm", 1), "freeze": o.get("freeze", []), "logEvery": o.get("logEvery", 10), "evalEvery": eval_every,
        "target": target, "data": data or {},
    }
    if not (isinstance(batch, int) and 0 < batch <= 65536):
        raise ConfigError("batch size must be a positive integer, got %s" % batch)
    if not 0 <= val_fraction <= 0.5:
        raise ConfigError("validation fraction must be in [0, 0.5], got %s" % val_fraction)
    if o.get("patience") is not None:
        cfg["patience"] = o["patience"]
    if o.get("stopIfLossAbove") is not None or o.get("stopByStep") is not None:
        if o.get("stopIfLossAbove") is None or o.get("stopByStep") is None:
            raise ConfigError("stop-if-loss needs both a loss and a step (--stop-if-loss-above and --by-step)")
        cfg["stopIfLoss"] = {"above": o["stopIfLossAbove"], "byStep": o["stopByStep"]}
    return cfg
