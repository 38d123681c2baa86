"""Which process of a load run used the machine's cores: CPU seconds per component, read from /proc.

A snapshot sums user + system time (children reaped included) of every process, grouped by what
its command line says it is; the difference of two snapshots is a phase's cost. Linux only.
"""

import os
from collections import Counter
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
COMPONENTS = (
    ("gunicorn", "web (gunicorn)"),
    ("celery", "Celery worker"),
    ("moto_server", "S3 (moto)"),
    ("redis-server", "Redis"),
    ("postgres", "PostgreSQL"),
)


def _component(pid: int, cmdline: str) -> str | None:
    if pid == os.getpid():
        return "load clients"
    for marker, name in COMPONENTS:
        if marker in cmdline:
            return name
    return None


def cpu_snapshot() -> Counter:
    """CPU seconds used so far by each component."""
    used: Counter = Counter()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        component = _component(int(entry.name), cmdline)
        if component is None:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        # utime, stime, cutime, cstime are fields 14-17 of proc(5); fields here start at field 3.
        used[component] += sum(int(value) for value in fields[11:15]) / TICKS
    return used


def cpu_report(*, before: Counter, after: Counter, seconds: float, requests: int) -> str:
    """One line per component: core-seconds, ms per request, share of the cores' time."""
    cores = os.cpu_count() or 1
    spent = {name: after[name] - before[name] for name in after}
    total = sum(spent.values())
    per_request = total / max(requests, 1) * 1000
    lines = [
        f"  CPU over {seconds:.1f} s on {cores} cores: {total:.1f} core-s"
        f" ({total / (seconds * cores):.0%} of the cores), {per_request:.1f} ms per request"
    ]
    for name, used in sorted(spent.items(), key=lambda item: -item[1]):
        lines.append(
            f"    {name:<16} {used:7.1f} core-s  {used / max(requests, 1) * 1000:6.2f} ms/request"
            f"  {used / (seconds * cores):5.0%}"
        )
    return "\n".join(lines)
