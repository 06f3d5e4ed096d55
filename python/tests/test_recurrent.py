"""Recurrent networks, trial sets and trial tasks from Python: construction,
training, pruning, regrowth, evaluation, checkpoints and refusals. The
equations and gradients are checked in test_recurrent_gradients.py."""
import copy
import json
import pathlib
import re

import numpy as np
import pytest

import rewire
from rewire import Purpose, Rng

REPO = pathlib.Path(__file__).resolve().parents[2]
CENTRES = np.array([[-3, -3], [3, 3], [-3, 3], [3, -3]], np.float32)  # the study's, by hand


def fresh(dale=False, units=16, seed=3, alpha=0.5):
    net = rewire.Rnn(3, units, 4, alpha=alpha, dale=dale)
    net.init(Rng(seed, Purpose.init))
    return net


@pytest.fixture(scope="module")
def cluster_sets():
    rng = Rng(7, Purpose.data)
    timing = dict(fixation=1, stimulus=4, response=2, step_sigma=0.2)
    return (rewire.make_cluster_trials(512, 0.8, rng, **timing), rewire.make_cluster_trials(256, 0.8, rng, **timing))


# --- trial sets and tasks ----------------------------------------------------

def test_trial_set_from_numpy_keeps_the_layout():
    X = np.arange(2 * 3 * 4, dtype=np.float32).reshape(2, 3, 4)  # (steps, trials, channels)
    s = rewire.TrialSet(X, np.array([0, 2, 1]), np.array([0, 1], np.float32))
    assert (s.steps, s.trials, s.channels, len(s)) == (2, 3, 4, 3)
    np.testing.assert_array_equal(s.inputs, X)
    np.testing.assert_array_equal(s.labels, [0, 2, 1])
    np.testing.assert_array_equal(s.response, [0, 1])
    for array in (s.inputs, s.labels, s.response):
        assert not array.flags.writeable
    np.testing.assert_array_equal(rewire.TrialSet(np.asfortranarray(X), s.labels, s.response).inputs, X)


def test_trial_set_refuses_bad_arrays():
    X, y, w = np.zeros((2, 3, 4), np.float32), np.zeros(3, int), np.ones(2, np.float32)
    cases = [
        ((X.astype(np.float64), y, w), "inputs must have dtype float32"),
        ((X[0], y, w), r"inputs must have 3 dimensions \(steps, trials, channels\), got 2"),
        ((X, y[:2], w), "inputs has 3 trials but labels has 2 entries"),
        ((X, y, np.ones(3, np.float32)), "inputs has 2 steps but response has 3 weights"),
        ((X, y, np.zeros(2, np.float32)), "response period is empty"),
        ((X, y, np.array([1, -1], np.float32)), "response weights must be finite and >= 0"),
        ((np.full((2, 3, 4), np.nan, np.float32), y, w), "trial inputs must be finite"),
        ((X, np.array([0, -1, 0]), w), r"labels\[1\] = -1"),
        ((np.zeros((2, 3, 0), np.float32), y, w), "inputs has no channels"),
        ((np.zeros((2, 0, 4), np.float32), y[:0], w), "at least one trial"),
    ]
    for args, message in cases:
        with pytest.raises(ValueError, match=message):
            rewire.TrialSet(*args)
    with pytest.raises(ValueError, match=r"response period \[3, 5\) lies outside the trial of 4 steps"):
        rewire.response_period(4, 3, 2)


def test_task_generators_are_deterministic_by_seed():
    makers = [lambda r: rewire.make_cluster_trials(20, 0.5, r, step_sigma=0.3),
              lambda r: rewire.make_memory_trials(20, 0.5, r, delay=3, step_sigma=0.3),
              lambda r: rewire.make_decision_trials(20, 0.4, r, coherence=0.3)]
    for make in makers:
        a, b, c = make(Rng(1, Purpose.data)), make(Rng(1, Purpose.data)), make(Rng(2, Purpose.data))
        np.testing.assert_array_equal(a.inputs, b.inputs)
        np.testing.assert_array_equal(a.labels, b.labels)
        assert not np.array_equal(a.inputs, c.inputs)


def test_cluster_trials_show_the_static_task_points_over_time():
    trials = rewire.make_cluster_trials(50, 0.8, Rng(4, Purpose.data), fixation=2, stimulus=3, response=2)
    static = rewire.make_gaussian_clusters(50, 0.8, Rng(4, Purpose.data))  # the same draws
    assert trials.inputs.shape == (7, 50, 3)
    np.testing.assert_array_equal(trials.labels, static.labels)
    for t in range(2, 7):  # no step noise: the point at every shown step
        np.testing.assert_array_equal(trials.inputs[t, :, :2], static.inputs)
    assert np.all(trials.inputs[:2, :, :2] == 0.0)  # fixation: coordinates blank
    np.testing.assert_array_equal(trials.inputs[:, 0, 2], [1, 1, 1, 1, 1, 0, 0])  # fixation channel
    np.testing.assert_array_equal(trials.response, [0, 0, 0, 0, 0, 1, 1])


def test_memory_and_decision_trials_follow_their_timing():
    memory = rewire.make_memory_trials(40, 0.0, Rng(5, Purpose.data), fixation=1, stimulus=2, delay=3, response=2)
    np.testing.assert_array_equal(memory.inputs[1, :, :2], CENTRES[memory.labels])  # sigma 0: on the centre
    np.testing.assert_array_equal(memory.inputs[2, :, :2], CENTRES[memory.labels])
    assert np.all(memory.inputs[3:, :, :2] == 0.0)  # hidden during the delay and the response
    np.testing.assert_array_equal(memory.inputs[:, 0, 2], [1, 1, 1, 1, 1, 1, 0, 0])
    decision = rewire.make_decision_trials(40, 0.0, Rng(5, Purpose.data), fixation=1, stimulus=4, delay=1,
                                           response=2, coherence=0.4)
    assert set(decision.labels.tolist()) == {0, 1}
    true_channel = decision.inputs[1:5, np.arange(40), decision.labels]
    other = decision.inputs[1:5, np.arange(40), 1 - decision.labels]
    np.testing.assert_allclose(true_channel, 0.7)  # (1 + 0.4) / 2
    np.testing.assert_allclose(other, 0.3)
    assert np.all(decision.inputs[5:, :, :2] == 0.0)
    centres = [[0.0], [5.0], [10.0]]
    one_d = rewire.make_cluster_trials(30, 0.0, Rng(6, Purpose.data), centres=centres)
    assert one_d.channels == 2 and set(one_d.labels.tolist()) <= {0, 1, 2}
    np.testing.assert_array_equal(one_d.inputs[-1, :, 0], np.array(centres)[one_d.labels, 0])


def test_task_generators_refuse_bad_knobs():
    rng = Rng(0, Purpose.data)
    cases = [
        (lambda: rewire.make_cluster_trials(0, 0.5, rng), "trials = 0 must be > 0"),
        (lambda: rewire.make_cluster_trials(4, -0.5, rng), "sigma"),
        (lambda: rewire.make_cluster_trials(4, 0.5, rng, step_sigma=-1.0), "step_sigma"),
        (lambda: rewire.make_cluster_trials(4, 0.5, rng, delay=2), "timing.delay = 2"),
        (lambda: rewire.make_memory_trials(4, 0.5, rng, delay=-1), r"timing.delay = -1 is outside .* \[0, 100000\]"),
        (lambda: rewire.make_memory_trials(4, 0.5, rng, stimulus=0), "timing.stimulus = 0"),
        (lambda: rewire.make_decision_trials(4, 0.5, rng, response=0), "timing.response = 0"),
        (lambda: rewire.make_decision_trials(4, 0.5, rng, coherence=1.5), "coherence"),
        (lambda: rewire.make_cluster_trials(4, 0.5, rng, centres=[[0.0, 1.0], [2.0]]), "centre"),
    ]
    for call, message in cases:
        with pytest.raises(ValueError, match=message):
            call()


# --- the network -------------------------------------------------------------

def test_rnn_shape_properties_and_refusals():
    net = rewire.Rnn(3, 10, 4, alpha=0.25, dale=True, excitatory_fraction=0.75, activation="tanh")
    assert (net.inputs, net.units, net.outputs, net.alpha, net.dale) == (3, 10, 4, 0.25, True)
    assert net.excitatory_units == 8  # round(7.5), half away from zero
    np.testing.assert_array_equal(net.unit_signs, [1] * 8 + [-1] * 2)
    assert net.layer_names == ["rnn.input", "rnn.recurrent", "rnn.output"]
    assert [(l.out_features, l.in_features) for l in net.layers] == [(10, 3), (10, 10), (4, 10)]
    assert net.num_weights == 30 + 100 + 40 and net.sparsity == 0.0
    assert net.activation == "tanh" and net.damping == 1.0 and net.noise_sigma == 0.0
    assert rewire.Rnn(2, 3, 2).unit_signs is None
    cases = [
        (lambda: rewire.Rnn(0, 4, 2), "rnn inputs = 0 must be > 0"),
        (lambda: rewire.Rnn(2, 0, 2), "rnn units = 0 must be > 0"),
        (lambda: rewire.Rnn(2, 4, 0), "rnn outputs = 0 must be > 0"),
        (lambda: rewire.Rnn(2, 4, 2, alpha=0.0), r"alpha = 0.000000 is outside the allowed range \(0, 1\]"),
        (lambda: rewire.Rnn(2, 4, 2, alpha=1.5), "alpha"),
        (lambda: rewire.Rnn(2, 4, 2, excitatory_fraction=1.5), "excitatory_fraction"),
        (lambda: rewire.Rnn(2, 4, 2, activation="sigmoid"), "allowed: relu, tanh"),
    ]
    for call, message in cases:
        with pytest.raises(ValueError, match=message):
            call()
    with pytest.raises(ValueError, match="noise_sigma"):
        net.noise_sigma = -1.0
    with pytest.raises(ValueError, match="damping"):
        net.damping = float("nan")
    with pytest.raises(TypeError):
        rewire.Rnn(2, 4, 2, 0.5)  # options are keyword-only


def test_rnn_init_layers_and_copies():
    net = fresh(dale=True, units=10)
    rec = net.layers[1]
    bound = 1.0 / np.sqrt(10)
    W = rec.weight
    assert np.all(np.abs(W[:, :8]) <= bound) and np.any(np.abs(W[:, 8:]) > bound)  # inhibitory columns * 8/2
    twin = copy.deepcopy(net)
    twin.layers[1].set_weight(np.zeros((10, 10), np.float32))
    assert np.abs(net.layers[1].weight).sum() > 0
    net.set_kernel_path(rewire.KernelPath.sparse)
    assert all(layer.uses_sparse for layer in net.layers)
    del net
    assert rec.out_features == 10  # a layer keeps its network alive


# --- the calls -----------------------------------------------------------------

def test_train_learns_the_cluster_task_and_is_reproducible(cluster_sets):
    train_set, test_set = cluster_sets
    net = fresh()
    before = rewire.accuracy(net, test_set)
    seen = []
    result = rewire.train(net, train_set, Rng(0, Purpose.shuffle), epochs=6, lr=1e-2, batch_size=64,
                          on_epoch=lambda e, loss, s: seen.append(loss))
    assert result.status == rewire.TrainStatus.ok and result.steps == 6 * 8
    assert seen[-1] < seen[0]
    assert rewire.accuracy(net, test_set) > max(before, 90.0)
    twin = fresh()
    rewire.train(twin, train_set, Rng(0, Purpose.shuffle), epochs=6, lr=1e-2, batch_size=64)
    for a, b in zip(net.layers, twin.layers):
        np.testing.assert_array_equal(a.weight, b.weight)


def test_train_with_stress_tapers_and_restores_sigma(cluster_sets):
    net = fresh()
    net.noise_sigma = 0.25
    sigmas = []
    rewire.train_with_stress(net, cluster_sets[0], Rng(0, Purpose.shuffle), rewire.NoiseSource(0, Purpose.noise),
                             sigma0=0.4, epochs=3, on_epoch=lambda e, loss, s: sigmas.append(s))
    assert sigmas == pytest.approx([0.4, 0.2, 0.0])  # s0 * (1 - e / (E - 1))
    assert net.noise_sigma == 0.25


def test_prune_regrow_and_scores_on_an_rnn(cluster_sets):
    train_set = cluster_sets[0]
    net = fresh(dale=True)
    rewire.train(net, train_set, Rng(0, Purpose.shuffle), epochs=2, lr=1e-2)
    rewire.prune_to(net, 0.5)
    assert [layer.active_weights for layer in net.layers] == [24, 128, 32]  # half of each matrix
    masks = [layer.mask.copy() for layer in net.layers]
    rewire.train(net, train_set, Rng(1, Purpose.shuffle), epochs=1)
    for layer, mask in zip(net.layers, masks):
        assert np.all(layer.weight[mask == 0] == 0.0) and np.all(layer.weight_grad[mask == 0] == 0.0)
    # One batch of every trial: the scores are |the full gradient of the whole set| (other order).
    scores = rewire.gradient_scores(net, train_set, Rng(2, Purpose.shuffle), batches=1, batch_size=512)
    full = rewire.forward_backward(net, train_set, full=True).gradients
    for S, name in zip(scores, net.layer_names):
        np.testing.assert_allclose(S, np.abs(full[name + ".weight"]), rtol=1e-4, atol=1e-7)
    regrown = rewire.regrow_by_gradient(net, train_set, Rng(2, Purpose.shuffle), Rng(2, Purpose.regrow), batches=2,
                                        fraction=0.5, ties="lowest_index")
    assert regrown == [12, 64, 16]
    assert net.sparsity == pytest.approx(1 - (36 + 192 + 48) / 368)
    rewire.prune_to(net, 0.8, scope="global")
    assert net.sparsity == pytest.approx(0.8, abs=0.01)
    with pytest.raises(ValueError, match=r"outside the allowed range \[0, 1\)"):
        rewire.prune_to(net, 1.0)


def test_accuracy_under_noise_draws_from_the_stream(cluster_sets):
    net = fresh()
    rewire.train(net, cluster_sets[0], Rng(0, Purpose.shuffle), epochs=2, lr=1e-2)
    test_set = cluster_sets[1]
    clean = rewire.accuracy(net, test_set)
    noisy = [rewire.accuracy(net, test_set, rewire.NoiseSource(9), input_sigma=3.0, internal_sigma=1.0, chunk=50)
             for _ in range(2)]
    assert noisy[0] == noisy[1] != clean
    with pytest.raises(ValueError, match="needs a NoiseSource"):
        rewire.accuracy(net, test_set, internal_sigma=0.5)
    with pytest.raises(ValueError, match="input_sigma"):
        rewire.accuracy(net, test_set, rewire.NoiseSource(9), input_sigma=-1.0)
    with pytest.raises(ValueError, match=r"threshold = 0.000000 is outside the allowed range \(0, 1\]"):
        rewire.decision_times(net, test_set, 0.0)
    with pytest.raises(ValueError, match=r"start = 7 is outside the trial's steps \[0, 7\)"):
        rewire.decision_times(net, test_set, 0.5, start=7)


def test_calls_refuse_trials_that_do_not_fit(cluster_sets):
    wide, shuffle = rewire.Rnn(5, 4, 4), Rng(0, Purpose.shuffle)
    message = "the trials have 3 input channels but the network has 5 inputs"
    for call in (lambda: rewire.train(wide, cluster_sets[0], shuffle), lambda: rewire.accuracy(wide, cluster_sets[0]),
                 lambda: rewire.predict(wide, cluster_sets[0]), lambda: rewire.readout(wide, cluster_sets[0])):
        with pytest.raises(ValueError, match=message):
            call()
    with pytest.raises(ValueError, match=r"trial label [23] is outside the network's classes \[0, 2\)"):
        rewire.train(rewire.Rnn(3, 4, 2), cluster_sets[0], shuffle)
    with pytest.raises(ValueError, match="epochs = 0 must be >= 1"):
        rewire.train(fresh(), cluster_sets[0], shuffle, epochs=0)
    with pytest.raises(TypeError):
        rewire.train(fresh(), rewire.make_gaussian_clusters(8, 0.5, Rng(0, Purpose.data)), shuffle)


# --- checkpoints -----------------------------------------------------------------

def test_checkpoint_round_trip_continues_with_the_same_numbers(cluster_sets, tmp_path):
    net = rewire.Rnn(3, 12, 4, alpha=0.4, dale=True, excitatory_fraction=0.7, activation="tanh")
    net.init(Rng(1, Purpose.init))
    net.damping, net.noise_sigma = 0.9, 0.1
    rewire.train(net, cluster_sets[0], Rng(0, Purpose.shuffle), epochs=1, lr=1e-2)
    rewire.prune_to(net, 0.3)
    path = tmp_path / "net.npz"
    rewire.save(path, net)
    loaded = rewire.load_rnn(str(path))
    assert (loaded.alpha, loaded.dale, loaded.excitatory_fraction) == (net.alpha, True, 0.7)
    assert (loaded.activation, loaded.damping, loaded.noise_sigma) == ("tanh", net.damping, net.noise_sigma)
    with np.load(path) as d:  # the documented format (docs/checkpoints.md)
        manifest = json.loads(d["manifest"].tobytes())
        assert manifest["network"] == "rnn"
        assert manifest["rnn"] == {"inputs": 3, "units": 12, "outputs": 4, "alpha": pytest.approx(0.4),
                                   "dale": True, "excitatory_fraction": 0.7}
        for name, layer in zip(net.layer_names, net.layers):
            np.testing.assert_array_equal(d[name + ".weight"], layer.weight)
            np.testing.assert_array_equal(d[name + ".mask"], layer.mask)
            np.testing.assert_array_equal(d[name + ".bias"], layer.bias)
    for n in (net, loaded):
        rewire.train_with_stress(n, cluster_sets[0], Rng(5, Purpose.shuffle), rewire.NoiseSource(5, Purpose.noise),
                                 sigma0=0.3, epochs=2, lr=1e-2)
    for a, b in zip(net.layers, loaded.layers):
        np.testing.assert_array_equal(a.weight, b.weight)
        np.testing.assert_array_equal(a.bias, b.bias)


def test_load_rnn_refuses_bad_files(tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip file")
    with pytest.raises(ValueError, match="path: .*bad.npz"):
        rewire.load_rnn(bad)
    with pytest.raises(ValueError, match="missing.npz"):
        rewire.load_rnn(tmp_path / "missing.npz")
    np.savez(tmp_path / "other.npz", x=np.zeros(2, np.float32))
    with pytest.raises(ValueError, match="other.npz"):
        rewire.load_rnn(tmp_path / "other.npz")


# --- docs/python.md ------------------------------------------------------------------

def test_the_recurrent_example_of_the_python_docs_runs():
    page = (REPO / "docs/python.md").read_text()
    section = page.split("## Recurrent networks", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    scope = {}
    exec(compile(code, "docs/python.md", "exec"), scope)  # noqa: S102
    assert scope["grads"]["rnn.recurrent.weight"].shape == (32, 32)
    assert 0.0 <= scope["acc"] <= 100.0
