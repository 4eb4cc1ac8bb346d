"""PyTorch on the CPU as a peer in `npm run bench` (phase `peers`, test/bench/peers.ts).

The same two workloads as tabtrain's engine, with the same math (docs/model-math.md): AdamW with
weight decay 0.01, global-norm clipping at 1, no dropout. A: MLP 64-256-256-10 (ReLU), batch
256. B: a pre-LN causal transformer (vocab 65, context 64, d 64, 2 layers, 4 heads, MLP 4d with
ReLU, learned positions), batch 16. The data is random (speed does not depend on it).

Protocol, one JSON object per line: stdin {"cmd": "setup", "workload": "A"|"B", "seed": n},
{"cmd": "run", "steps": k}, {"cmd": "quit"}; stdout {"ok": true, ...}: `seconds` for a run
(wall time of k steps, the last loss read back, so all work is done).
"""
import json
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads = heads
        self.ln1 = nn.LayerNorm(d, eps=1e-5)
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.ln2 = nn.LayerNorm(d, eps=1e-5)
        self.fc1 = nn.Linear(d, 4 * d)
        self.fc2 = nn.Linear(4 * d, d)

    def forward(self, x, mask):
        b, t, d = x.shape
        h = self.heads
        q, k, v = self.qkv(self.ln1(x)).split(d, dim=2)
        q, k, v = (z.view(b, t, h, d // h).transpose(1, 2) for z in (q, k, v))
        att = (q @ k.transpose(-2, -1)) / (d // h) ** 0.5
        att = att.masked_fill(mask[:t, :t], float("-inf")).softmax(dim=-1)
        y = (att @ v).transpose(1, 2).reshape(b, t, d)
        x = x + self.proj(y)
        return x + self.fc2(F.relu(self.fc1(self.ln2(x))))


class CharLM(nn.Module):
    def __init__(self, vocab=65, ctx=64, d=64, layers=2, heads=4):
        super().__init__()
        self.tok = nn.Embedding(vocab, d)
        self.pos = nn.Parameter(torch.zeros(ctx, d))
        self.blocks = nn.ModuleList(Block(d, heads) for _ in range(layers))
        self.ln = nn.LayerNorm(d, eps=1e-5)
        self.head = nn.Linear(d, vocab)
        self.register_buffer("mask", torch.triu(torch.ones(ctx, ctx, dtype=torch.bool), diagonal=1))

    def forward(self, ids):
        x = self.tok(ids) + self.pos[: ids.shape[1]]
        for blk in self.blocks:
            x = blk(x, self.mask)
        return self.head(self.ln(x))


def setup(workload, seed):
    torch.manual_seed(seed)
    if workload == "A":
        model = nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))
        xs, ys = torch.randn(4096, 64), torch.randint(0, 10, (4096,))

        def batch(i):
            j = torch.randint(0, 4096, (256,))
            return xs[j], ys[j]

        def loss_of(x, y):
            return F.cross_entropy(model(x), y)
    elif workload == "B":
        model = CharLM()
        text = torch.randint(0, 65, (65536,))

        def batch(i):
            j = torch.randint(0, text.numel() - 65, (16,))
            w = torch.stack([text[s : s + 65] for s in j.tolist()])
            return w[:, :-1], w[:, 1:]

        def loss_of(x, y):
            return F.cross_entropy(model(x).reshape(-1, 65), y.reshape(-1))
    else:
        raise ValueError(f"unknown workload {workload!r}")
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)

    def step(i):
        x, y = batch(i)
        loss = loss_of(x, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        return loss

    return step


def main():
    step = None
    done = 0
    for line in sys.stdin:
        msg = json.loads(line)
        try:
            if msg["cmd"] == "setup":
                step = setup(msg["workload"], int(msg.get("seed", 1)))
                out = {"ok": True, "threads": torch.get_num_threads(), "torch": torch.__version__}
            elif msg["cmd"] == "run":
                t0 = time.perf_counter()
                loss = None
                for _ in range(int(msg["steps"])):
                    loss = step(done)
                    done += 1
                last = float(loss.item())
                out = {"ok": True, "seconds": time.perf_counter() - t0, "loss": last}
            elif msg["cmd"] == "quit":
                return
            else:
                out = {"ok": False, "error": f"unknown command {msg['cmd']!r}"}
        except Exception as e:  # reported to the bench, which records it and goes on
            out = {"ok": False, "error": f"{type(e).__name__}: {e}"}
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
