"""tabtrain's RNG (xoshiro128**, seeded by splitmix32), the train/validation split and the data
cursor, bit for bit as src/engine/rng.ts and src/engine/cursor.ts (docs/model-math.md "Data order")."""
import math

import numpy as np

M32 = 0xFFFFFFFF


def _splitmix32(seed):
    s = seed & M32

    def nxt():
        nonlocal s
        s = (s + 0x9E3779B9) & M32
        z = s
        z = ((z ^ (z >> 16)) * 0x85EBCA6B) & M32
        z = ((z ^ (z >> 13)) * 0xC2B2AE35) & M32
        return (z ^ (z >> 16)) & M32

    return nxt


def hash_seed(*parts):
    h = 0x811C9DC5
    for p in parts:
        h = _splitmix32((h ^ (p & M32)) & M32)()
    return h


def name_hash(name):
    """FNV-1a over UTF-16 code units (JavaScript's charCodeAt)."""
    h = 0x811C9DC5
    units = name.encode("utf-16-le")
    for i in range(0, len(units), 2):
        h ^= units[i] | (units[i + 1] << 8)
        h = (h * 0x01000193) & M32
    return h


def _rotl(x, k):
    return ((x << k) | (x >> (32 - k))) & M32


class Rng:
    def __init__(self, state):
        if len(state) != 4 or any((not isinstance(w, int)) or w < 0 or w > M32 for w in state):
            raise ValueError("invalid RNG state %r: expected four unsigned 32-bit integers" % (state,))
        if all(w == 0 for w in state):
            raise ValueError("invalid RNG state: all zero")
        self.s = [int(w) for w in state]

    @staticmethod
    def from_seed(seed):
        nxt = _splitmix32(seed)
        return Rng([nxt(), nxt(), nxt(), nxt()])

    @property
    def state(self):
        return list(self.s)

    def next_u32(self):
        s = self.s
        result = (_rotl((s[1] * 5) & M32, 7) * 9) & M32
        t = (s[1] << 9) & M32
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = _rotl(s[3], 11)
        return result

    def next_float(self):
        return (self.next_u32() >> 8) / 16777216

    def next_int(self, n):
        limit = 0x100000000 - (0x100000000 % n)
        x = self.next_u32()
        while x >= limit:
            x = self.next_u32()
        return x % n

    def next_normal(self):
        u1 = (self.next_u32() + 1) / 4294967297
        u2 = self.next_u32() / 4294967296
        return math.sqrt(-2 * math.log(u1)) * math.cos(2 * math.pi * u2)

    def permutation(self, n):
        p = list(range(n))
        for i in range(n - 1, 0, -1):
            j = self.next_int(i + 1)
            p[i], p[j] = p[j], p[i]
        return np.array(p, dtype=np.int64)

    def floats(self, n):
        """n successive next_float() values (dropout masks, glorot init)."""
        return np.array([self.next_float() for _ in range(n)], dtype=np.float64)


def js_round(x):
    """JavaScript's Math.round: halves round up."""
    return math.floor(x + 0.5)


def split_sizes(num_samples, val_fraction):
    num_val = max(1, js_round(num_samples * val_fraction)) if val_fraction > 0 else 0
    return max(0, num_samples - num_val), num_val


def split_indices(num_samples, val_fraction, seed):
    perm = Rng.from_seed((seed ^ 0x5EED5B17) & M32).permutation(num_samples)
    _, num_val = split_sizes(num_samples, val_fraction)
    if num_samples - num_val < 1:
        raise ValueError("dataset too small: %d samples leave none for training after a %s validation split" % (num_samples, val_fraction))
    return np.sort(perm[num_val:]), np.sort(perm[:num_val])


def steps_to_epochs(epoch, index, num_train, b, epochs):
    """Steps from (epoch, index) until `epochs` epochs are complete, as Cursor.next walks."""
    if epoch >= epochs or b <= 0 or b > num_train:
        return 0 if epoch >= epochs else math.inf
    steps = 0
    if index + b > num_train:
        steps += 1
        epoch += 1
        index = index + b - num_train
        if index + b > num_train:
            epoch += 1
            index = 0
        if epoch >= epochs:
            return steps
    steps += (num_train - index) // b
    epoch += 1
    return steps + max(0, epochs - epoch) * (num_train // b)


class Cursor:
    """The position in the data: epoch, samples of this epoch consumed, and the RNG state the
    epoch's permutation was drawn from."""

    def __init__(self, epoch, index, epoch_rng, num_train):
        if not (isinstance(index, int) and 0 <= index <= num_train):
            raise ValueError("data position %r is outside an epoch of %d training samples" % (index, num_train))
        self.epoch, self.index, self.epoch_rng, self.num_train = epoch, index, list(epoch_rng), num_train
        self.perm = Rng(self.epoch_rng).permutation(num_train)

    @staticmethod
    def start(rng, num_train):
        c = Cursor(0, 0, rng.state, num_train)
        rng.permutation(num_train)
        return c

    @staticmethod
    def restore(state, num_train):
        return Cursor(state["epoch"], state["index"], state["epochRng"], num_train)

    @property
    def state(self):
        return {"epoch": self.epoch, "index": self.index, "epochRng": list(self.epoch_rng)}

    def next(self, batch_size, rng):
        if self.index + batch_size > self.num_train:
            rest = self.perm[self.index :]
            self._new_epoch(rng)
            out = np.concatenate([rest, self.perm[: batch_size - len(rest)]])
            self.index = batch_size - len(rest)
        else:
            out = self.perm[self.index : self.index + batch_size].copy()
            self.index += batch_size
        if self.index + batch_size > self.num_train:
            self._new_epoch(rng)
        return out

    def _new_epoch(self, rng):
        self.epoch += 1
        self.index = 0
        self.epoch_rng = rng.state
        self.perm = rng.permutation(self.num_train)
