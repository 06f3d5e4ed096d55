"""rewire.run_study against the chronic_stress program, its errors and Ctrl-C."""
import json
import os
import pathlib
import shutil
import signal
import subprocess
import threading
import time
import tomllib

import pytest

import rewire

QUICK = dict(seeds=2, epoch_scale=0.05)  # the program's smoke-test size
# A seed file's checksum covers its `seconds`, so it differs with the timing.
TIMING = {"wall_seconds", "seconds", "threads", "checksum"}


def without_timing(value):
    if isinstance(value, dict):
        return {k: without_timing(v) for k, v in value.items() if k not in TIMING}
    if isinstance(value, list):
        return [without_timing(v) for v in value]
    return value


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    root = os.environ.get("REWIRE_TEST_WORK")
    if root is None:
        return tmp_path_factory.mktemp("study")
    path = pathlib.Path(root) / "study"
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


@pytest.fixture(scope="module")
def python_run(work, smoke_toml):
    """One small study from Python (2 threads), with every progress event recorded."""
    events = []
    result = rewire.run_study(smoke_toml, threads=2, out=work / "py", report=False,
                              progress=lambda kind, text: events.append((kind, text)), **QUICK)
    return result, events


def test_same_summary_as_the_program_bit_for_bit(python_run, work, smoke_toml, chronic_stress_exe):
    out = work / "cpp"
    subprocess.run([chronic_stress_exe, "--config", smoke_toml, "--seeds", "2", "--epoch-scale", "0.05",
                    "--threads", "1", "--out", str(out), "--no-report", "--quiet"], check=True)
    program = json.loads((out / "summary.json").read_text())
    result, _ = python_run
    # json.loads of both texts: floats compare exactly (the shortest decimal
    # of each double), so equality here is bit-for-bit.
    assert without_timing(result.summary) == without_timing(program)
    assert result.summary["threads"] == 2 and program["threads"] == 1
    on_disk = json.loads((work / "py" / "summary.json").read_text())
    assert without_timing(on_disk) == without_timing(program)
    assert result.results_csv() == (out / "results.csv").read_text()
    for record in result.seeds:
        seed_file = out / "seeds" / f"seed-{record['seed']:03d}.json"
        assert without_timing(record) == without_timing(json.loads(seed_file.read_text()))


def test_result_object_and_dataframe(python_run, work):
    result, events = python_run
    assert [s["seed"] for s in result.seeds] == [0, 1]
    assert result.summary["config_hash"] == result.config_hash
    assert result.config_toml.startswith("# Effective configuration")
    assert result.out == os.fspath(work / "py") and result.computed == 2 and result.reused == 0
    assert not (work / "py" / "report.md").exists()  # report=False
    frame = result.to_dataframe()
    assert list(frame.columns[:3]) == ["seed", "arm", "metric"]
    assert set(frame["arm"]) == set(result.summary["arms"])
    assert len(frame) == len(result.results_csv().strip().splitlines()) - 1
    # The seed's covariates: one column per baseline measure, the seed file's values.
    for record in result.seeds:
        rows = frame[frame["seed"] == record["seed"]]
        for measure, value in record["baseline"].items():
            assert (rows["baseline." + measure] == value).all()
    kinds = {kind for kind, _ in events}
    assert "status" in kinds and any(text.startswith("seed ") and "done" in text for _, text in events)


def test_dict_config_is_the_same_study(python_run, work, smoke_toml):
    with open(smoke_toml, "rb") as f:
        config = tomllib.load(f)
    copy = work / "dict"
    shutil.copytree(work / "py", copy)
    # Same configuration, same hash: every finished seed of the TOML run is reused.
    result = rewire.run_study(config, out=copy, report=False, progress=False, **QUICK)
    assert result.config_hash == python_run[0].config_hash
    assert (result.computed, result.reused) == (0, 2)
    assert without_timing(result.summary) == without_timing(python_run[0].summary)


def test_refused_configs_name_the_key(smoke_toml, tmp_path):
    with open(smoke_toml, "rb") as f:
        config = tomllib.load(f)
    bad = json.loads(json.dumps(config))
    bad["data"]["clean_sgima"] = bad["data"].pop("clean_sigma")
    with pytest.raises(ValueError, match=r"unknown key 'data\.clean_sgima' \(allowed in data: train_size"):
        rewire.run_study(bad, out=tmp_path / "a", **QUICK)
    bad = json.loads(json.dumps(config))
    bad["data"]["batch_size"] = 128.5
    with pytest.raises(ValueError, match=r"data\.batch_size: expected an integer .* got a float"):
        rewire.run_study(bad, out=tmp_path / "a", **QUICK)
    bad["data"]["batch_size"] = {1, 2}
    with pytest.raises(ValueError, match=r"data\.batch_size has the Python type set"):
        rewire.run_study(bad, out=tmp_path / "a", **QUICK)
    text = pathlib.Path(smoke_toml).read_text().replace("target = 0.95", "target = 1.5")
    (tmp_path / "bad.toml").write_text(text)
    with pytest.raises(ValueError, match=r"bad\.toml.*baseline\.steps\[1\]\.target = 1\.5 is outside"):
        rewire.run_study(tmp_path / "bad.toml", out=tmp_path / "a", **QUICK)
    assert not (tmp_path / "a").exists()  # nothing is created for a refused config


def test_refused_arguments(smoke_toml, tmp_path):
    with pytest.raises(ValueError, match=r"seeds = 0 is outside the allowed range \[1, 100000\]"):
        rewire.run_study(smoke_toml, seeds=0, out=tmp_path / "a")
    with pytest.raises(ValueError, match=r"epoch scale = nan is outside the allowed range"):
        rewire.run_study(smoke_toml, epoch_scale=float("nan"), out=tmp_path / "a")
    with pytest.raises(ValueError, match=r"epoch scale = 0 is outside the allowed range \(0, 1000\]"):
        rewire.run_study(smoke_toml, epoch_scale=0.0, out=tmp_path / "a")
    with pytest.raises(TypeError, match="config must be None, a path or a dict"):
        rewire.run_study(42)
    with pytest.raises(FileNotFoundError):
        rewire.run_study(tmp_path / "missing.toml")
    (tmp_path / "file").write_text("")
    with pytest.raises(RuntimeError):  # a runtime failure, not a bad argument
        rewire.run_study(smoke_toml, out=tmp_path / "file", progress=False, **QUICK)


def test_ctrl_c_stops_and_keeps_finished_seeds(smoke_toml, tmp_path):
    out = tmp_path / "out"
    first = out / "seeds" / "seed-000.json"

    def press_ctrl_c_after_the_first_seed():
        deadline = time.monotonic() + 60
        while not first.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        os.kill(os.getpid(), signal.SIGINT)

    watcher = threading.Thread(target=press_ctrl_c_after_the_first_seed)
    watcher.start()
    started = time.monotonic()
    try:
        with pytest.raises(KeyboardInterrupt, match=r"of 4 seeds finished, saved in"):
            rewire.run_study(smoke_toml, seeds=4, threads=1, epoch_scale=0.05, out=out, progress=False)
    finally:
        watcher.join()
    assert time.monotonic() - started < 60
    assert first.exists() and not (out / "summary.json").exists()
    assert len(list((out / "seeds").glob("seed-*.json"))) < 4
    # The saved seed is complete: the same study reuses it instead of recomputing.
    again = rewire.run_study(smoke_toml, seeds=1, epoch_scale=0.05, out=out, report=False, progress=False)
    assert (again.computed, again.reused) == (0, 1)
