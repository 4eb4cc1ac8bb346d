"""Image datasets with tabtrain's rules (src/engine/data/images.ts, zip.ts): a folder or a .zip
with one sub-folder per class, PNG decoded to RGBA, alpha over black, grayscale by BT.601 luma or
RGB, resized with the same separable area filter in float64, NHWC values in [0, 1]. Like the
TypeScript CLI outside the browser, only PNG is decoded."""
import hashlib
import math
import os
import struct
import zipfile
import zlib

import numpy as np

IMAGE_EXTENSIONS = ("png", "jpg", "jpeg", "gif", "bmp", "webp")
PNG_SIG = b"\x89PNG\r\n\x1a\n"


class ImageError(Exception):
    pass


def normalise_path(path):
    p = path.replace("\\", "/")
    while p.startswith("./") or p.startswith("/"):
        p = p[2:] if p.startswith("./") else p[1:]
    return p


def is_junk_path(path):
    parts = normalise_path(path).split("/")
    base = parts[-1].lower()
    return any(p == "__MACOSX" or p.startswith(".") for p in parts) or base in ("thumbs.db", "desktop.ini")


def is_image_path(path):
    name = path.rsplit("/", 1)[-1]
    return "." in name and name.rsplit(".", 1)[-1].lower() in IMAGE_EXTENSIONS


def _unfilter(raw, width, height, bpp, row_bytes):
    out = np.zeros((height, row_bytes), np.uint8)
    prev = np.zeros(row_bytes, np.int32)
    pos = 0
    for y in range(height):
        ft = raw[pos]
        line = np.frombuffer(raw, np.uint8, row_bytes, pos + 1).astype(np.int32)
        pos += 1 + row_bytes
        if ft == 0:
            cur = line
        elif ft == 2:
            cur = (line + prev) & 255
        else:
            cur = np.zeros(row_bytes, np.int32)
            for i in range(row_bytes):
                a = cur[i - bpp] if i >= bpp else 0
                b = prev[i]
                if ft == 1:
                    cur[i] = (line[i] + a) & 255
                elif ft == 3:
                    cur[i] = (line[i] + ((a + b) >> 1)) & 255
                elif ft == 4:
                    c = prev[i - bpp] if i >= bpp else 0
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                    cur[i] = (line[i] + pred) & 255
                else:
                    raise ImageError("bad PNG filter type %d" % ft)
        out[y] = cur
        prev = cur
    return out


def decode_png_rgba(data):
    """PNG bytes -> (width, height, uint8 [h, w, 4])."""
    if data[:8] != PNG_SIG:
        raise ImageError("not a PNG")
    pos, idat, palette, trns, ihdr = 8, [], None, None, None
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        if len(body) < length:
            raise ImageError("truncated or corrupt PNG: chunk cut short")
        pos += 12 + length
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"PLTE":
            palette = np.frombuffer(body, np.uint8).reshape(-1, 3)
        elif kind == b"tRNS":
            trns = body
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    if ihdr is None:
        raise ImageError("truncated or corrupt PNG: no IHDR")
    w, h, depth, ctype, _, _, interlace = ihdr
    if interlace:
        raise ImageError("interlaced PNGs are not supported here; save the image without interlacing")
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[ctype]
    try:
        raw = zlib.decompress(b"".join(idat))
    except zlib.error as e:
        raise ImageError("truncated or corrupt PNG: %s" % e) from None
    row_bytes = -(-(w * depth * channels) // 8)
    if len(raw) < h * (row_bytes + 1):
        raise ImageError("truncated or corrupt PNG: not enough pixel data")
    rows = _unfilter(raw, w, h, max(1, depth * channels // 8), row_bytes)
    if depth == 16:
        s = rows.reshape(h, -1, 2).astype(np.int64)
        samples = (s[..., 0] * 256 + s[..., 1]).reshape(h, w, channels)
    elif depth == 8:
        samples = rows[:, : w * channels].astype(np.int64).reshape(h, w, channels)
    else:
        bits = np.unpackbits(rows, axis=1)[:, : w * channels * depth].reshape(h, w * channels, depth)
        samples = (bits.astype(np.int64) * (1 << np.arange(depth - 1, -1, -1))).sum(-1).reshape(h, w, channels)
    mx = (1 << min(depth, 16)) - 1
    to8 = (lambda v: v) if depth == 8 else (lambda v: np.floor(v * 255 / mx + 0.5).astype(np.int64))
    out = np.zeros((h, w, 4), np.int64)
    if ctype == 3:
        pal = np.concatenate([palette.astype(np.int64), np.full((len(palette), 1), 255)], 1)
        if trns is not None:
            pal[: len(trns), 3] = np.frombuffer(trns, np.uint8)
        idx = samples[..., 0]
        if idx.max() >= len(pal):
            raise ImageError("palette index out of range")
        out = pal[idx]
    elif channels <= 2:
        g = to8(samples[..., 0])
        out[..., 0] = out[..., 1] = out[..., 2] = g
        if channels == 2:
            out[..., 3] = to8(samples[..., 1])
        else:
            key = struct.unpack(">H", trns[:2])[0] if trns is not None and len(trns) >= 2 else None
            out[..., 3] = np.where(samples[..., 0] == key, 0, 255) if key is not None else 255
    else:
        for c in range(3):
            out[..., c] = to8(samples[..., c])
        if channels == 4:
            out[..., 3] = to8(samples[..., 3])
        elif trns is not None and len(trns) >= 6:
            k = struct.unpack(">HHH", trns[:6])
            keyed = (samples[..., 0] == k[0]) & (samples[..., 1] == k[1]) & (samples[..., 2] == k[2])
            out[..., 3] = np.where(keyed, 0, 255)
        else:
            out[..., 3] = 255
    return w, h, out.astype(np.uint8)


def _area_weights(src, dst):
    scale = src / dst
    out = []
    for d in range(dst):
        a, b = d * scale, (d + 1) * scale
        taps = []
        for j in range(math.floor(a), min(src, math.ceil(b))):
            overlap = min(b, j + 1) - max(a, j)
            if overlap > 0:
                taps.append((j, overlap / scale))
        out.append(taps)
    return out


def resize_area(src, dh, dw):
    """[h, w, c] float64 -> [dh, dw, c] float32, the same sums in the same order as resizeArea."""
    h, w, c = src.shape
    tmp = np.zeros((h, dw, c))
    for x, taps in enumerate(_area_weights(w, dw)):
        for j, wt in taps:
            tmp[:, x, :] += wt * src[:, j, :]
    out = np.zeros((dh, dw, c))
    for y, taps in enumerate(_area_weights(h, dh)):
        acc = np.zeros((dw, c))
        for j, wt in taps:
            acc += wt * tmp[j]
        out[y] = acc
    return np.clip(out, 0, 1).astype(np.float32)


def to_float(rgba, channels):
    a = rgba[..., 3] / 255
    r, g, b = (rgba[..., 0] / 255) * a, (rgba[..., 1] / 255) * a, (rgba[..., 2] / 255) * a
    if channels == 1:
        return (0.299 * r + 0.587 * g + 0.114 * b)[..., None]
    return np.stack([r, g, b], -1)


def _lex(s):
    return s.encode("utf-16-be")


def read_files(path):
    """(files [(path, bytes)], sha256 or None): a folder (paths from its parent) or a .zip."""
    if os.path.isdir(path):
        root = os.path.dirname(os.path.abspath(path))
        out = []

        def walk(d):
            for name in sorted(os.listdir(d)):
                full = os.path.join(d, name)
                if os.path.isdir(full):
                    walk(full)
                else:
                    with open(full, "rb") as f:
                        out.append((os.path.relpath(full, root).replace(os.sep, "/"), f.read()))

        walk(os.path.abspath(path))
        return out, None
    with open(path, "rb") as f:
        data = f.read()
    try:
        with zipfile.ZipFile(path) as z:
            files = [(normalise_path(i.filename), z.read(i)) for i in z.infolist() if not i.filename.endswith("/") and not is_junk_path(i.filename)]
    except (zipfile.BadZipFile, OSError) as e:
        raise ImageError("%s is not a readable zip file (%s): it may be cut short or damaged; zip the folder again" % (os.path.basename(path), e)) from None
    return files, hashlib.sha256(data).hexdigest()


def parse_images(path, image_size=None, channels=None):
    files, sha = read_files(path)
    height, width = (image_size["height"], image_size["width"]) if image_size else (28, 28)
    channels = channels or 3
    by_class = {}
    for p, data in files:
        p = normalise_path(p)
        if is_junk_path(p) or not is_image_path(p):
            continue
        parts = p.split("/")
        if len(parts) < 2:
            continue
        by_class.setdefault(parts[-2], []).append((p, data))
    classes = sorted(by_class, key=_lex)
    if not classes:
        raise ImageError("no images found: expected %s files inside one folder per class" % "/".join(IMAGE_EXTENSIONS))
    if len(classes) < 2:
        raise ImageError('found images for only one class ("%s"); put each class in its own folder, at least 2' % classes[0])
    items = [(p, d, ci) for ci, c in enumerate(classes) for p, d in sorted(by_class[c], key=lambda t: _lex(t[0]))]
    x = np.zeros((len(items), height, width, channels), np.float32)
    y = np.zeros(len(items), np.int32)
    for i, (p, data, ci) in enumerate(items):
        if data[:8] != PNG_SIG:
            raise ImageError("cannot decode %s here: only PNG images are supported outside the browser; convert the images to PNG" % p)
        try:
            w, h, rgba = decode_png_rgba(data)
        except ImageError as e:
            raise ImageError("could not decode image %s (%s)" % (p, e)) from None
        x[i] = resize_area(to_float(rgba, channels), height, width)
        y[i] = ci
    if sha is None:
        split = [p.split("/") for p, _, _ in items]
        common = 0
        while all(len(s) - 2 > common and s[common] == split[0][common] for s in split):
            common += 1
        stripped = sorted((("/".join(s[common:]), hashlib.sha256(d).hexdigest()) for s, (_, d, _) in zip(split, items)), key=lambda t: _lex(t[0]))
        if len(stripped) == 1:
            sha = stripped[0][1]
        else:
            sha = hashlib.sha256("".join("%s\0%s\n" % t for t in stripped).encode("utf-8")).hexdigest()
    fp = {
        "sha256": sha,
        "summary": "images %d x %dx%dx%d, %d classes" % (len(items), height, width, channels, len(classes)),
        "shape": {"kind": "image", "images": len(items), "height": height, "width": width, "channels": channels, "classes": len(classes)},
    }
    return {"kind": "image", "x": x, "y": y, "numImages": len(items), "height": height, "width": width, "channels": channels, "classes": classes, "fingerprint": fp}
