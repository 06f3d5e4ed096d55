#!/usr/bin/env python3
"""RigL side by side: the rigl example program (rewire, C++) against the same loop
written with PyTorch masks, the way RigL ports do it.

    python3 bench/rigl_vs_torch.py --rigl build/release/examples/rigl [--repeats 3]

Both run the protocol of examples/rigl/rigl.cpp: the study's network
(2-512-512-256-4, ReLU) on 12,000 training and 4,000 test points of the cluster
task (made by rewire, so the data are the same), magnitude-pruned to 90 % per
layer right after initialisation; 10 rounds of 2 epochs of Adam (lr 1e-3,
batch 128, fresh moments each round) followed by a drop-and-grow step (the 30 %
of each layer's active weights of smallest |W| dropped, decaying by RigL's
cosine schedule, as many grown where |dL/dW| of one batch of 128 is largest,
at weight 0), then 2 more epochs. One thread each (torch.set_num_threads(1);
rewire's training is single-threaded). Prints wall time and test accuracy per
run, and the medians. PyTorch: Debian's python3-torch (not a dependency of
rewire; install it to run this script).
"""
import argparse
import json
import math
import statistics
import subprocess
import time

import numpy as np

import rewire

WIDTHS = [2, 512, 512, 256, 4]
SPARSITY, ROUNDS, EPOCHS, FRACTION, LR, BATCH = 0.9, 10, 2, 0.3, 1e-3, 128


def data(seed):
    rng = rewire.Rng(seed, rewire.Purpose.data)
    train, test = rewire.make_gaussian_clusters(12000, 0.8, rng), rewire.make_gaussian_clusters(4000, 0.8, rng)
    return [(np.array(d.inputs), np.array(d.labels, dtype=np.int64)) for d in (train, test)]


def run_rewire(exe, seed):
    out = subprocess.run([exe, "--seed", str(seed), "--sparsity", str(SPARSITY), "--rounds", str(ROUNDS),
                          "--epochs", str(EPOCHS), "--fraction", str(FRACTION), "--lr", str(LR)],
                         check=True, capture_output=True, text=True).stdout
    r = json.loads(out)
    return r["seconds"], r["test_accuracy"]


def run_torch(seed, train, test):
    import torch
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    layers = [torch.nn.Linear(a, b) for a, b in zip(WIDTHS[:-1], WIDTHS[1:])]
    net = torch.nn.Sequential(*[m for l in layers for m in (l, torch.nn.ReLU())][:-1])
    X, y = torch.from_numpy(train[0]), torch.from_numpy(train[1])
    Xt, yt = torch.from_numpy(test[0]), torch.from_numpy(test[1])
    start = time.perf_counter()
    with torch.no_grad():  # magnitude pruning per layer at initialisation
        masks = [(l.weight.abs() >= torch.quantile(l.weight.abs().flatten(), SPARSITY)).float() for l in layers]
        for l, m in zip(layers, masks):
            l.weight.mul_(m)
    loss_fn = torch.nn.CrossEntropyLoss()

    def train_epochs():
        opt = torch.optim.Adam(net.parameters(), lr=LR)
        for _ in range(EPOCHS):
            for idx in torch.randperm(len(X)).split(BATCH):
                opt.zero_grad()
                loss_fn(net(X[idx]), y[idx]).backward()
                for l, m in zip(layers, masks):
                    l.weight.grad.mul_(m)
                opt.step()
                with torch.no_grad():
                    for l, m in zip(layers, masks):
                        l.weight.mul_(m)

    for r in range(ROUNDS):
        train_epochs()
        fraction = FRACTION * (1 + math.cos(math.pi * r / ROUNDS)) / 2
        idx = torch.randperm(len(X))[:BATCH]
        net.zero_grad()
        loss_fn(net(X[idx]), y[idx]).backward()  # dense gradient: masked weights are 0, not detached
        with torch.no_grad():
            for l, m in zip(layers, masks):
                k = int(fraction * m.sum().item())
                if k == 0:
                    continue
                w = l.weight.abs().flatten()
                active = m.flatten().bool()
                drop = torch.where(active, w, torch.full_like(w, math.inf)).topk(k, largest=False).indices
                after = m.flatten().clone()
                after[drop] = 0
                score = torch.where(after.bool(), torch.full_like(w, -math.inf), l.weight.grad.abs().flatten())
                grow = score.topk(k).indices
                grown = torch.zeros_like(after, dtype=torch.bool)
                grown[grow] = True
                kept = l.weight.flatten().clone()
                new = after.clone()
                new[grow] = 1
                values = torch.where(grown & ~active, torch.zeros_like(kept), kept)  # new ones start at 0
                l.weight.copy_((values * new).view_as(l.weight))
                m.copy_(new.view_as(m))
    train_epochs()
    seconds = time.perf_counter() - start
    with torch.no_grad():
        accuracy = 100.0 * (net(Xt).argmax(1) == yt).float().mean().item()
    return seconds, accuracy


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rigl", required=True, help="the rigl example program of a build")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    rows = {"rewire": [], "torch": []}
    for seed in range(args.repeats):  # interleaved, so drift of the machine hits both alike
        train, test = data(seed)
        rows["rewire"].append(run_rewire(args.rigl, seed))
        rows["torch"].append(run_torch(seed, train, test))
        print(f"seed {seed}: rewire {rows['rewire'][-1][0]:.2f} s, {rows['rewire'][-1][1]:.2f} %; "
              f"torch {rows['torch'][-1][0]:.2f} s, {rows['torch'][-1][1]:.2f} %", flush=True)
    for name, r in rows.items():
        print(f"{name}: median {statistics.median(s for s, _ in r):.2f} s, "
              f"accuracy {statistics.mean(a for _, a in r):.2f} % (mean of {len(r)})")


if __name__ == "__main__":
    main()
