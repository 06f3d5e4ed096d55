"""Sparse training from Python: Erdos-Renyi (ERK) initial densities and masks,
and drop_and_grow over all layers together (scope="global")."""
import math

import numpy as np
import pytest

import rewire
from rewire import Purpose, Rng


def reference_erk(shapes, density):
    """RigL's loop (sparse_utils.get_sparsities, erk_power_scale 1), written out
    here in Python, then the largest-remainder rounding the library documents."""
    dense = set()
    while True:
        rhs, divisor, ratios = 0.0, 0.0, {}
        for l, (out, inp) in enumerate(shapes):
            size = out * inp
            if l in dense:
                rhs -= (1.0 - density) * size
            else:
                rhs += density * size
                ratios[l] = (out + inp) / size
                divisor += out + inp
        if not ratios:
            eps = 0.0
            break
        eps = max(0.0, rhs / divisor)
        top = max(ratios.values())
        if eps * top <= 1.0:
            break
        dense |= {l for l, r in ratios.items() if r == top}
    ideal = [out * inp if l in dense else eps * (out + inp) for l, (out, inp) in enumerate(shapes)]
    counts = [math.floor(c) for c in ideal]
    target = math.floor(density * sum(o * i for o, i in shapes) + 0.5)  # half up: the products are >= 0
    order = sorted((l for l in range(len(shapes)) if counts[l] < shapes[l][0] * shapes[l][1]),
                   key=lambda l: (-(ideal[l] - counts[l]), l))
    for l in order[:target - sum(counts)]:
        counts[l] += 1
    return counts, [l in dense for l in range(len(shapes))]


def test_erk_densities_hand_worked():
    # Mlp([2, 8, 8, 4]): (n_in + n_out) 10, 16, 12; d = 0.5: epsilon 56/38, real counts
    # 14.74, 23.58, 17.68; the 2 left after the floors go to layers 1 and 3.
    shapes = [(8, 2), (8, 8), (4, 8)]
    d = rewire.erk_densities(shapes, 0.5)
    assert d.active == [15, 23, 18] and d.total_active == 56
    assert d.epsilon == pytest.approx(56 / 38, rel=1e-12)
    assert d.densities == [15 / 16, 23 / 64, 18 / 32]
    # d = 0.6: layer 1 would get 0.625 * 67.2/38 > 1, so it is dense; the rest share 51.2.
    d = rewire.erk_densities(shapes, 0.6)
    assert d.dense == [True, False, False] and d.active == [16, 29, 22]
    assert "16/16" in repr(d)


def test_erk_densities_match_rigl_rule_written_in_python():
    rng = np.random.default_rng(0)
    for _ in range(200):
        shapes = [(int(rng.integers(1, 200)), int(rng.integers(1, 200))) for _ in range(rng.integers(1, 6))]
        density = float(rng.choice([0.0, 0.05, 0.1, 0.5, 0.9, 1.0, rng.random()]))
        d = rewire.erk_densities(shapes, density)
        counts, dense = reference_erk(shapes, density)
        assert (d.active, d.dense) == (counts, dense), (shapes, density)
        assert d.total_active == math.floor(density * sum(o * i for o, i in shapes) + 0.5)


def test_apply_erk_sets_exact_masks_reproducibly():
    def run(seed):
        net = rewire.Mlp([2, 64, 64, 4])
        net.init(Rng(0, Purpose.init))
        w0 = [layer.weight.copy() for layer in net.layers]
        d = rewire.apply_erk(net, 0.1, Rng(seed, Purpose.init, 1))
        assert d.active == rewire.erk_densities(net, 0.1).active
        for layer, w, n in zip(net.layers, w0, d.active):
            mask = np.asarray(layer.mask)
            assert int(mask.sum()) == n == layer.active_weights
            assert np.array_equal(layer.weight, np.where(mask != 0, w, 0.0))
        assert sum(d.active) == round(0.1 * (2 * 64 + 64 * 64 + 64 * 4))
        return [np.asarray(layer.mask).copy() for layer in net.layers]

    a, b, c = run(0), run(0), run(1)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not all(np.array_equal(x, y) for x, y in zip(a, c))


def test_erk_on_a_recurrent_network_and_refusals():
    rnn = rewire.Rnn(3, 32, 4)
    rnn.init(Rng(0, Purpose.init))
    d = rewire.apply_erk(rnn, 0.2, Rng(0, Purpose.init, 1))
    assert d.sizes == [32 * 3, 32 * 32, 4 * 32]
    assert [layer.active_weights for layer in rnn.layers] == d.active
    with pytest.raises(ValueError, match="for 3 layers given to a network of 2"):
        rewire.apply_layer_densities(rewire.Mlp([2, 8, 4]), d, Rng(0, Purpose.init))
    with pytest.raises(ValueError, match="overall density"):
        rewire.erk_densities(rnn, 1.5)
    with pytest.raises(ValueError, match="layer shape 3x0"):
        rewire.erk_densities([(3, 0)], 0.5)


def two_layer_net():
    """Mlp([2, 2, 2]), all active: |W| 0.5..0.8 in layer 1, 0.01, 0.02, 3, 4 in layer 2."""
    net = rewire.Mlp([2, 2, 2])
    net.layers[0].set_weight(np.array([[0.5, 0.7], [0.6, 0.8]], dtype=np.float32))
    net.layers[1].set_weight(np.array([[0.01, 3.0], [0.02, 4.0]], dtype=np.float32))
    return net


def test_global_drop_and_grow_drops_where_the_network_is_weakest(clusters):
    train_set, _ = clusters
    # fraction 0.25: per layer k = floor(0.25 * 4) = 1 from each; globally k = floor(0.25 * 8) = 2,
    # both from layer 2 (0.01 and 0.02 are the two smallest of all eight).
    per_layer = rewire.drop_and_grow(two_layer_net(), train_set, Rng(0, Purpose.shuffle), Rng(0, Purpose.regrow),
                                     fraction=0.25, grow="random")
    net = two_layer_net()
    dropped = rewire.drop_and_grow(net, train_set, Rng(0, Purpose.shuffle), Rng(0, Purpose.regrow),
                                   fraction=0.25, grow="random", scope="global")
    assert per_layer == [1, 1] and dropped == [0, 2]
    assert sum(layer.active_weights for layer in net.layers) == 8 - 2 + 2
    with pytest.raises(ValueError, match="scope 'network' is unknown"):
        rewire.drop_and_grow(net, train_set, Rng(0, Purpose.shuffle), Rng(0, Purpose.regrow), scope="network")


@pytest.mark.parametrize("grow", ["gradient", "random"])
def test_a_global_rigl_loop_keeps_the_total_and_reproduces(clusters, grow):
    train_set, _ = clusters

    def run(scope):
        net = rewire.Mlp([2, 32, 32, 4])
        net.init(Rng(0, Purpose.init))
        rewire.apply_erk(net, 0.2, Rng(0, Purpose.init, 1))
        total = sum(layer.active_weights for layer in net.layers)
        shuffle, rng = Rng(0, Purpose.shuffle), Rng(0, Purpose.regrow)
        for _ in range(3):
            rewire.train(net, train_set, shuffle, epochs=2, lr=1e-2)
            dropped = rewire.drop_and_grow(net, train_set, shuffle, rng, fraction=0.3, grow=grow, scope=scope)
            assert sum(layer.active_weights for layer in net.layers) == total
            if scope == "global":
                assert sum(dropped) == math.floor(0.3 * total)
        return net

    a, b, c = run("global"), run("global"), run("per_layer")
    for la, lb in zip(a.layers, b.layers):
        assert np.array_equal(la.weight, lb.weight) and np.array_equal(la.mask, lb.mask)
    assert [l.active_weights for l in a.layers] != [l.active_weights for l in c.layers]


def test_global_equals_per_layer_on_a_one_layer_network(clusters):
    train_set, _ = clusters

    def run(scope):
        net = rewire.Mlp([2, 4])
        net.init(Rng(1, Purpose.init))
        rewire.prune_to(net, 0.5)
        rewire.drop_and_grow(net, train_set, Rng(1, Purpose.shuffle), Rng(1, Purpose.regrow), scope=scope)
        return net.layers[0]

    g, p = run("global"), run("per_layer")
    assert np.array_equal(g.mask, p.mask) and np.array_equal(g.weight, p.weight)
