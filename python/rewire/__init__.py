"""rewire: pruning-plasticity simulations of small MLPs, from Python.

Network level (numpy in, numpy out): Mlp, Dataset, Rng, NoiseSource, train,
train_with_stress, prune_to, regrow_by_gradient, accuracy, predict.
"""
from ._rewire import *  # noqa: F401,F403
from ._rewire import __version__  # noqa: F401
