from django.contrib import admin, messages

from .models import ModelVersion
from .services import model_version_activate


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = ("name", "source", "is_active", "created_at", "top1_accuracy")
    list_filter = ("source", "is_active")
    search_fields = ("name", "sha256")
    readonly_fields = (
        "onnx_file",
        "sha256",
        "labels",
        "preprocessing",
        "is_active",
        "source",
        "parent",
        "created_by",
        "created_at",
    )
    fields = (
        "name",
        "is_active",
        "source",
        "onnx_file",
        "sha256",
        "labels",
        "negative_label",
        "preprocessing",
        "rejection_threshold",
        "metrics",
        "training_data",
        "parent",
        "created_by",
        "created_at",
    )
    actions = ["make_active"]

    def has_add_permission(self, request):
        # A version is registered with validation by `manage.py import_model` or a training run.
        return False

    @admin.display(description="top-1 accuracy")
    def top1_accuracy(self, obj):
        metrics = obj.metrics if isinstance(obj.metrics, dict) else {}
        value = metrics.get("top1_accuracy", metrics.get("accuracy"))
        return f"{value:.1%}" if isinstance(value, (int, float)) else "–"

    @admin.action(description="Make active", permissions=["change"])
    def make_active(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one model version to make active.", messages.ERROR)
            return
        model_version = model_version_activate(model_version=queryset.get())
        self.message_user(request, f"{model_version} is now the active model version.", messages.SUCCESS)
