"""numpy reads a checkpoint written by C++, and C++ reads one numpy wrote.

Run by ctest: numpy_roundtrip.py CHECKPOINT_TOOL WORK_DIR (Debian's python3
with python3-numpy). Expected values come from numpy's own reading of the
file, never from the C++ side's output. REWIRE_TARGET_EMULATOR (a cross
build's emulator command, docs/cross.md) runs CHECKPOINT_TOOL when it was
built for another architecture.
"""
import json
import os
import subprocess
import sys

import numpy as np

tool, work = sys.argv[1], sys.argv[2]
run_tool = os.environ.get("REWIRE_TARGET_EMULATOR", "").split() + [tool]
os.makedirs(work, exist_ok=True)
written = os.path.join(work, "from_cpp.npz")
subprocess.run(run_tool + ["write", written], check=True)


def cpp_load(path):
    """The arrays as C++ loaded them: {name: array}, or the error text."""
    r = subprocess.run(run_tool + ["print", path], capture_output=True, text=True)
    if r.returncode != 0:
        return r.stderr
    out = {}
    for line in r.stdout.splitlines():
        name, *rest = line.split()
        if name == "adam_step":
            out[name] = int(rest[0])
            continue
        out.setdefault(name, {})[(int(rest[0]), int(rest[1]))] = np.float32(rest[2])
    return out


d = dict(np.load(written))
manifest = json.loads(d["manifest"].tobytes().decode())
assert manifest["format"] == "rewire-checkpoint" and manifest["format_version"] == 1, manifest
assert manifest["widths"] == [4, 6, 3], manifest["widths"]
assert manifest["adam"]["step"] == 2, manifest["adam"]
assert manifest["meta"]["note"] == "written by checkpoint_tool"
assert d["stream.regrow_values"].dtype == np.uint64 and d["stream.regrow_values"].shape == (4,)
for layer, (n_in, n_out) in enumerate([(4, 6), (6, 3)], start=1):
    w, m, b = d[f"layer{layer}.weight"], d[f"layer{layer}.mask"], d[f"layer{layer}.bias"]
    assert w.dtype == m.dtype == b.dtype == np.float32
    assert w.shape == m.shape == (n_out, n_in) and b.shape == (n_out,)
    assert set(np.unique(m)) <= {0.0, 1.0} and 0 < m.sum() < m.size
    assert np.all(w[m == 0] == 0) and not np.any(np.signbit(w[m == 0])), "pruned weights must be +0.0"
    assert np.all(w[m == 1] != 0)
    assert d[f"adam.m.layer{layer}.weight"].shape == (n_out, n_in)

# numpy changes an active weight and saves; C++ must load exactly that.
w2 = d["layer2.weight"].copy()
r, c = np.argwhere(d["layer2.mask"] == 1)[0]
w2[r, c] = np.float32(0.125)
d["layer2.weight"] = w2
d["layer1.weight"] = np.asfortranarray(d["layer1.weight"])  # numpy writes fortran_order True
edited = os.path.join(work, "from_numpy.npz")
np.savez(edited, **d)
got = cpp_load(edited)
assert isinstance(got, dict), got
assert got["adam_step"] == 2
for name in [f"layer{l}.{k}" for l in (1, 2) for k in ("weight", "mask", "bias")]:
    want = d[name].reshape(d[name].shape[0], -1)
    for (i, j), v in got[name].items():
        assert v == want[i, j], (name, i, j, v, want[i, j])
    assert len(got[name]) == want.size
assert got["layer2.weight"][(r, c)] == np.float32(0.125)

# numpy files C++ must refuse, with the file and the problem named.
bad = dict(d)
bad["layer2.weight"] = d["layer2.weight"].copy()
bad["layer2.weight"][tuple(np.argwhere(d["layer2.mask"] == 0)[0])] = 1.0
path = os.path.join(work, "disagree.npz")
np.savez(path, **bad)
err = cpp_load(path)
assert isinstance(err, str) and path in err and "mask disagrees with the weights" in err, err
path = os.path.join(work, "compressed.npz")
np.savez_compressed(path, **d)
err = cpp_load(path)
assert isinstance(err, str) and path in err and "compressed" in err, err
bad = dict(d)
bad["layer1.bias"] = d["layer1.bias"].astype(np.float64)
path = os.path.join(work, "float64.npz")
np.savez(path, **bad)
err = cpp_load(path)
assert isinstance(err, str) and "'layer1.bias' is not float32" in err, err
print("numpy round trip: ok")
