import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[3]


def test_export_bench_runs_small_and_prints_figures():
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    command = [sys.executable, str(ROOT / "bench" / "bench_export.py"), "--rows", "200"]
    postgres = settings.DATABASES["default"]["ENGINE"].endswith("postgis")
    if postgres:
        command += [
            "--database-url",
            os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/catchlog_export_bench_smoke",
        ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "rows | export s | rows/s" in done.stdout
    [line] = [line for line in done.stdout.splitlines() if line.startswith("200 | ")]
    cells = [cell.strip() for cell in line.split("|")]
    assert len(cells) == 8 and float(cells[2].replace(",", "")) > 0
    assert (cells[6] != "n/a") is postgres
    assert "max RSS" in done.stdout
