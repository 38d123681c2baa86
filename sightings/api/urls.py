from django.urls import include, path
from rest_framework.routers import DefaultRouter

from .account import CreditView
from .individuals import IndividualViewSet
from .views import SightingViewSet

router = DefaultRouter()
router.register("sightings", SightingViewSet, basename="sighting")
router.register("individuals", IndividualViewSet, basename="individual")

urlpatterns = router.urls + [
    path("account/credit/", CreditView.as_view(), name="account-credit"),
    path("exports/", include("sightings.exports.urls")),
]
