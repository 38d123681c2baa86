from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import ExportJobViewSet, ExportView

app_name = "exports"

router = SimpleRouter()
router.register("jobs", ExportJobViewSet, basename="export-job")

urlpatterns = [
    path("sightings.csv", ExportView.as_view(exporter="csv"), name="sightings-csv"),
    path("sightings.geojson", ExportView.as_view(exporter="geojson"), name="sightings-geojson"),
    path("dwca.zip", ExportView.as_view(exporter="dwca"), name="dwca"),
    path("dataset.zip", ExportView.as_view(exporter="dataset"), name="dataset"),
    *router.urls,
]
