"""bench/bench_pipeline.py runs, small, and prints its figures (never asserting speed)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_pipeline_bench_runs_small_and_prints_figures():
    command = [sys.executable, str(ROOT / "bench" / "bench_pipeline.py"), "--photos", "2", "--model", "tiny"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=180, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    for kind in ("12 MP phone JPEG", "small photos"):
        line = next(line for line in done.stdout.splitlines() if line.startswith(kind))
        assert all(
            figure in line for figure in ("floor", "script", "classify", "batch", "reclassify", "task", "p50")
        )


def test_pipeline_bench_repeats_one_kind_and_prints_the_medians():
    command = [sys.executable, str(ROOT / "bench" / "bench_pipeline.py"), "--photos", "2", "--model", "tiny"]
    command += ["--kinds", "small", "--repeat", "2"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=180, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.splitlines()
    assert not any(line.startswith("12 MP phone JPEG") for line in lines)
    assert sum(line.startswith("small photos ") for line in lines) == 2
    [medians] = [line for line in lines if line.startswith("small photos, median")]
    assert "(2 runs)" in medians and "batch" in medians
