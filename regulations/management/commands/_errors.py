from contextlib import contextmanager

from django.core.management.base import CommandError

from regulations.rows import RowError
from regulations.services import ImportProblem


@contextmanager
def import_errors(path):
    """Import problems as a CommandError naming the file (and the row and column)."""
    try:
        yield
    except FileNotFoundError as error:
        raise CommandError(f"{path}: no such file.") from error
    except (RowError, ImportProblem) as error:
        raise CommandError(f"{path}: {error} Nothing was imported.") from error
