"""Runs of the chronic_stress program opened from Python (load_results,
load_sweep), sweeps and recurrent studies through run_study, the program's
progress lines, and run_study's argument checks."""
import json
import os
import pathlib
import re
import shutil
import signal
import subprocess
import sys
import time

import pytest

import rewire

from test_study import without_timing

TESTS = pathlib.Path(__file__).resolve().parents[2] / "examples/chronic_stress/tests"
QUICK = ["--seeds", "2", "--epoch-scale", "0.05"]


def program(exe, *args):
    return subprocess.run([exe, *args], check=True, capture_output=True, text=True)


def same_frames(a, b):
    """Two results.csv frames hold the same rows, bit for bit."""
    assert list(a.columns) == list(b.columns)
    assert a.to_csv(index=False) == b.to_csv(index=False)


@pytest.fixture(scope="module")
def program_run(tmp_path_factory, chronic_stress_exe, smoke_toml):
    out = tmp_path_factory.mktemp("program") / "run"
    program(chronic_stress_exe, "--config", smoke_toml, *QUICK, "--threads", "2", "--out", str(out), "-q")
    return out


def test_load_results_opens_a_program_run_as_run_study_returns_it(program_run, smoke_toml, tmp_path):
    loaded = rewire.load_results(program_run)
    made = rewire.run_study(smoke_toml, seeds=2, epoch_scale=0.05, threads=1, out=tmp_path / "py",
                            report=False, progress=False)
    assert loaded.out == os.fspath(program_run) and loaded.computed is None
    assert loaded.config_hash == made.config_hash
    assert without_timing(loaded.summary) == without_timing(made.summary)
    assert [without_timing(s) for s in loaded.seeds] == [without_timing(s) for s in made.seeds]
    same_frames(loaded.to_dataframe(), made.to_dataframe())


def test_load_results_opens_merged_shards(program_run, chronic_stress_exe, smoke_toml, tmp_path):
    for i in range(2):
        program(chronic_stress_exe, "--config", smoke_toml, *QUICK, "--threads", "1", "--shard", f"{i}/2",
                "--out", str(tmp_path / f"s{i}"), "-q")
    with pytest.raises(ValueError, match=r"one shard of a run \(shard.json\).*chronic_stress merge"):
        rewire.load_results(tmp_path / "s0")
    program(chronic_stress_exe, "merge", "--out", str(tmp_path / "merged"), str(tmp_path / "s0"),
            str(tmp_path / "s1"), "-q")
    merged = rewire.load_results(tmp_path / "merged")
    same_frames(merged.to_dataframe(), rewire.load_results(program_run).to_dataframe())


def test_load_results_refuses_damaged_files(program_run, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(program_run, copy)
    summary = json.loads((copy / "summary.json").read_text())
    summary["config_hash"] = "0000000000000000"
    (copy / "summary.json").write_text(json.dumps(summary))
    with pytest.raises(ValueError, match=r"summary\.json"):
        rewire.load_results(copy)
    with pytest.raises((ValueError, FileNotFoundError, OSError)):
        rewire.load_results(tmp_path / "missing")


def test_a_sweep_runs_from_python_and_from_the_program_alike(chronic_stress_exe, tmp_path):
    sweep_toml = TESTS / "tiny_sweep.toml"
    program(chronic_stress_exe, "--config", str(sweep_toml), "--seeds", "2", "--threads", "2",
            "--out", str(tmp_path / "cpp"), "--no-report", "-q")
    made = rewire.run_study(sweep_toml, seeds=2, threads=1, out=tmp_path / "py", report=False, progress=False)
    assert isinstance(made, rewire.SweepResult)
    # sweep.json: the same points, hashes and key metrics.
    assert without_timing(made.sweep) == without_timing(json.loads((tmp_path / "cpp/sweep.json").read_text()))
    loaded = rewire.load_sweep(tmp_path / "cpp")
    assert loaded.keys == ["longitudinal.remove_fraction"]
    assert loaded.values == [{"longitudinal.remove_fraction": 0.05}, {"longitudinal.remove_fraction": 0.2}]
    # sweep.json types its values: json.load alone gives the numbers.
    assert [p["values"]["longitudinal.remove_fraction"] for p in loaded.sweep["points"]] == [0.05, 0.2]
    frame = loaded.to_dataframe()
    assert list(frame.columns[:2]) == ["point", "longitudinal.remove_fraction"]
    assert sorted(set(frame["point"])) == ["point-00", "point-01"]
    same_frames(frame, made.to_dataframe())
    with pytest.raises(ValueError, match=r"holds a sweep \(sweep\.json\).*load_sweep"):
        rewire.load_results(tmp_path / "cpp")


def test_a_sweep_json_of_schema_2_is_read_with_typed_values(chronic_stress_exe, tmp_path):
    """sweep/2 stored each swept value as its TOML text; load_sweep still
    reads such a file, with the values typed as sweep/3 stores them."""
    out = tmp_path / "sweep"
    program(chronic_stress_exe, "--config", str(TESTS / "tiny_sweep.toml"), "--seeds", "1",
            "--out", str(out), "--no-report", "-q")
    typed = rewire.load_sweep(out).values
    old = json.loads((out / "sweep.json").read_text())
    old["schema"] = "rewire.chronic_stress.sweep/2"
    for point in old["points"]:
        point["values"] = {k: repr(v) for k, v in point["values"].items()}  # 0.05 -> "0.05", as TOML spells it
    (out / "sweep.json").write_text(json.dumps(old))
    assert rewire.load_sweep(out).values == typed
    for text, value in (("4", 4), ("0.25", 0.25), ("true", True), ('"global"', "global"), ("inf", float("inf"))):
        assert rewire._swept_value("rewire.chronic_stress.sweep/2", text) == value
    assert rewire._swept_value("rewire.chronic_stress.sweep/3", "4") == "4"  # a string value stays one


def test_a_recurrent_study_runs_from_python_as_in_the_program(chronic_stress_exe, tmp_path):
    config = TESTS / "tiny_recurrent.toml"
    program(chronic_stress_exe, "--config", str(config), "--seeds", "2", "--threads", "1",
            "--out", str(tmp_path / "cpp"), "--no-report", "-q")
    made = rewire.run_study(config, seeds=2, threads=2, out=tmp_path / "py", report=False, progress=False)
    cpp = rewire.load_results(tmp_path / "cpp")
    assert without_timing(made.summary) == without_timing(cpp.summary)
    same_frames(made.to_dataframe(), cpp.to_dataframe())
    assert made.summary["config"]["network"]["kind"] == "rnn"


def test_progress_lines_when_stderr_is_not_a_terminal(chronic_stress_exe, smoke_toml, tmp_path):
    run = program(chronic_stress_exe, "--config", smoke_toml, "--seeds", "2", "--epoch-scale", "0.2",
                  "--threads", "1", "--out", str(tmp_path / "run"), "--no-report", "--progress-every", "0.1")
    lines = [line for line in run.stderr.splitlines() if line.startswith("progress: ")]
    assert lines, run.stderr
    pattern = re.compile(r"progress: seeds \d+/2 done \| epoch \d+/\d+ \(\d+%\) \| \S+ elapsed(, ETA \S+)?"
                         r" \| running: seed \d+(, arm \S+)? \S+")
    assert [line for line in lines if not pattern.match(line)] == []
    assert "\r" not in run.stderr  # lines, not a bar redrawn in place
    quiet = program(chronic_stress_exe, "--config", smoke_toml, *QUICK, "--threads", "1",
                    "--out", str(tmp_path / "none"), "--no-report", "--progress", "none")
    assert "progress:" not in quiet.stderr


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(seeds=10**6), ValueError, r"seeds = 1000000 is outside the allowed range \[1, 100000\]"),
    (dict(first_seed=-1), ValueError, r"first_seed = -1 is outside the allowed range \[0, 1000000000\]"),
    (dict(first_seed=10**10), ValueError, r"first_seed = 10000000000 is outside the allowed range"),
    (dict(threads=2**70), ValueError, r"threads = 1180591620717411303424 is outside the allowed range \[1, 1024\]"),
    (dict(seeds=2.5), TypeError, r"seeds must be an integer, not float"),
    (dict(first_seed=True), TypeError, r"first_seed must be an integer, not bool"),
])
def test_run_study_refuses_bad_arguments_by_name(smoke_toml, tmp_path, kwargs, error, message):
    with pytest.raises(error, match=message):
        rewire.run_study(smoke_toml, out=tmp_path / "a", progress=False, **kwargs)
    assert not (tmp_path / "a").exists()


def test_run_study_names_a_config_number_too_large(smoke_toml, tmp_path):
    import tomllib

    with open(smoke_toml, "rb") as f:
        config = tomllib.load(f)
    config["data"]["train_size"] = 2**70
    with pytest.raises(ValueError, match=r"data\.train_size"):
        rewire.run_study(config, out=tmp_path / "a", progress=False)
    assert not (tmp_path / "a").exists()


def wait_for(path, seconds=60):
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} did not appear"
        time.sleep(0.02)


def test_sigterm_stops_the_program_with_its_finished_seeds_saved(chronic_stress_exe, smoke_toml, tmp_path):
    out = tmp_path / "run"
    job = subprocess.Popen([chronic_stress_exe, "--config", smoke_toml, "--seeds", "6", "--epoch-scale", "0.3",
                            "--threads", "1", "--out", str(out), "-q"], stderr=subprocess.PIPE, text=True)
    wait_for(out / "seeds" / "seed-000.json")
    job.send_signal(signal.SIGTERM)
    _, err = job.communicate(timeout=60)
    assert job.returncode == 143, err
    assert "interrupted: finished seeds are saved" in err
    assert not (out / "summary.json").exists() and len(list((out / "seeds").glob("seed-*.json"))) < 6


def test_sigterm_during_run_study_removes_its_temporary_directory(smoke_toml, tmp_path):
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    script = ("import rewire, sys; rewire.run_study(sys.argv[1], seeds=6, epoch_scale=0.3, threads=1, "
              "progress=False)")
    job = subprocess.Popen([sys.executable, "-c", script, smoke_toml], env={**os.environ, "TMPDIR": str(scratch)},
                           stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not list(scratch.glob("rewire-study-*/seeds/seed-000.json")):
        assert time.monotonic() < deadline and job.poll() is None, "the run made no seed file"
        time.sleep(0.02)
    job.send_signal(signal.SIGTERM)
    job.communicate(timeout=60)
    assert job.returncode == -signal.SIGTERM  # ended by the signal, as asked
    assert list(scratch.iterdir()) == []      # and nothing left behind
