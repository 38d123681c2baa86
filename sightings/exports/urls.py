from django.urls import path
from rest_framework.routers import SimpleRouter

from .registry import exporters
from .views import ExportJobViewSet, ExportView

app_name = "exports"

router = SimpleRouter()
router.register("jobs", ExportJobViewSet, basename="export-job")

urlpatterns = [
    *(
        path(exporter.path, ExportView.as_view(exporter=exporter.identifier), name=exporter.identifier)
        for exporter in exporters()
    ),
    *router.urls,
]
