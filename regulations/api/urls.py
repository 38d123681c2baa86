from django.urls import path
from rest_framework.routers import SimpleRouter

from regulations.api.views import RegulationsView, SpeciesViewSet

router = SimpleRouter()
router.register("species", SpeciesViewSet, basename="species")

urlpatterns = [
    path("regulations/", RegulationsView.as_view(), name="regulations"),
    *router.urls,
]
