import pytest
from django.contrib import admin
from django.test import RequestFactory

from classifier.admin import ModelVersionAdmin
from classifier.models import ModelVersion


@pytest.fixture
def model_admin(monkeypatch):
    instance = ModelVersionAdmin(ModelVersion, admin.site)
    instance.messages = []
    monkeypatch.setattr(
        instance, "message_user", lambda request, message, level=None: instance.messages.append(message)
    )
    return instance


@pytest.mark.django_db
class TestModelVersionAdmin:
    def test_make_active_activates_the_one_selected(self, model_admin, register_color_model):
        register_color_model(name="first", activate=True)
        second = register_color_model(name="second")
        request = RequestFactory().post("/")
        model_admin.make_active(request, ModelVersion.objects.filter(pk=second.pk))
        assert list(ModelVersion.objects.filter(is_active=True)) == [second]
        assert "now the active" in model_admin.messages[-1]

    def test_make_active_wants_exactly_one(self, model_admin, register_color_model):
        register_color_model(), register_color_model()
        model_admin.make_active(RequestFactory().post("/"), ModelVersion.objects.all())
        assert not ModelVersion.objects.filter(is_active=True).exists()
        assert "exactly one" in model_admin.messages[-1]

    def test_top1_accuracy_comes_from_the_metrics(self, model_admin):
        assert model_admin.top1_accuracy(ModelVersion(metrics={"top1_accuracy": 0.875})) == "87.5%"
        assert model_admin.top1_accuracy(ModelVersion(metrics={})) == "–"

    def test_registration_and_identity_fields_cannot_be_edited(self, model_admin):
        assert {"sha256", "labels", "preprocessing", "is_active"} <= set(model_admin.readonly_fields)
        assert not model_admin.has_add_permission(RequestFactory().get("/"))
