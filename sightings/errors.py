class StorageUnavailable(Exception):
    """The photo store could not be reached; the caller may try again later (HTTP 503)."""
