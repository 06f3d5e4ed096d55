"""forward_backward of every network kind against the model equations written
in numpy (the recurrent network and the Mlp).

Gradient checks: the library computes in float32; the reference is the
model written independently in float64 numpy (recurrent_reference.py), whose
loss is differentiated by central differences (h = 1e-6: truncation error
~h^2 and rounding ~1e-16 / h, both below 1e-9). The library's own float32
rounding dominates the difference: about 2^-24 per operation, summed over a
few steps and units; over all the cases below it measured at most 4e-7 of
the tensor's largest gradient. Tolerance: 1e-4 of the largest gradient of
the tensor (taken as at least 1e-3), plus 1e-7, some 250x the measured
error, while a model without the leak or without Dale's sign is off by 90 %
or more (test_the_gradient_check_tells_a_wrong_model_apart fails them at
1000x the tolerance).
"""
import numpy as np
import pytest

import rewire
from rewire import Purpose, Rng
from recurrent_reference import (NoiseReference, central_differences, dale_signs, effective, mean_cross_entropy,
                                 mlp_logits, mlp_noise, rnn_noise, rnn_readout, sequence_loss, stream_key)

RTOL = 1e-4
NOISE_SEED = 5


def as64(arrays):
    return {k: np.array(v, dtype=np.float64) for k, v in arrays.items()}


def assert_gradients_close(got, expected, rtol=RTOL):
    assert set(got) == set(expected)
    for name, g in got.items():
        scale = max(np.abs(expected[name]).max(), 1e-3)
        err = np.abs(g.astype(np.float64) - expected[name]).max()
        assert err <= rtol * scale + 1e-7, (name, err, scale)


def stored_parameters(net, prefix_of):
    params, masks = {}, {}
    for l, layer in enumerate(net.layers):
        prefix = prefix_of(l)
        params[prefix + ".weight"] = layer.weight.astype(np.float64)
        params[prefix + ".bias"] = layer.bias.astype(np.float64)
        masks[prefix + ".weight"] = layer.mask.astype(np.float64)
    return params, masks


def random_masks(net, seed, keep=0.6):
    pick = np.random.default_rng(seed)
    for layer in net.layers:
        layer.set_mask((pick.random((layer.out_features, layer.in_features)) < keep).astype(np.float32))


# --- the recurrent network against its equations ---------------------------

STEPS, TRIALS, CHANNELS, UNITS, CLASSES, ALPHA, FRACTION = 5, 4, 3, 5, 3, 0.3, 0.6
RNN_CASES = [(a, dale, d, s, masked, resp)
             for a in ("relu", "tanh") for dale in (False, True) for d, s in ((1.0, 0.0), (0.7, 0.5))
             for masked, resp in ((False, "one"), (True, "several"))]


def rnn_case(activation, dale, damping, sigma, masked, response):
    net = rewire.Rnn(CHANNELS, UNITS, CLASSES, alpha=ALPHA, dale=dale, excitatory_fraction=FRACTION,
                     activation=activation)
    net.init(Rng(3, Purpose.init))
    net.damping, net.noise_sigma = damping, sigma
    if masked:
        random_masks(net, 1)
    pick = np.random.default_rng(2)
    X = pick.normal(size=(STEPS, TRIALS, CHANNELS)).astype(np.float32)
    labels = pick.integers(0, CLASSES, TRIALS)
    w = rewire.response_period(STEPS, STEPS - 1, 1) if response == "one" else np.array([0, 0, 1, 0.5, 2], np.float32)
    return net, rewire.TrialSet(X, labels, w)


def rnn_reference_loss(trials, net, sigma):
    """params -> the float64 loss of the model on `trials` (noise: the reference generator)."""
    noise = rnn_noise(stream_key(NOISE_SEED, int(Purpose.noise)), trials.steps, trials.trials, net.units)
    signs = dale_signs(net.units, net.excitatory_fraction) if net.dale else None
    X, y, w = trials.inputs.astype(np.float64), trials.labels, trials.response.astype(np.float64)

    def loss_of_effective(E):
        return sequence_loss(rnn_readout(E, X, net.alpha, net.damping, net.activation, sigma=sigma, noise=noise),
                             y, w)
    return loss_of_effective, signs


def rnn_pass(net, trials, full=False):
    return rewire.forward_backward(net, trials, noise=rewire.NoiseSource(NOISE_SEED, Purpose.noise), full=full)


@pytest.mark.parametrize("activation,dale,damping,sigma,masked,response", RNN_CASES)
def test_rnn_outputs_and_gradients_equal_the_model_equations(activation, dale, damping, sigma, masked, response):
    net, trials = rnn_case(activation, dale, damping, sigma, masked, response)
    params, masks = stored_parameters(net, lambda l: net.layer_names[l])
    loss_of_effective, signs = rnn_reference_loss(trials, net, sigma)
    got = rnn_pass(net, trials)

    E = effective(params, masks, signs)
    noise = rnn_noise(stream_key(NOISE_SEED, int(Purpose.noise)), STEPS, TRIALS, UNITS)
    Y = rnn_readout(E, trials.inputs.astype(np.float64), ALPHA, damping, activation, sigma=sigma, noise=noise)
    assert got.outputs.shape == (STEPS, TRIALS, CLASSES)
    np.testing.assert_allclose(got.outputs, Y, rtol=1e-5, atol=1e-5)
    assert got.loss == pytest.approx(loss_of_effective(E), rel=1e-5)

    # Masked (training) gradients: differences in the stored W, only where the mask keeps it.
    active = {name: m == 1 for name, m in masks.items()}
    expected = central_differences(lambda P: loss_of_effective(effective(P, masks, signs)), params, list(params),
                                   entries=active)
    assert_gradients_close(got.gradients, expected)
    for name, m in masks.items():
        assert np.all(got.gradients[name][m == 0] == 0.0)  # exactly zero where pruned

    # Full gradients: dL/dW_eff at every position (pruned ones as a present weight of 0),
    # chained through |W| * s with sgn(0) = +1.
    full = rnn_pass(net, trials, full=True)
    d_eff = central_differences(loss_of_effective, E, list(E))
    for name in ("rnn.recurrent.weight", "rnn.output.weight"):
        if signs is not None:
            d_eff[name] = d_eff[name] * signs[None, :] * np.where(params[name] < 0, -1.0, 1.0)
    assert_gradients_close(full.gradients, d_eff)
    if masked:
        assert any(np.any(full.gradients[n][m == 0] != 0.0) for n, m in masks.items())

    # The sparse kernels (compact storage of every matrix) give the same gradients.
    net.set_kernel_path(rewire.KernelPath.sparse)
    assert all(layer.uses_sparse for layer in net.layers)
    assert_gradients_close(rnn_pass(net, trials).gradients, expected)
    assert_gradients_close(rnn_pass(net, trials, full=True).gradients, d_eff)


def test_rnn_readout_predict_and_decision_times_follow_the_equations():
    net, trials = rnn_case("tanh", True, 0.8, 0.0, True, "several")
    params, masks = stored_parameters(net, lambda l: net.layer_names[l])
    signs = dale_signs(UNITS, FRACTION)
    Y = rnn_readout(effective(params, masks, signs), trials.inputs.astype(np.float64), ALPHA, 0.8, "tanh")
    np.testing.assert_allclose(rewire.readout(net, trials), Y, rtol=1e-5, atol=1e-6)
    decision = np.argmax(np.tensordot(trials.response, Y, axes=1), axis=1)  # sum_t w_t y_t
    np.testing.assert_array_equal(rewire.predict(net, trials), decision)
    assert rewire.accuracy(net, trials) == pytest.approx(100.0 * np.mean(decision == trials.labels), abs=1e-12)
    p = np.exp(Y - Y.max(axis=2, keepdims=True))
    top = (p / p.sum(axis=2, keepdims=True)).max(axis=2)  # (steps, trials)
    threshold = float(np.median(top))
    reached = top[1:] >= threshold
    expected = np.where(reached.any(axis=0), reached.argmax(axis=0) + 1, -1)
    np.testing.assert_array_equal(rewire.decision_times(net, trials, threshold, start=1), expected)


def test_noise_source_draw_matches_the_reference_generator():
    key = stream_key(NOISE_SEED, int(Purpose.noise))
    source, reference = rewire.NoiseSource(NOISE_SEED, Purpose.noise), NoiseReference(key)
    for count in (10, 300, 256, 0):  # each request starts a new block of 256
        got = source.draw(count)
        assert got.dtype == np.float32 and got.shape == (count,)
        np.testing.assert_allclose(got, reference.draw(count), rtol=0, atol=2e-5)


# --- the Mlp through the same function --------------------------------------

MLP_CASES = [(a, d, s, masked) for a in ("relu", "tanh") for d, s in ((1.0, 0.0), (0.7, 0.5)) for masked in (0, 1)]


@pytest.mark.parametrize("activation,damping,sigma,masked", MLP_CASES)
def test_mlp_outputs_and_gradients_equal_the_model_equations(activation, damping, sigma, masked):
    net = rewire.Mlp([3, 6, 5, 3], activation=activation)
    net.init(Rng(4, Purpose.init))
    net.damping, net.noise_sigma = damping, sigma
    if masked:
        random_masks(net, 7)
    pick = np.random.default_rng(8)
    data = rewire.Dataset(pick.normal(size=(7, 3)).astype(np.float32), pick.integers(0, 3, 7))
    params, masks = stored_parameters(net, lambda l: f"layer{l + 1}")
    noise = mlp_noise(stream_key(NOISE_SEED, int(Purpose.noise)), 7, [6, 5])
    X = data.inputs.astype(np.float64)

    def loss_of_effective(E):
        return mean_cross_entropy(mlp_logits(E, X, damping, activation, sigma, noise), data.labels)

    got = rewire.forward_backward(net, data, noise=rewire.NoiseSource(NOISE_SEED, Purpose.noise))
    E = effective(params, masks, None)
    np.testing.assert_allclose(got.outputs, mlp_logits(E, X, damping, activation, sigma, noise), rtol=1e-5, atol=1e-5)
    assert got.loss == pytest.approx(loss_of_effective(E), rel=1e-5)
    active = {name: m == 1 for name, m in masks.items()}
    expected = central_differences(lambda P: loss_of_effective(effective(P, masks, None)), params, list(params),
                                   entries=active)
    assert_gradients_close(got.gradients, expected)
    full = rewire.forward_backward(net, data, noise=rewire.NoiseSource(NOISE_SEED, Purpose.noise), full=True)
    assert_gradients_close(full.gradients, central_differences(loss_of_effective, E, list(E)))
    for name, m in masks.items():
        assert np.all(got.gradients[name][m == 0] == 0.0)
    # The layers hold the gradients of the last pass, as after a training step's backward.
    np.testing.assert_array_equal(net.layers[0].weight_grad, full.gradients["layer1.weight"])
    net.set_kernel_path(rewire.KernelPath.sparse)  # the same through the sparse kernels
    assert_gradients_close(rewire.forward_backward(net, data, noise=rewire.NoiseSource(NOISE_SEED, Purpose.noise))
                           .gradients, expected)


def test_the_gradient_check_tells_a_wrong_model_apart():
    net, trials = rnn_case("tanh", True, 1.0, 0.0, False, "several")
    params, masks = stored_parameters(net, lambda l: net.layer_names[l])
    loss_right, signs = rnn_reference_loss(trials, net, 0.0)
    X, y, w = trials.inputs.astype(np.float64), trials.labels, trials.response.astype(np.float64)
    no_leak = lambda E: sequence_loss(rnn_readout(E, X, 1.0, 1.0, "tanh"), y, w)  # noqa: E731
    got = rnn_pass(net, trials).gradients
    for loss_of_effective, sign in ((no_leak, signs), (loss_right, None)):  # no leak; Dale's sign dropped
        wrong = central_differences(lambda P: loss_of_effective(effective(P, masks, sign)), params, list(params))
        with pytest.raises(AssertionError):
            assert_gradients_close(got, wrong, rtol=RTOL * 1000)


def test_forward_backward_refusals():
    net, trials = rnn_case("relu", False, 1.0, 0.5, False, "one")
    with pytest.raises(ValueError, match="noise_sigma > 0 needs a NoiseSource"):
        rewire.forward_backward(net, trials)
    mlp = rewire.Mlp([3, 4, 2])
    with pytest.raises(ValueError, match="label out of range"):
        rewire.forward_backward(mlp, rewire.Dataset(np.zeros((2, 3), np.float32), np.array([0, 2])))
    with pytest.raises(ValueError, match="trials have 3 input channels but the network has 2 inputs"):
        rewire.forward_backward(rewire.Rnn(2, 4, 3), trials)
    with pytest.raises(TypeError):
        rewire.forward_backward(mlp, trials)  # an Mlp takes a Dataset
    with pytest.raises(ValueError, match="count = -1"):
        rewire.NoiseSource(0).draw(-1)
