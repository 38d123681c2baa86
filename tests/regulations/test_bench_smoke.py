import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


def test_bench_runs_small_and_prints_figures():
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    command = [
        sys.executable,
        str(ROOT / "bench" / "bench_regulations.py"),
        "--regions",
        "20",
        "--queries",
        "30",
    ]
    if settings.DATABASES["default"]["ENGINE"].endswith("postgis"):
        command += ["--database-url", os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/catchlog_bench_smoke"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "regions: 20 " in done.stdout
    for line in ("regions_containing: p50", "regulations_for:    p50"):
        assert line in done.stdout and " p95 " in done.stdout
