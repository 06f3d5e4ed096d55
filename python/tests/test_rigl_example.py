"""The RigL example program (examples/rigl) and the same loop written in Python give the same numbers."""
import json
import os
import pathlib
import subprocess

import numpy as np
import pytest

import rewire


def build_dir():
    """The build tree the imported module comes from (as conftest.build_dir)."""
    return pathlib.Path(rewire.__file__).resolve().parents[2]

ARGS = dict(seed=3, widths=[2, 64, 64, 4], train_size=1024, test_size=512, sparsity=0.9, rounds=3, epochs=1,
            fraction=0.3, lr=1e-3)


def fnv1a64(data: bytes) -> int:
    h = 14695981039346656037
    for byte in data:
        h = ((h ^ byte) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return h


def python_loop(grow, start, scope, seed, widths, train_size, test_size, sparsity, rounds, epochs, fraction, lr):
    P = rewire.Purpose
    data_rng = rewire.Rng(seed, P.data)
    train_set = rewire.make_gaussian_clusters(train_size, 0.8, data_rng)
    test_set = rewire.make_gaussian_clusters(test_size, 0.8, data_rng)
    net = rewire.Mlp(widths)
    net.init(rewire.Rng(seed, P.init))
    if start == "erk":
        rewire.apply_erk(net, 1.0 - sparsity, rewire.Rng(seed, P.init, 1))
    else:
        rewire.prune_to(net, sparsity)
    shuffle, regrow = rewire.Rng(seed, P.shuffle), rewire.Rng(seed, P.regrow)
    active = [layer.active_weights for layer in net.layers]
    total = sum(active)
    for r in range(rounds):
        rewire.train(net, train_set, shuffle, epochs=epochs, lr=lr)
        rewire.drop_and_grow(net, train_set, shuffle, regrow, fraction=rewire.cosine_lr(fraction, r, rounds),
                             grow=grow, scope=scope)
        assert sum(layer.active_weights for layer in net.layers) == total
        assert scope == "global" or [layer.active_weights for layer in net.layers] == active
    rewire.train(net, train_set, shuffle, epochs=epochs, lr=lr)
    active = [layer.active_weights for layer in net.layers]
    weights = b"".join(np.asarray(layer.weight, dtype=np.float32).tobytes(order="F") for layer in net.layers)
    return dict(active=active, sparsity=net.sparsity, test_accuracy=rewire.accuracy(net, test_set),
                weights_fnv1a=f"{fnv1a64(weights):016x}")


@pytest.mark.parametrize("grow,start,scope", [("gradient", "magnitude", "per_layer"),
                                              ("random", "magnitude", "per_layer"),
                                              ("gradient", "erk", "global")])
def test_the_rigl_example_and_the_python_loop_agree(grow, start, scope):
    exe = build_dir() / "examples" / "rigl"
    if not os.path.isfile(exe):
        pytest.fail(f"the rigl example is needed for this test and was not found at {exe}")
    args = [str(exe), "--grow", grow, "--start", start, "--scope", scope, "--widths", ",".join(map(str, ARGS["widths"]))]
    for key in ("seed", "train_size", "test_size", "sparsity", "rounds", "epochs", "fraction", "lr"):
        args += ["--" + key.replace("_", "-"), repr(ARGS[key])]
    out = json.loads(subprocess.run(args, check=True, capture_output=True, text=True).stdout)
    mine = python_loop(grow, start, scope, **ARGS)
    assert {k: out[k] for k in mine} == mine
    assert out["sparsity"] == pytest.approx(0.9, abs=0.01)
