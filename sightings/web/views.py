import mimetypes

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from ..photos import photo_name_from_token


@require_GET
@cache_control(private=True, max_age=300)
def photo(request, token):
    """Serve a stored photo to whoever holds a valid, unexpired signed token (filesystem storage)."""
    name = photo_name_from_token(token)
    if not name or not default_storage.exists(name):
        raise Http404("This photo address is invalid or has expired.")
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    if not content_type.startswith("image/"):
        content_type = "application/octet-stream"
    response = FileResponse(default_storage.open(name, "rb"), content_type=content_type)
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    return response
