from django.conf import settings
from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from . import accounts, editing, researchers, views

app_name = "sightings-web"

urlpatterns = [
    path("", views.home, name="home"),
    path("signup/", views.signup, name="signup"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path(
        "logout/", auth_views.LogoutView.as_view(next_page=reverse_lazy("sightings-web:home")), name="logout"
    ),
    path("sightings/", views.sighting_list, name="list"),
    path("sightings/new/", views.sighting_submit_page, name="submit"),
    path("sightings/<uuid:pk>/", views.sighting_detail_page, name="detail"),
    path("sightings/<uuid:pk>/panel/", views.sighting_panel, name="panel"),
    path("sightings/<uuid:pk>/identify/", views.sighting_identify, name="identify"),
    path("sightings/<uuid:pk>/edit/", editing.sighting_edit_page, name="edit"),
    path("sightings/<uuid:pk>/delete/", editing.sighting_delete_page, name="delete"),
    path("sightings/<uuid:pk>/individual/", views.sighting_individual_match_page, name="individual-match"),
    path("individuals/<uuid:pk>/", views.individual_detail, name="individual"),
    path("map/", views.sightings_map, name="map"),
    path("map/points.json", views.sightings_map_points, name="map-points"),
    path("map/regions.geojson", views.regions_geojson, name="regions"),
    path("species/<int:pk>/", views.species_detail, name="species"),
    path("photos/<str:token>", views.photo, name="photo"),
    path("photos/published/<uuid:pk>.jpg", views.published_photo, name="published-photo"),
    path("exports/", researchers.exports_page, name="exports"),
    path("account/", accounts.account_page, name="account"),
    path("account/delete/", accounts.account_delete_page, name="account-delete"),
    path(
        "account/password/",
        auth_views.PasswordChangeView.as_view(success_url=reverse_lazy("sightings-web:account")),
        name="password-change",
    ),
    path(
        "password-reset/",
        auth_views.PasswordResetView.as_view(
            email_template_name="registration/password_reset_email.txt",
            subject_template_name="registration/password_reset_subject.txt",
            success_url=reverse_lazy("sightings-web:password-reset-done"),
        ),
        name="password-reset",
    ),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(
            extra_context={"timeout_days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400)}
        ),
        name="password-reset-done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            success_url=reverse_lazy("sightings-web:password-reset-complete")
        ),
        name="password-reset-confirm",
    ),
    path(
        "password-reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password-reset-complete",
    ),
    path("account/token/", researchers.api_token_page, name="api-token"),
    path("account/token/new/", researchers.api_token_new, name="api-token-new"),
]
