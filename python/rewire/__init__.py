"""rewire: pruning-plasticity simulations of small MLPs, from Python.

Network level (numpy in, numpy out; see help(rewire.Mlp)):
    Mlp, MaskedLinear, Dataset, make_gaussian_clusters, Rng, NoiseSource, Purpose,
    train, train_with_stress, prune_to, prune_layer_to, regrow_by_gradient,
    drop_and_grow (RigL / SET steps at constant density, per layer or global),
    erk_densities, apply_erk (Erdos-Renyi initial masks), gradient_scores,
    accuracy, predict, logits.
Study level:
    run_study(config, seeds=10, ...) runs a chronic_stress study (or sweep) and returns a
    StudyResult (or SweepResult); load_results(dir) and load_sweep(dir) open the
    output of any finished run (the program's, run_study's, merged shards).

Everything computes in C++ with the GIL released; results are bit-identical
to the C++ library and the chronic_stress program for the same arguments.
"""
import json
import os
import signal
import sys
import tempfile

from ._rewire import *  # noqa: F401,F403
from ._rewire import __version__  # noqa: F401
from . import _rewire

__all__ = [name for name in dir(_rewire) if not name.startswith("_")] + [
    "run_study", "load_results", "load_sweep", "StudyResult", "SweepResult"]


class StudyResult:
    """The results of one study run: what run_study returns and load_results reads.

    summary      dict equal to summary.json (statistics per arm and metric, the
                 effective config, config_hash, run information)
    seeds        list of per-seed records (dicts equal to seeds/seed-NNN.json)
    config_toml  the effective configuration as config.toml spells it
    config_hash  its hash (the run's identity)
    out          the output directory, or None when run_study used a temporary one
    computed, reused  seeds computed by the call that made it and reused from
                 finished files (None for load_results)
    """

    def __init__(self, raw, out, computed=None, reused=None):
        self.summary = json.loads(raw["summary_json"])
        self.seeds = [json.loads(s) for s in raw["seeds_json"]]
        self.config_toml = raw["config_toml"]
        self.config_hash = self.summary["config_hash"]
        self.computed, self.reused = computed, reused
        self.out = out
        self._csv = raw["results_csv"]

    def results_csv(self):
        """The text of results.csv: one row per (seed, arm, metric) value, with the
        seed's covariates (baseline.<measure>, cohort.<key>) as columns."""
        return self._csv

    def to_dataframe(self):
        """results.csv as a pandas DataFrame (needs pandas): one column per
        covariate of the seed (baseline.<measure>, and cohort.<key> of a cohort)."""
        import io

        import pandas

        # round_trip: every value as exactly the double results.csv spells
        # (pandas' default parser can be off by one unit in the last place).
        return pandas.read_csv(io.StringIO(self._csv), float_precision="round_trip")

    def __repr__(self):
        return (f"StudyResult(seeds={len(self.seeds)}, arms={list(self.summary['arms'])}, "
                f"config_hash={self.config_hash!r}, out={self.out!r})")


class SweepResult:
    """The results of a sweep: what run_study returns for a study file with a
    [sweep] table, and load_sweep reads.

    sweep    dict equal to sweep.json (per point its swept values, hash, key metrics)
    keys     the swept keys, in the sweep's order
    points   list of StudyResult, one per point, in sweep.json's order
    values   list of dicts, per point the swept key -> value, typed as the study file types it
    out      the output directory, or None when run_study used a temporary one
    """

    def __init__(self, out, computed=None, reused=None, _keep_out=True):
        with open(os.path.join(out, "sweep.json"), encoding="utf-8") as f:
            self.sweep = json.load(f)
        if not str(self.sweep.get("schema", "")).startswith("rewire.chronic_stress.sweep/"):
            raise ValueError(f"{os.path.join(out, 'sweep.json')}: not a chronic_stress sweep.json")
        self.keys = list(self.sweep["keys"])
        self.points = [_load_study(os.path.join(out, p["dir"]), os.path.join(out, p["dir"]) if _keep_out else None)
                       for p in self.sweep["points"]]
        for point, entry in zip(self.points, self.sweep["points"]):
            if point.config_hash != entry["config_hash"]:
                raise ValueError(f"{os.path.join(out, entry['dir'])}: its config_hash {point.config_hash} is not "
                                 f"the one sweep.json lists ({entry['config_hash']})")
        self.values = [{k: _swept_value(self.sweep["schema"], v) for k, v in p["values"].items()}
                       for p in self.sweep["points"]]
        self.computed, self.reused = computed, reused
        self.out = os.fspath(out) if _keep_out else None

    def to_dataframe(self):
        """results.csv of every point in one DataFrame, with a column `point`
        (point-NN) and one column per swept key holding its value (needs pandas)."""
        import pandas

        frames = []
        for entry, values, point in zip(self.sweep["points"], self.values, self.points):
            frame = point.to_dataframe()
            frame.insert(0, "point", entry["dir"])
            for i, key in enumerate(self.keys):
                frame.insert(1 + i, key, values[key])
            frames.append(frame)
        return pandas.concat(frames, ignore_index=True)

    def __repr__(self):
        return f"SweepResult(points={len(self.points)}, keys={self.keys}, out={self.out!r})"


def _swept_value(schema, value):
    """A swept value as sweep.json gives it. From sweep/3 on it is typed
    (a number, bool, string, list or dict; inf, nan and dates as their TOML
    text); sweep/2 gave every value as its TOML text, which is read back here
    (with tomllib any value; before Python 3.11 numbers, bools and strings)."""
    if schema != "rewire.chronic_stress.sweep/2" or not isinstance(value, str):
        return value
    try:
        import tomllib  # Python 3.11; before it, the common cases by hand
    except ImportError:
        tomllib = None
    if tomllib is not None:
        try:
            return tomllib.loads("v = " + value)["v"]
        except tomllib.TOMLDecodeError:
            return value
    if value in ("true", "false"):
        return value == "true"
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return json.loads(value)  # the program escaped its strings as JSON does (\uXXXX, never \U)
    for kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            pass
    return value


def _load_study(directory, out, computed=None, reused=None):
    return StudyResult(_rewire._read_results(os.fspath(directory)), out, computed, reused)


def load_results(directory):
    """Opens the results of a finished run: what chronic_stress (or run_study,
    or `chronic_stress merge` of shards) wrote to `directory`, as the
    StudyResult run_study returns. The files are checked first: the summary's
    configuration must hash to its config_hash and every seed file it lists
    must belong to it (ValueError naming the file and field otherwise).
    A sweep's directory: use load_sweep (or load_results on one point-NN)."""
    directory = os.fspath(directory)
    if os.path.exists(os.path.join(directory, "sweep.json")):
        raise ValueError(f"{directory} holds a sweep (sweep.json): open it with rewire.load_sweep, "
                         f"or one point with load_results({os.path.join(directory, 'point-00')!r})")
    if os.path.exists(os.path.join(directory, "shard.json")):
        raise ValueError(f"{directory} is one shard of a run (shard.json): combine the shards with "
                         f"`chronic_stress merge --out DIR SHARD_DIR...` and open DIR")
    return _load_study(directory, directory)


def load_sweep(directory):
    """Opens a finished sweep (sweep.json and its point-NN directories) as a
    SweepResult: .points (a StudyResult each), .values (the swept values per
    point) and .to_dataframe() (every point's results with the swept values
    as columns)."""
    return SweepResult(os.fspath(directory))


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
    """Runs a chronic_stress study, as the C++ program does, and returns a StudyResult
    (the same object load_results gives for its output directory); a study file with a
    [sweep] table runs every point and returns a SweepResult (as load_sweep).

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
    SIGTERM stops the run the same way, removes the temporary directory (out=None)
    and is then passed on to the process's own handling (by default it ends).
    Bad counts are refused before any work: TypeError for a non-integer seeds,
    first_seed or threads, ValueError naming the argument and its range.
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
        terminated = raw["interrupted"] and raw["signal"] == signal.SIGTERM
        if not terminated:
            result = _finish_run(raw, os.fspath(directory), out, seeds)
    if terminated:
        # SIGTERM stopped the run at the workers' next epoch; the temporary
        # directory is gone by now. The signal goes on to whatever handles it
        # after the run (by default: the process ends, as it was asked to).
        os.kill(os.getpid(), signal.SIGTERM)
        raise KeyboardInterrupt("run_study stopped by SIGTERM")
    return result


def _finish_run(raw, directory, out, seeds):
    if raw["interrupted"]:
        where = f"saved in {os.path.join(os.fspath(out), 'seeds')}" if out is not None else "discarded (no out)"
        raise KeyboardInterrupt(f"run_study interrupted: {raw['computed'] + raw['reused']} of {seeds} seeds "
                                f"finished, {where}")
    if raw["sweep"]:
        return SweepResult(directory, raw["computed"], raw["reused"], _keep_out=out is not None)
    return _load_study(directory, None if out is None else os.fspath(out), raw["computed"], raw["reused"])


class _NoTemp:
    def __init__(self, path):
        self.path = path

    def __enter__(self):
        return self.path

    def __exit__(self, *exc):
        return False
