"""Datasets from files with tabtrain's parsing rules (src/engine/data/csv.ts, columns.ts, text.ts;
docs/model-math.md "Input encodings"): a CSV becomes standardised numeric + one-hot features, a
.txt becomes code-point ids. Images: images.py."""
import csv
import hashlib
import io
import math
import os
import re

import numpy as np

MISSING = {"", "na", "n/a", "nan", "null", "?"}
MAX_CLASSES_INTEGER_LABEL = 20
_NUM = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


class DatasetError(Exception):
    pass


def is_missing(v):
    return v.lower() in MISSING if len(v) <= 4 else False


def parse_num(v):
    """JavaScript's Number(v) for decimal literals (finite only); NaN otherwise."""
    if not _NUM.fullmatch(v):
        return math.nan
    x = float(v)
    return x if math.isfinite(x) else math.nan


def js_str(x):
    """String(x) in JavaScript for a finite number."""
    if x == int(x) and abs(x) < 1e21:
        return str(int(x))
    r = repr(x)
    if "e" in r:
        m, e = r.split("e")
        m = m[:-2] if m.endswith(".0") else m
        return "%se%s%d" % (m, "+" if int(e) > 0 else "-", abs(int(e)))
    return r


def _lex(s):
    """UTF-16 code-unit order, as JavaScript's < on strings."""
    return s.encode("utf-16-be")


def looks_like_id_name(name):
    n = name.strip()
    return bool(
        re.fullmatch(r"(id|ids|idx|index|key|uuid|guid|row|rowid|row_id|row number|#|no|unnamed: ?0)", n, re.I)
        or re.search(r"(^|[\s_.-])(id|uuid|guid)$", n, re.I)
        or re.search(r"[a-z0-9](Id|ID)$", n)
        or re.match(r"id[\s_.-]", n, re.I)
    )


def _sha(data):
    return hashlib.sha256(data).hexdigest()


def _decode(data, name, kind):
    if len(data) >= 2 and data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise DatasetError("%s is UTF-16 encoded, not %s; save it as UTF-8" % (name, kind))
    nul = data[:1024].find(b"\0")
    if nul >= 0:
        raise DatasetError("%s is not %s (binary data, NUL byte at byte %d)" % (name, kind, nul))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise DatasetError("%s is not valid UTF-8 (invalid UTF-8 at byte %d); save it as UTF-8" % (name, e.start)) from None


class Analysis:
    def __init__(self, values):
        n = len(values)
        self.missing = np.zeros(n, bool)
        self.nums = np.full(n, math.nan)
        self.codes = np.zeros(n, np.int64)
        self.seen = {}
        self.m, self.first_text, nxt, missing_code = 0, -1, 0, -1
        for i, v in enumerate(values):
            if is_missing(v):
                self.missing[i] = True
                if missing_code < 0:
                    missing_code, nxt = nxt, nxt + 1
                self.codes[i] = missing_code
                continue
            self.m += 1
            x = self.nums[i] = parse_num(v)
            if self.first_text < 0 and math.isnan(x):
                self.first_text = i
            if v not in self.seen:
                self.seen[v], nxt = nxt, nxt + 1
            self.codes[i] = self.seen[v]
        self.num_codes = nxt


def same_codes(a, b):
    n = len(a.codes)
    if a.num_codes != b.num_codes or n < 20 or a.num_codes * 2 > n:
        return False
    return bool(np.array_equal(a.codes, b.codes))


def _encode_column(col, values, a):
    """(feature names, [rows, k] float32) or a reason string (dropped)."""
    n, m, distinct = len(values), a.m, len(a.seen)
    if m == 0:
        return "every value is missing"
    if distinct == 1 and m == n:
        return "constant"
    if looks_like_id_name(col) and distinct == m:
        return "identifier"
    nums = a.nums
    if a.first_text < 0:
        if m == n and distinct == n and n >= 20 and all(float(v).is_integer() for v in nums):
            lo, hi = nums.min(), nums.max()
            if lo in (0, 1) and hi - lo == n - 1 and not all(nums[i] >= nums[i - 1] for i in range(1, n)):
                return "row id"
        mean = 0.0
        for v in nums:
            if not math.isnan(v):
                mean += v
        mean /= m
        v2 = 0.0
        for v in nums:
            if not math.isnan(v):
                v2 += (v - mean) ** 2
        std = math.sqrt(v2 / n)
        if not std > 0:
            return "constant"
        out = np.array([0.0 if a.missing[r] else (nums[r] - mean) / std for r in range(n)], np.float64)
        return [col], out.astype(np.float32).reshape(n, 1)
    if distinct == m and m > 1:
        return "every value is different"
    limit = max(50, n / 2)
    if distinct > limit:
        return "too many distinct values"
    if distinct > 50 and distinct > m / 2:
        return "mostly unique values"
    cats = sorted(a.seen, key=_lex)
    if m < n:
        cats.append("(missing)")
    idx = {c: i for i, c in enumerate(cats)}
    out = np.zeros((n, len(cats)), np.float32)
    for r in range(n):
        out[r, idx["(missing)" if a.missing[r] else values[r]]] = 1
    return ["%s=%s" % (col, c) for c in cats], out


def _encode_label(values, label_name, task):
    nums = [parse_num(v) for v in values]
    bad = [i for i, v in enumerate(nums) if math.isnan(v)]
    distinct = len({v for v in nums if not math.isnan(v)})
    if task == "regression" and bad:
        raise DatasetError('label %s must be a number for regression, found "%s"' % (label_name, values[bad[0]]))
    if task is None:
        if not bad:
            integral = all(float(v).is_integer() for v in nums)
            task = "regression" if distinct > MAX_CLASSES_INTEGER_LABEL or not integral else "classification"
        else:
            if len(nums) - len(bad) >= 0.9 * len(nums) and distinct > MAX_CLASSES_INTEGER_LABEL:
                raise DatasetError('label %s looks numeric (regression) but has the text "%s"; fix the value or choose classification' % (label_name, values[bad[0]]))
            task = "classification"
    if task == "regression":
        mean = 0.0
        for v in nums:
            mean += v
        mean /= len(nums)
        v2 = 0.0
        for v in nums:
            v2 += (v - mean) ** 2
        std = math.sqrt(v2 / len(nums))
        if not std > 0:
            raise DatasetError("label %s has the same value in every row; nothing to predict" % label_name)
        return task, np.array([(v - mean) / std for v in nums], np.float64).astype(np.float32), [], {"mean": mean, "std": std}
    all_num = not bad
    keys = [js_str(v) for v in nums] if all_num else list(values)
    uniq = list(dict.fromkeys(keys))
    classes = sorted(uniq, key=float) if all_num else sorted(uniq, key=_lex)
    if len(classes) < 2:
        raise DatasetError('label %s has only one class ("%s"); classification needs at least 2' % (label_name, classes[0]))
    idx = {c: i for i, c in enumerate(classes)}
    return task, np.array([idx[k] for k in keys], np.int32), classes, None


def _read_table(text, name, delimiter):
    rows = []
    header = None
    for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
        if len(row) == 0 or (len(row) == 1 and row[0] == ""):
            continue
        if header is None:
            header = row
            continue
        if len(row) != len(header):
            if len(row) == 1 and row[0].strip() == "":
                continue
            raise DatasetError("%s: expected %d fields, found %d" % (name, len(header), len(row)))
        rows.append([v.strip() for v in row])
    if header is None:
        raise DatasetError("%s is empty" % name)
    if not rows:
        raise DatasetError("%s has a header row but no data rows" % name)
    return header, rows


def _clean_header(raw):
    seen, out = set(), []
    for i, h in enumerate(raw):
        n = h.strip() or ("index" if i == 0 else "column %d" % (i + 1))
        if n in seen:
            k = 2
            while "%s_%d" % (n, k) in seen:
                k += 1
            n = "%s_%d" % (n, k)
        seen.add(n)
        out.append(n)
    return out


def parse_csv(data, name, label=None, task=None):
    if len(data) == 0:
        raise DatasetError("%s is empty" % name)
    text = _decode(data, name, "a text CSV file")
    if text.strip() == "":
        raise DatasetError("%s is empty" % name)
    first = text.split("\n", 1)[0]
    delimiter = "\t" if (name.lower().endswith(".tsv") or ("," not in first and "\t" in first)) else ("," if "," in first or ";" not in first else ";")
    raw_header, rows = _read_table(text, name, delimiter)
    header = _clean_header(raw_header)
    if label is None:
        li = len(header) - 1
    else:
        li = header.index(label) if label in header else -1
        if li < 0:
            ci = [h for h in header if h.lower() == label.lower()]
            li = header.index(ci[0]) if len(ci) == 1 else -1
        if li < 0:
            raise DatasetError('%s has no column named "%s"; columns are: %s' % (name, label, ", ".join(header)))
    label_name = header[li]
    rows = [r for r in rows if not is_missing(r[li])]
    if not rows:
        raise DatasetError("%s: every row is missing the label %s" % (name, label_name))
    columns = [[r[c] for r in rows] for c in range(len(header))]
    label_analysis = Analysis(columns[li])
    task, y, classes, stats = _encode_label(columns[li], label_name, task)
    names, blocks, kept = [], [], []
    for c, col in enumerate(header):
        if c == li:
            continue
        a = Analysis(columns[c])
        if same_codes(a, label_analysis):
            continue
        e = _encode_column(col, columns[c], a)
        if isinstance(e, str):
            continue
        if any(same_codes(k, a) for k in kept):
            continue
        kept.append(a)
        names += e[0]
        blocks.append(e[1])
    if not names:
        raise DatasetError("%s has no usable feature columns" % name)
    x = np.concatenate(blocks, axis=1).astype(np.float32)
    what = "%d classes" % len(classes) if task == "classification" else "regression"
    fp = {
        "sha256": _sha(data),
        "summary": "csv %d rows x %d features, label %s (%s)" % (len(rows), len(names), label_name, what),
        "shape": {"kind": "tabular", "rows": len(rows), "features": len(names), "label": label_name, "task": task, "classes": len(classes)},
    }
    ds = {"kind": "tabular", "x": x, "y": y, "numRows": len(rows), "numFeatures": len(names), "featureNames": names, "labelName": label_name, "task": task, "classes": classes, "fingerprint": fp}
    if stats:
        ds["labelStats"] = stats
    return ds


def parse_text(data, name):
    if len(data) == 0:
        raise DatasetError("%s is empty" % name)
    text = _decode(data, name, "a text file")
    if "\0" in text:
        raise DatasetError("%s is not a text file (NUL character)" % name)
    text = text.replace("\r\n", "\n")
    if not text:
        raise DatasetError("%s is empty" % name)
    vocab = sorted(set(text))
    idx = {c: i for i, c in enumerate(vocab)}
    ids = np.array([idx[c] for c in text], np.int32)
    fp = {"sha256": _sha(data), "summary": "text %d characters, vocabulary %d" % (len(ids), len(vocab)), "shape": {"kind": "text", "characters": len(ids), "vocab": len(vocab)}}
    return {"kind": "text", "ids": ids, "vocab": vocab, "fingerprint": fp}


def load_dataset(path, label=None, task=None, image_size=None, channels=None):
    if os.path.isdir(path) or path.lower().endswith(".zip"):
        from .images import ImageError, parse_images

        try:
            return parse_images(path, image_size, channels)
        except ImageError as e:
            raise DatasetError(str(e)) from None
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        raise DatasetError("cannot read data %s: no such file" % path) from None
    except OSError as e:
        raise DatasetError("cannot read data %s: %s" % (path, e.strerror)) from None
    name = os.path.basename(path)
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext in ("csv", "tsv"):
        return parse_csv(data, name, label, task)
    if ext == "txt":
        return parse_text(data, name)
    raise DatasetError("cannot tell what %s is: expected a .csv or a .txt" % name)


def labels_of(ds):
    if ds["kind"] == "text":
        return list(ds["vocab"])
    if ds["kind"] == "image" or ds["task"] == "classification":
        return list(ds["classes"])
    return None


def num_samples(ds, positions):
    if ds["kind"] == "tabular":
        return ds["numRows"]
    if ds["kind"] == "image":
        return ds["numImages"]
    return max(0, (len(ds["ids"]) - 1) // positions)


def batch(ds, sample_ids, positions):
    """(x, y) numpy arrays for these sample ids, as device-data.ts gathers them."""
    if ds["kind"] == "text":
        T = positions
        idx = np.asarray(sample_ids)[:, None] * T + np.arange(T + 1)[None, :]
        win = ds["ids"][idx]
        return win[:, :T].astype(np.int32), win[:, 1:].reshape(-1).astype(np.int32)
    return ds["x"][sample_ids], ds["y"][sample_ids]
