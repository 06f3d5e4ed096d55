"""Independent numpy references for the recurrent tests: the model equations
of docs/recurrent.md and of the Mlp in float64, their losses, central finite
differences, and the bulk normal generator NoiseSource (written from its
description in include/rewire/random/noise_source.hpp, not from the bindings).
"""
import numpy as np

M64 = (1 << 64) - 1


def splitmix64(state):
    state = (state + 0x9E3779B97F4A7C15) & M64
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return state, z ^ (z >> 31)


def stream_key(seed, purpose, index=0):
    s, h = splitmix64(seed)
    s = h ^ ((purpose * 0xD1B54A32D192ED03) & M64)
    s, h = splitmix64(s)
    s = h ^ ((index * 0x8CB92BA72F3D8DD7) & M64)
    return splitmix64(s)[1]


class NoiseReference:
    """16 xoshiro128+ lanes seeded word by word (lane-major) from SplitMix64's
    high halves; a block of 256 normals is 16 steps of all lanes, pair k =
    (bits[k] >> 8, bits[k + 128] >> 8) gives z[k] = r cos(a), z[k + 128] =
    r sin(a), r = sqrt(-2 log((hi + 1) / 2^24)), a = 2 pi lo / 2^24 (Box-Muller,
    here in float64). Every request starts a new block."""

    def __init__(self, key):
        lanes = np.zeros((4, 16), np.uint32)
        s = key
        for j in range(16):
            for w in range(4):
                s, z = splitmix64(s)
                lanes[w, j] = z >> 32
            if not lanes[:, j].any():
                lanes[0, j] = 1
        self.lanes = lanes

    def _block(self):
        s0, s1, s2, s3 = (self.lanes[w].copy() for w in range(4))
        bits = np.empty(256, np.uint32)
        for r in range(16):
            bits[16 * r:16 * (r + 1)] = s0 + s3  # uint32 arithmetic wraps
            t = s1 << np.uint32(9)
            s2 ^= s0
            s3 ^= s1
            s1 ^= s2
            s0 ^= s3
            s2 ^= t
            s3 = (s3 << np.uint32(11)) | (s3 >> np.uint32(21))
        self.lanes = np.stack([s0, s1, s2, s3])
        hi, lo = (bits[:128] >> 8).astype(np.float64), (bits[128:] >> 8).astype(np.float64)
        r = np.sqrt(-2.0 * np.log((hi + 1.0) / 2.0**24))
        a = 2.0 * np.pi * lo / 2.0**24
        return np.concatenate([r * np.cos(a), r * np.sin(a)])

    def draw(self, count):
        blocks = [self._block() for _ in range(-(-count // 256))]
        return np.concatenate(blocks)[:count] if blocks else np.zeros(0)


def rnn_noise(key, steps, trials, units):
    """The internal noise n_t of each step, (steps, trials, units): one request per step,
    entry (trial i, unit j) = draw[j * trials + i]."""
    source = NoiseReference(key)
    return np.stack([source.draw(trials * units).reshape(units, trials).T for _ in range(steps)])


def mlp_noise(key, rows, hidden_widths):
    """The noise of each hidden layer, (rows, width), one request per layer, column-major."""
    source = NoiseReference(key)
    return [source.draw(rows * w).reshape(w, rows).T for w in hidden_widths]


def dale_signs(units, fraction):
    """+1 for the first round(fraction * units) units (half away from zero), -1 for the rest."""
    excitatory = int(np.floor(fraction * units + 0.5))
    return np.where(np.arange(units) < excitatory, 1.0, -1.0)


def rnn_readout(W, X, alpha, damping, activation, signs=None, sigma=0.0, noise=None):
    """The readout y_t, (steps, trials, classes), of
        u_t = x_t W_in^T + b_in + h_{t-1} W_rec^T + b_rec + sigma n_t
        h_t = (1 - alpha) h_{t-1} + alpha d phi(u_t),   y_t = h_t W_out^T + b_out,
    with h_{-1} = 0; W maps the parameter names to float64 arrays of the
    effective weights (Dale's law already applied, see effective)."""
    W_in, b_in = W["rnn.input.weight"], W["rnn.input.bias"]
    W_rec, b_rec = W["rnn.recurrent.weight"], W["rnn.recurrent.bias"]
    W_out, b_out = W["rnn.output.weight"], W["rnn.output.bias"]
    steps, trials = X.shape[:2]
    h = np.zeros((trials, W_rec.shape[0]))
    ys = []
    for t in range(steps):
        u = X[t] @ W_in.T + b_in + h @ W_rec.T + b_rec
        if noise is not None:
            u = u + sigma * noise[t]
        phi = np.maximum(u, 0.0) if activation == "relu" else np.tanh(u)
        h = (1.0 - alpha) * h + alpha * damping * phi
        ys.append(h @ W_out.T + b_out)
    return np.stack(ys)


def effective(params, masks, signs):
    """Stored parameters -> the weights the network computes with: masked, and
    under Dale's law |W| * s[column] for the recurrent and output matrices."""
    out = {}
    for name, value in params.items():
        v = value * masks[name] if name in masks else value
        if signs is not None and name in ("rnn.recurrent.weight", "rnn.output.weight"):
            v = np.abs(v) * signs[None, :]
        out[name] = v
    return out


def log_softmax(y):
    m = y.max(axis=-1, keepdims=True)
    return y - m - np.log(np.exp(y - m).sum(axis=-1, keepdims=True))


def sequence_loss(Y, labels, w):
    """(1 / (N sum w)) sum_t w_t sum_n -log softmax(y_t[n])[label_n]."""
    n = Y.shape[1]
    nll = -log_softmax(Y)[:, np.arange(n), labels]  # (steps, trials)
    return float((w[:, None] * nll).sum() / (n * w.sum()))


def mlp_logits(W, X, damping, activation, sigma=0.0, noise=None):
    """H_l = d (f(Z_l) + sigma N_l) for the hidden layers, logits = H W_L^T + b_L."""
    layers = len(W) // 2
    h = X
    for l in range(1, layers + 1):
        z = h @ W[f"layer{l}.weight"].T + W[f"layer{l}.bias"]
        if l == layers:
            return z
        f = np.maximum(z, 0.0) if activation == "relu" else np.tanh(z)
        h = damping * (f + (sigma * noise[l - 1] if noise is not None else 0.0))


def mean_cross_entropy(logits, labels):
    return float(-log_softmax(logits)[np.arange(len(labels)), labels].mean())


def central_differences(loss, params, names, entries=None, h=1e-6):
    """dloss/dparams[name] by (loss(p + h) - loss(p - h)) / 2h for every entry of
    each named parameter (or only where entries[name] is True); 0 elsewhere."""
    grads = {}
    for name in names:
        g = np.zeros_like(params[name])
        for idx in np.ndindex(g.shape):
            if entries is not None and name in entries and not entries[name][idx]:
                continue
            saved = params[name][idx]
            params[name][idx] = saved + h
            up = loss(params)
            params[name][idx] = saved - h
            down = loss(params)
            params[name][idx] = saved
            g[idx] = (up - down) / (2.0 * h)
        grads[name] = g
    return grads
