"""rewire: pruning-plasticity simulations of small MLPs, from Python.

Network level (numpy in, numpy out; see help(rewire.Mlp)):
    Mlp, MaskedLinear, Dataset, make_gaussian_clusters, Rng, NoiseSource, Purpose,
    train, train_with_stress, prune_to, prune_layer_to, regrow_by_gradient,
    gradient_scores, accuracy, predict, logits.
Study level:
    run_study(config, seeds=10, ...) runs the chronic_stress study and returns a StudyResult.

Everything computes in C++ with the GIL released; results are bit-identical
to the C++ library and the chronic_stress program for the same arguments.
"""
import json
import os
import sys
import tempfile

from ._rewire import *  # noqa: F401,F403
from ._rewire import __version__  # noqa: F401
from . import _rewire

__all__ = [name for name in dir(_rewire) if not name.startswith("_")] + ["run_study", "StudyResult"]


class StudyResult:
    """The results of run_study.

    summary      dict equal to summary.json (statistics per arm and metric, the
                 effective config, config_hash, run information)
    seeds        list of per-seed records (dicts equal to seeds/seed-NNN.json)
    config_toml  the effective configuration as config.toml spells it
    out          the output directory, or None when run_study used a temporary one
    """

    def __init__(self, raw, out):
        self.summary = json.loads(raw["summary_json"])
        self.seeds = [json.loads(s) for s in raw["seeds_json"]]
        self.config_toml = raw["config_toml"]
        self.config_hash = raw["config_hash"]
        self.computed, self.reused = raw["computed"], raw["reused"]
        self.out = out
        self._csv = raw["results_csv"]

    def results_csv(self):
        """The text of results.csv: one row per (seed, arm, metric) value."""
        return self._csv

    def to_dataframe(self):
        """results.csv as a pandas DataFrame (needs pandas)."""
        import io

        import pandas

        return pandas.read_csv(io.StringIO(self._csv))

    def __repr__(self):
        return (f"StudyResult(seeds={len(self.seeds)}, arms={list(self.summary['arms'])}, "
                f"config_hash={self.config_hash!r}, out={self.out!r})")


class _Progress:
    """Shows the runner's progress line and messages: in a notebook as one
    updating output, in a terminal as a line rewritten in place on stderr."""

    def __init__(self):
        self.handle = None
        self.lines = []
        try:
            shell = get_ipython().__class__.__name__  # noqa: F821 (defined inside IPython)
        except NameError:
            shell = None
        if shell == "ZMQInteractiveShell":
            from IPython.display import display

            self.handle = display("", display_id=True)
        self.tty = self.handle is None and sys.stderr.isatty()
        self.shown = False

    def __call__(self, kind, text):
        if self.handle is not None:
            if kind == "status":
                self.handle.update("\n".join(self.lines + [text]))
            else:
                self.lines.append(text)
                self.handle.update("\n".join(self.lines))
            return
        if kind == "status":
            if self.tty:
                sys.stderr.write("\r" + text + "\033[K")
                sys.stderr.flush()
                self.shown = True
            return
        if self.shown:
            sys.stderr.write("\r\033[K")
            self.shown = False
        print(text, file=sys.stderr, flush=True)

    def close(self):
        if self.shown:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()


def run_study(config=None, seeds=10, first_seed=0, threads=None, epoch_scale=1.0, out=None, progress=True,
              report=True):
    """Runs the chronic_stress study, as the C++ program does, and returns a StudyResult.

    config       None (the built-in paper protocol), a path to a TOML file, or a dict of
                 the same schema (examples/chronic_stress/README.md); a refused
                 configuration raises ValueError naming the key, as the program does
    seeds        number of seeds, run as first_seed, first_seed + 1, ...
    threads      worker threads (default: all cores); results do not depend on it
    epoch_scale  multiplies every epoch count (e.g. 0.05 for a quick look)
    out          output directory (config.toml, seeds/, summary.json, results.csv and, if
                 report, report.md); finished seeds found there are reused. None: a
                 temporary directory, removed afterwards
    progress     True: show progress (notebook or terminal); False: silent; or a
                 callable progress(kind, text) with kind "info", "warning" or "status"

    Ctrl-C (or a notebook's interrupt) stops the workers at their next epoch and
    raises KeyboardInterrupt; the seeds finished by then are saved under out/seeds,
    and the same call continues from them. A second Ctrl-C kills the process.
    """
    if config is None:
        text, source = _rewire._paper_config(), _rewire._PAPER_CONFIG_NAME
    elif isinstance(config, dict):
        text, source = _rewire._dict_to_toml(config), "<dict>"
    elif isinstance(config, (str, os.PathLike)):
        source = os.fspath(config)
        with open(source, encoding="utf-8") as f:
            text = f.read()
    else:
        raise TypeError(f"config must be None, a path or a dict, not {type(config).__name__}")
    if threads is None:
        threads = _rewire._hardware_threads()
    display = _Progress() if progress is True else (progress or None)
    with tempfile.TemporaryDirectory(prefix="rewire-study-") if out is None else _NoTemp(out) as directory:
        try:
            raw = _rewire._run_study(text, source, seeds, first_seed, threads, float(epoch_scale),
                                     os.fspath(directory), bool(report and out is not None), display)
        finally:
            if isinstance(display, _Progress):
                display.close()
    if raw["interrupted"]:
        where = f"saved in {os.path.join(os.fspath(out), 'seeds')}" if out is not None else "discarded (no out)"
        raise KeyboardInterrupt(f"run_study interrupted: {raw['computed'] + raw['reused']} of {seeds} seeds "
                                f"finished, {where}")
    return StudyResult(raw, None if out is None else os.fspath(out))


class _NoTemp:
    def __init__(self, path):
        self.path = path

    def __enter__(self):
        return self.path

    def __exit__(self, *exc):
        return False
