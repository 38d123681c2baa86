"""The platform's URLs plus the baseline of bench_load.py: a view that only stores the upload."""

import uuid

from django.core.files.storage import default_storage
from django.http import JsonResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt
def store_only(request):
    upload = request.FILES["photo"]
    name = default_storage.save(f"baseline/{uuid.uuid4().hex}.jpg", upload)
    return JsonResponse({"name": name}, status=201)


urlpatterns = [path("bench/store-only/", store_only), path("", include("config.urls"))]
