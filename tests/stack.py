"""The platform's real parts as processes, for fault and load runs (tests and bench/ share it).

A Stack is gunicorn + a Celery worker (+ beat) on a private Redis, reaching PostgreSQL and the
S3-compatible server through TCP proxies that can be cut, as an outage or a restart looks to the app.
"""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port, *, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


class TcpProxy:
    """Forwards 127.0.0.1:port to a target; `down()` severs every connection and refuses new ones."""

    def __init__(self, target_host, target_port):
        self.target = (target_host, target_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.available = True
        self.connections = set()
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.available:
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.connections.update({client, upstream})
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    def _pipe(self, source, sink):
        try:
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)
                end.close()
            with self.lock:
                self.connections.difference_update({source, sink})

    def down(self):
        self.available = False
        with self.lock:
            connections = list(self.connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def up(self):
        self.available = True

    def close(self):
        self.down()
        self.listener.close()


class Process:
    def __init__(self, name, command, env):
        self.name, self.command, self.env = name, command, env
        self.process = None
        self.log = ARTIFACTS / f"{name}.log"

    def start(self):
        ARTIFACTS.mkdir(exist_ok=True)
        with open(self.log, "ab") as handle:  # the child keeps its own copy of the descriptor
            self.process = subprocess.Popen(
                self.command,
                cwd=ROOT,
                env=self.env,
                stdout=handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def running(self):
        return self.process is not None and self.process.poll() is None

    def kill(self):
        """SIGKILL the process group, as a crash or an OOM kill would."""
        if self.running():
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self):
        if self.running():
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()

    def log_text(self):
        return self.log.read_text(errors="replace") if self.log.exists() else ""


class Stack:
    """gunicorn, a Celery worker and beat, a private Redis, proxies to PostgreSQL and S3."""

    def __init__(
        self,
        *,
        database_name,
        web_workers=2,
        web_threads=4,
        celery_concurrency=1,
        extra_env=None,
        proxied=True,
    ):
        """`proxied=False` connects straight to PostgreSQL and S3 (load runs: the proxies are Python
        threads that would share the driver's process and time)."""
        s3 = urlsplit(os.environ["AWS_S3_ENDPOINT_URL"])
        self.redis_port = free_port()
        self.redis = Process(
            "stack-redis",
            [
                "redis-server",
                "--port",
                str(self.redis_port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            dict(os.environ),
        )
        self.s3_proxy = TcpProxy(s3.hostname, s3.port) if proxied else None
        self.pg_proxy = TcpProxy("127.0.0.1", 5432) if proxied else None
        pg_port = self.pg_proxy.port if self.pg_proxy else 5432
        s3_address = f"127.0.0.1:{self.s3_proxy.port}" if self.s3_proxy else s3.netloc
        self.web_port = free_port()
        self.env = dict(os.environ)
        self.env.update(
            {
                "DATABASE_URL": f"postgis://postgres@127.0.0.1:{pg_port}/{database_name}",
                "DATABASE_CONN_MAX_AGE": "60",
                "CELERY_BROKER_URL": f"redis://127.0.0.1:{self.redis_port}/0",
                "CELERY_TASK_ALWAYS_EAGER": "False",
                "REDIS_URL": "",
                "AWS_S3_ENDPOINT_URL": f"http://{s3_address}",
                "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
                "DJANGO_SECURE_SSL_REDIRECT": "False",
                "DJANGO_SESSION_COOKIE_SECURE": "False",
                "DJANGO_CSRF_COOKIE_SECURE": "False",
                "DJANGO_LOG_LEVEL": "WARNING",
                "CELERY_TASK_TIME_LIMIT": "20",
                "CELERY_TASK_SOFT_TIME_LIMIT": "15",
                "CELERY_VISIBILITY_TIMEOUT": "25",
                # A killed worker's tasks come back 25 s after their delivery, looked for every 2 s.
                "CELERY_UNACKED_RESTORE_INTERVAL": "2",
                "CELERY_UNACKED_RESTORE_THROTTLE": "1",
                "CLASSIFIER_INTRA_OP_THREADS": "1",
                "API_THROTTLE_ANON": "100000/minute",
                "API_THROTTLE_USER": "100000/minute",
            }
        )
        self.env.update(extra_env or {})
        python = sys.executable
        self.web = Process(
            "stack-gunicorn",
            [
                python,
                "-m",
                "gunicorn",
                "config.wsgi",
                "--bind",
                f"127.0.0.1:{self.web_port}",
                "--workers",
                str(web_workers),
                "--threads",
                str(web_threads),
                "--timeout",
                "60",
                "--graceful-timeout",
                "5",
            ],
            self.env,
        )
        self.concurrency = celery_concurrency
        self.worker = self._worker(celery_concurrency)
        self.beat = Process(
            "stack-beat",
            [
                python,
                "-m",
                "celery",
                "-A",
                "config",
                "beat",
                "--loglevel=INFO",
                "--schedule",
                str(ARTIFACTS / f"beat-schedule-{self.web_port}"),
            ],
            self.env,
        )

    def _worker(self, concurrency):
        return Process(
            "stack-worker",
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--loglevel=INFO",
                f"--concurrency={concurrency}",
                "--pool=prefork",
                "--without-gossip",
                "--without-mingle",
                "--hostname",
                f"stack-{self.web_port}@%h",
            ],
            self.env,
        )

    def send_task(self, name, *args):
        """Queue a task on this stack's Redis (the test process's own broker is another)."""
        from config.celery_app import app

        with app.connection_for_write(self.env["CELERY_BROKER_URL"]) as connection:
            app.send_task(name, args=args, connection=connection)

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.web_port}"

    def start(self, *, beat=False):
        self.redis.start()
        wait_for_port(self.redis_port)
        self.web.start()
        self.worker.start()
        if beat:
            self.beat.start()
        wait_for_port(self.web_port, timeout=60)
        return self

    def restart_worker(self):
        self.worker.stop()
        self.start_worker()

    def start_worker(self):
        self.worker = self._worker(self.concurrency)
        self.worker.start()

    def stop(self):
        for process in (self.beat, self.worker, self.web, self.redis):
            process.stop()
        for proxy in (self.s3_proxy, self.pg_proxy):
            if proxy is not None:
                proxy.close()
