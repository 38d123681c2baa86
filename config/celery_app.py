import os

from celery import Celery
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("catchlog")
# Every Celery setting lives in Django's settings under the CELERY_ prefix.
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
@task_postrun.connect
def _database_connections_check(task, **kwargs):
    """Drop a connection that is broken or older than CONN_MAX_AGE, as Django does per request.

    Not for a task run eagerly: it runs inside its caller's connection and transaction.
    """
    if task.request.is_eager:
        return
    from django.db import close_old_connections

    close_old_connections()
