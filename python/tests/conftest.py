"""Shared fixtures of the rewire pytest suite.

The suite runs against the module of a build tree (ctest sets PYTHONPATH) or
an installed one. Study tests also need the C++ program of the same build
(REWIRE_CHRONIC_STRESS) and a scratch directory (REWIRE_TEST_WORK); by hand:

    PYTHONPATH=build/release/python /usr/bin/python3 -m pytest python/tests
"""
import os
import pathlib

import numpy as np
import pytest

import rewire

REPO = pathlib.Path(__file__).resolve().parents[2]


def build_dir():
    """The build tree the imported module comes from (…/<build>/python/rewire)."""
    return pathlib.Path(rewire.__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def chronic_stress_exe():
    exe = os.environ.get("REWIRE_CHRONIC_STRESS") or str(build_dir() / "examples/chronic_stress/app/chronic_stress")
    if not os.path.isfile(exe):
        pytest.fail(f"the chronic_stress program is needed for this test and was not found at {exe}; "
                    "build it or set REWIRE_CHRONIC_STRESS")
    return exe


@pytest.fixture(scope="session")
def smoke_toml():
    return os.environ.get("REWIRE_SMOKE_TOML") or str(REPO / "examples/chronic_stress/smoke.toml")


@pytest.fixture
def clusters():
    """A small, well separated instance of the study's task (train, test)."""
    rng = rewire.Rng(7, rewire.Purpose.data)
    return rewire.make_gaussian_clusters(512, 0.8, rng), rewire.make_gaussian_clusters(256, 0.8, rng)


@pytest.fixture
def small_net():
    net = rewire.Mlp([2, 16, 8, 4])
    net.init(rewire.Rng(3, rewire.Purpose.init))
    return net


def numpy_logits(net, X):
    """Forward pass in float64 numpy from the layers' arrays (reference)."""
    h = X.astype(np.float64)
    layers = net.layers
    for k, layer in enumerate(layers):
        z = h @ layer.weight.astype(np.float64).T + layer.bias.astype(np.float64)
        if k + 1 == len(layers):
            return z
        f = np.maximum(z, 0.0) if net.activation == "relu" else np.tanh(z)
        h = net.damping * f
