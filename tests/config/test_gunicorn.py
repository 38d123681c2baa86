"""config/gunicorn.py: the web process's layout, from the environment."""

import os
import runpy
from pathlib import Path

CONFIG = Path(__file__).resolve().parents[2] / "config" / "gunicorn.py"


def test_one_process_per_core_with_six_threads_by_default(monkeypatch):
    for name in ("WEB_CONCURRENCY", "GUNICORN_THREADS", "GUNICORN_BIND"):
        monkeypatch.delenv(name, raising=False)
    settings = runpy.run_path(str(CONFIG))
    assert (settings["workers"], settings["threads"]) == (os.cpu_count(), 6)
    assert settings["bind"] == "0.0.0.0:8000"


def test_the_environment_sets_the_layout(monkeypatch):
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    monkeypatch.setenv("GUNICORN_THREADS", "4")
    monkeypatch.setenv("GUNICORN_BIND", "127.0.0.1:9000")
    settings = runpy.run_path(str(CONFIG))
    assert (settings["workers"], settings["threads"], settings["bind"]) == (3, 4, "127.0.0.1:9000")
