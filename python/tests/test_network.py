"""Networks, layers, data sets and random streams from Python."""
import copy

import numpy as np
import pytest

import rewire
from conftest import numpy_logits
# The stream keys written from the published SplitMix64 mixing scheme, not from the bindings.
from recurrent_reference import M64, splitmix64, stream_key

class Xoshiro256ss:
    """xoshiro256** (Blackman & Vigna 2018), seeded word by word from SplitMix64."""

    def __init__(self, key):
        self.s = []
        for _ in range(4):
            key, word = splitmix64(key)
            self.s.append(word)

    def next_u64(self):
        rotl = lambda x, k: ((x << k) | (x >> (64 - k))) & M64  # noqa: E731
        s = self.s
        result = (rotl((s[1] * 5) & M64, 7) * 9) & M64
        t = (s[1] << 17) & M64
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
        return result

    def uniform(self):
        return np.float32(self.next_u64() >> 40) * np.float32(2.0**-24)


def test_stream_key_and_rng_match_an_independent_implementation():
    assert rewire.stream_key(5, rewire.Purpose.init, 2) == stream_key(5, 2, 2)
    a, b = rewire.Rng(5, rewire.Purpose.shuffle, 1), Xoshiro256ss(stream_key(5, 3, 1))
    assert [a.next_u64() for _ in range(5)] == [b.next_u64() for _ in range(5)]
    assert a.uniform() == b.uniform()


def test_init_is_pytorch_default_from_the_seeded_stream():
    # Expected: U(-1/sqrt(in), 1/sqrt(in)) for every weight (row by row), then
    # every bias, layer by layer, from the reference generator above, as
    # lo + (hi - lo) * u in float32. The compiler may contract that into one
    # fused multiply-add (-march=native builds do), so each entry must equal
    # the plain or the fused result (float64 holds the exact product).
    net = rewire.Mlp([3, 4, 2])
    net.init(rewire.Rng(11, rewire.Purpose.init))
    ref = Xoshiro256ss(stream_key(11, 2))
    for layer in net.layers:
        n_in, n_out = layer.in_features, layer.out_features
        lo = -(np.float32(1.0) / np.sqrt(np.float32(n_in)))
        width = -lo - lo
        u = np.array([ref.uniform() for _ in range(n_out * n_in + n_out)], dtype=np.float32)
        plain = lo + width * u
        fused = (np.float64(lo) + np.float64(width) * u.astype(np.float64)).astype(np.float32)
        got = np.concatenate([layer.weight.ravel(order="C"), layer.bias])
        assert np.all((got == plain) | (got == fused)), (got, plain, fused)
        assert np.any(got != 0.0)

def test_mlp_shape_properties_and_refusals():
    net = rewire.Mlp([2, 8, 4])
    assert net.widths == [2, 8, 4]
    assert net.num_weights == 2 * 8 + 8 * 4
    assert net.num_active_weights == 48 and net.sparsity == 0.0
    assert [(l.out_features, l.in_features) for l in net.layers] == [(8, 2), (4, 8)]
    assert net.activation == "relu" and net.damping == 1.0 and net.noise_sigma == 0.0
    with pytest.raises(ValueError, match="at least an input and an output width"):
        rewire.Mlp([3])
    with pytest.raises(ValueError, match="must be > 0"):
        rewire.Mlp([2, 0, 4])
    with pytest.raises(ValueError, match="allowed: relu, tanh"):
        rewire.Mlp([2, 4], activation="sigmoid")
    with pytest.raises(ValueError, match="noise_sigma"):
        net.noise_sigma = -1.0
    with pytest.raises(ValueError, match=r"damping = inf must be a finite number >= 0"):
        net.damping = float("inf")
    net.activation = "tanh"
    assert net.activation == "tanh"


def test_arrays_handed_out_are_read_only(small_net):
    layer = small_net.layers[0]
    for name in ("weight", "weight_grad", "mask", "bias", "bias_grad"):
        array = getattr(layer, name)
        with pytest.raises(ValueError, match="read-only"):
            array[0] = 1.0
    with pytest.raises(ValueError, match="read-only"):
        rewire.predict(small_net, np.zeros((2, 2), np.float32))[0] = 1


def test_views_are_zero_copy_and_keep_the_network_alive():
    net = rewire.Mlp([2, 3])
    bias, mask = net.layers[0].bias, net.layers[0].mask
    net.layers[0].set_bias(np.array([1, 2, 3], np.float32))
    np.testing.assert_array_equal(bias, [1, 2, 3])  # the view sees the new values
    del net  # the views still own a reference to the network
    np.testing.assert_array_equal(mask, np.ones((3, 2)))


@pytest.mark.parametrize("path", [rewire.KernelPath.dense, rewire.KernelPath.sparse])
def test_set_weight_keeps_masked_entries_zero(path):
    net = rewire.Mlp([3, 2])
    layer = net.layers[0]
    layer.set_kernel_path(path)
    mask = np.array([[1, 0, 1], [0, 1, 1]], np.float32)
    layer.set_mask(mask)
    layer.set_weight(np.full((2, 3), 5.0, np.float32))
    np.testing.assert_array_equal(layer.weight, 5.0 * mask)
    assert layer.active_weights == 4 and layer.uses_sparse == (path == rewire.KernelPath.sparse)
    layer.set_mask(np.array([[1, 0, 0], [0, 1, 1]], np.float32))  # prunes (0, 2)
    np.testing.assert_array_equal(layer.weight, [[5, 0, 0], [0, 5, 5]])


def test_setters_refuse_bad_arrays(small_net):
    layer = small_net.layers[1]  # 8 x 16
    with pytest.raises(ValueError, match="weight has shape 16x8, expected 8x16"):
        layer.set_weight(np.zeros((16, 8), np.float32))
    with pytest.raises(ValueError, match="dtype float32, got float64"):
        layer.set_weight(np.zeros((8, 16)))
    with pytest.raises(ValueError, match="2 dimension"):
        layer.set_weight(np.zeros(128, np.float32))
    with pytest.raises(ValueError, match="finite"):
        layer.set_weight(np.full((8, 16), np.nan, np.float32))
    with pytest.raises(ValueError, match="exactly 0 or 1"):
        layer.set_mask(np.full((8, 16), 0.5, np.float32))
    with pytest.raises(ValueError, match="bias has 3 entries, expected 8"):
        layer.set_bias(np.zeros(3, np.float32))
    with pytest.raises(ValueError, match="numpy array"):
        layer.set_weight([[0.0] * 16] * 8)


def test_set_weight_accepts_any_memory_order(small_net):
    layer = small_net.layers[0]  # 16 x 2
    W = np.arange(32, dtype=np.float32).reshape(16, 2)
    for array in (W, np.asfortranarray(W), W.T.copy().T):
        layer.set_weight(array)
        np.testing.assert_array_equal(layer.weight, W)


def test_dataset_validation_and_views():
    X = np.array([[0, 1], [2, 3], [4, 5]], np.float32)
    d = rewire.Dataset(X, np.array([0, 3, 1], np.int64))
    assert len(d) == 3
    np.testing.assert_array_equal(d.inputs, X)
    np.testing.assert_array_equal(d.labels, [0, 3, 1])
    assert d.labels.dtype == np.int32
    with pytest.raises(ValueError, match="read-only"):
        d.inputs[0, 0] = 1.0
    with pytest.raises(ValueError, match="float32"):
        rewire.Dataset(X.astype(np.float64), np.zeros(3, int))
    with pytest.raises(ValueError, match="inputs must have 2 dimension"):
        rewire.Dataset(X[:, 0].copy(), np.zeros(3, int))
    with pytest.raises(ValueError, match="3 rows but labels has 2"):
        rewire.Dataset(X, np.zeros(2, int))
    with pytest.raises(ValueError, match=r"labels\[1\] = -1"):
        rewire.Dataset(X, np.array([0, -1, 0]))
    with pytest.raises(ValueError, match="integer dtype"):
        rewire.Dataset(X, np.zeros(3))
    with pytest.raises(ValueError, match="NaN or inf"):
        rewire.Dataset(np.full((3, 2), np.inf, np.float32), np.zeros(3, int))
    with pytest.raises(ValueError, match="at least one row"):
        rewire.Dataset(np.zeros((0, 2), np.float32), np.zeros(0, int))


def test_make_gaussian_clusters_is_the_study_task():
    d = rewire.make_gaussian_clusters(400, 0.0, rewire.Rng(1, rewire.Purpose.data))
    centres = np.array([[-3, -3], [3, 3], [-3, 3], [3, -3]], np.float32)
    np.testing.assert_array_equal(d.inputs, centres[d.labels])  # sigma 0: exactly on the centres
    assert set(d.labels.tolist()) == {0, 1, 2, 3}
    with pytest.raises(ValueError, match="sigma"):
        rewire.make_gaussian_clusters(4, -1.0, rewire.Rng(1, rewire.Purpose.data))


@pytest.mark.parametrize("activation,damping", [("relu", 1.0), ("tanh", 0.5)])
def test_logits_and_predict_match_a_numpy_forward(small_net, clusters, activation, damping):
    small_net.activation, small_net.damping = activation, damping
    X = clusters[1].inputs[:50]
    expected = numpy_logits(small_net, X)
    np.testing.assert_allclose(rewire.logits(small_net, X), expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(rewire.predict(small_net, X), np.argmax(expected, axis=1))
    with pytest.raises(ValueError, match="wrong number of features"):
        rewire.predict(small_net, np.zeros((4, 3), np.float32))


def test_deepcopy_is_independent(small_net):
    twin = copy.deepcopy(small_net)
    twin.layers[0].set_weight(np.zeros((16, 2), np.float32))
    assert np.abs(small_net.layers[0].weight).sum() > 0
