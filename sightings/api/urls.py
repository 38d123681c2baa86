from django.urls import include, path
from rest_framework.routers import DefaultRouter

from .views import SightingViewSet

router = DefaultRouter()
router.register("sightings", SightingViewSet, basename="sighting")

urlpatterns = router.urls + [path("exports/", include("sightings.exports.urls"))]
