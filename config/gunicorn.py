"""gunicorn's settings for the web process: `gunicorn -c config/gunicorn.py config.wsgi`.

One process per core with six threads each: on 2 cores this answered as many submissions as three
processes of four threads (180.6 against 174.4 a second) with a p95 of 457 against 573 ms, because
each kept-alive client stays on one process and fewer, busier processes share the load more evenly
(bench/RESULTS.md, "gunicorn layout"). Every thread keeps a database connection.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", os.cpu_count() or 1))
threads = int(os.environ.get("GUNICORN_THREADS", "6"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
