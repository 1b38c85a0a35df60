#!/usr/bin/env python3
"""PyTorch (CPU) twins of the bench's models, timed the way tools/bench/bench.mjs times vaeflow.

One training step = forward, backward, global-norm clipping to 200, Adam (lr 1e-3), on random
binary 28x28 data, batch 128. Architectures mirror vaeflow's manifests:
  mlp:  784-512-256 ReLU encoder, Linear(256, 2x32) head, 32-256-512-784 decoder, Bernoulli.
  iaf:  mlp plus 2 gated IAF steps, MADE 256-256 (ELU) with the 256-d encoder output as context.
  conv: AEF appendix D.1: conv 3x3 s2 64, 128 (ReLU, 'same'), Linear to 2x32; decoder Linear to
        7x7x128, transposed conv 4x4 s2 to 64, then to 1 channel (ReLU between).
Prints one JSON object {model: {"median": ex/s, "min":..., "max":...}, "threads": n}.
Usage: python3 torch_bench.py [--threads 2] [--repeats 5] [--steps 10] [--only mlp,iaf,conv]
"""
import argparse
import json
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

LATENT = 32


def made_masks(order, hidden):
    """Autoregressive masks (Germain et al. 2015) with vaeflow's degree convention."""
    L = len(order)
    degrees = [list(order)] + [[1 + (k % max(1, L - 1)) for k in range(h)] for h in hidden]
    masks = []
    for prev, cur in zip(degrees[:-1], degrees[1:]):
        masks.append(torch.tensor([[1.0 if c >= p else 0.0 for c in cur] for p in prev]))
    last = degrees[-1]
    masks.append(torch.tensor([[1.0 if order[j] > last[i] else 0.0 for j in range(L)] for i in range(len(last))]))
    return masks


class MaskedLinear(nn.Module):
    def __init__(self, mask):
        super().__init__()
        self.register_buffer('mask', mask)
        self.weight = nn.Parameter(torch.empty(mask.shape).uniform_(-0.05, 0.05))
        self.bias = nn.Parameter(torch.zeros(mask.shape[1]))

    def forward(self, x):
        return x @ (self.weight * self.mask) + self.bias


class GatedIAF(nn.Module):
    def __init__(self, dim, hidden, context_dim, reverse):
        super().__init__()
        order = list(range(dim, 0, -1)) if reverse else list(range(1, dim + 1))
        masks = made_masks(order, hidden)
        self.hidden = nn.ModuleList(MaskedLinear(m) for m in masks[:-1])
        self.shift = MaskedLinear(masks[-1])
        self.scale = MaskedLinear(masks[-1])
        self.context = nn.Linear(context_dim, hidden[0], bias=False)

    def forward(self, z, h):
        a = F.elu(self.hidden[0](z) + self.context(h))
        for layer in self.hidden[1:]:
            a = F.elu(layer(a))
        m, s = self.shift(a), self.scale(a)
        sigma = torch.sigmoid(s)
        return sigma * z + (1 - sigma) * m, -F.softplus(-s).sum(1)


class VAE(nn.Module):
    def __init__(self, kind):
        super().__init__()
        self.kind = kind
        if kind == 'conv':
            self.enc = nn.Sequential(nn.Conv2d(1, 64, 3, 2, 1), nn.ReLU(), nn.Conv2d(64, 128, 3, 2, 1), nn.ReLU(), nn.Flatten())
            feat = 7 * 7 * 128
            self.fc = nn.Linear(LATENT, 7 * 7 * 128)
            self.dec = nn.Sequential(nn.ConvTranspose2d(128, 64, 4, 2, 1), nn.ReLU(), nn.ConvTranspose2d(64, 1, 4, 2, 1))
        else:
            self.enc = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU())
            feat = 256
            self.dec = nn.Sequential(nn.Linear(LATENT, 256), nn.ReLU(), nn.Linear(256, 512), nn.ReLU(), nn.Linear(512, 784))
        self.head = nn.Linear(feat, 2 * LATENT)
        self.flows = nn.ModuleList(GatedIAF(LATENT, [256, 256], feat, reverse=i % 2 == 1) for i in range(2)) if kind == 'iaf' else nn.ModuleList()

    def loss(self, x):
        h = self.enc(x.view(-1, 1, 28, 28) if self.kind == 'conv' else x)
        mean, logvar = self.head(h).chunk(2, 1)
        log_scale = 0.5 * logvar
        eps = torch.randn_like(mean)
        z = mean + log_scale.exp() * eps
        if self.flows:
            log_q = -0.5 * (eps.pow(2).sum(1) + LATENT * math.log(2 * math.pi)) - log_scale.sum(1)
            for f in self.flows:
                z, log_det = f(z, h)
                log_q = log_q - log_det
            kl = log_q + 0.5 * (z.pow(2).sum(1) + LATENT * math.log(2 * math.pi))
        else:
            kl = (0.5 * (mean.pow(2) + (2 * log_scale).exp() - 1) - log_scale).sum(1)
        if self.kind == 'conv':
            logits = self.dec(F.relu(self.fc(z)).view(-1, 128, 7, 7)).flatten(1)
        else:
            logits = self.dec(z)
        log_px = (x * logits - F.softplus(logits)).sum(1)
        return (kl - log_px).mean()


def measure(kind, repeats, steps, batch=128):
    torch.manual_seed(0)
    model = VAE(kind)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = (torch.rand(batch, 784) < 0.13).float()

    def step():
        opt.zero_grad(set_to_none=True)
        loss = model.loss(x)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 200.0)
        opt.step()
        return loss.item()

    for _ in range(3):
        step()
    rates = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(steps):
            step()
        rates.append(batch * steps / (time.perf_counter() - t0))
    rates.sort()
    return {'median': rates[len(rates) // 2], 'min': rates[0], 'max': rates[-1], 'params': sum(p.numel() for p in model.parameters())}


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--repeats', type=int, default=5)
    p.add_argument('--steps', type=int, default=10)
    p.add_argument('--only', default='mlp,iaf,conv')
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    out = {'threads': torch.get_num_threads(), 'torch': torch.__version__}
    for kind in a.only.split(','):
        if kind in ('mlp', 'iaf', 'conv'):
            out[kind] = measure(kind, a.repeats, a.steps)
    print(json.dumps(out))


if __name__ == '__main__':
    main()
