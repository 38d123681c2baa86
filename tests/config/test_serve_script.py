"""scripts/serve, as a newcomer runs it: a port already taken stops it before the long set-up."""

import socket
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_taken_port_stops_the_serve_command_at_once_with_a_hint():
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        started = time.monotonic()
        result = subprocess.run(
            ["bash", str(ROOT / "scripts" / "serve")],
            env={"PATH": "/usr/bin:/bin", "PORT": str(port)},
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1
    assert f"Port {port} is taken" in result.stderr and "PORT=8001 scripts/serve" in result.stderr
    assert "Installing" not in result.stderr and "Writing .env" not in result.stderr
    assert time.monotonic() - started < 10
