import base64
import json

from django.contrib import admin, messages
from django.utils.html import format_html, format_html_join

from .models import ModelVersion
from .services import model_version_activate


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = ("name", "project", "source", "is_active", "created_at", "top1_accuracy")
    list_filter = ("project", "source", "is_active")
    list_select_related = ("project",)
    search_fields = ("name", "sha256")
    readonly_fields = (
        "onnx_file",
        "sha256",
        "labels",
        "preprocessing",
        "project",
        "is_active",
        "source",
        "parent",
        "created_by",
        "created_at",
        "evaluation_report",
        "confusion_matrix",
        "optimization_report",
        "training_summary",
    )
    fields = (
        "name",
        "project",
        "is_active",
        "source",
        "onnx_file",
        "sha256",
        "labels",
        "negative_label",
        "preprocessing",
        "rejection_threshold",
        "evaluation_report",
        "confusion_matrix",
        "optimization_report",
        "training_summary",
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

    @admin.display(description="evaluation")
    def evaluation_report(self, obj):
        metrics = obj.metrics if isinstance(obj.metrics, dict) else {}
        if "top1_accuracy" not in metrics:
            return "No evaluation yet: manage.py evaluate_model --images DIR --version ID --save"
        rows = [
            ("top-1 accuracy", _share(metrics.get("top1_accuracy"))),
            ("top-3 accuracy", _share(metrics.get("top3_accuracy"))),
            ("decision accuracy (with the threshold)", _share(metrics.get("decision_accuracy"))),
            (f"{obj.negative_label} photos rejected", _share(metrics.get("negative_rejection_rate"))),
            ("known-class photos wrongly rejected", _share(metrics.get("false_rejection_rate"))),
            ("photos", metrics.get("examples", "–")),
            ("evaluated on", json.dumps(metrics.get("evaluated_on", {}), sort_keys=True)[:300]),
        ]
        rejection = metrics.get("rejection")
        if isinstance(rejection, dict):
            rows.append(
                (
                    "rejection threshold",
                    f"{rejection.get('threshold', 0):.3f}, for at most"
                    f" {_share(rejection.get('target_false_rejection_rate'))} of known-class photos rejected"
                    f" (chosen on {rejection.get('chosen_on', 'validation')})",
                )
            )
        reliability = metrics.get("reliability")
        if isinstance(reliability, dict):
            calibration = metrics.get("calibration")
            if not isinstance(calibration, dict):
                calibration = {}
            temperature = calibration.get("temperature")
            rows.append(
                (
                    "calibration error (ECE)",
                    f"{reliability.get('ece')}: the gap between the top score and how often it is right"
                    + (
                        f" (temperature {temperature}, {calibration.get('fitted_on')})" if temperature else ""
                    ),
                )
            )
            rows.append(
                (
                    "reliability (top score: share right, photos)",
                    "; ".join(
                        f"{row['lower']:.1f}-{row['upper']:.1f}:"
                        f" {_share(row.get('accuracy'))}, {row['count']}"
                        for row in reliability.get("bins", [])
                        if row.get("count")
                    ),
                )
            )
        uncertain = metrics.get("uncertain")
        if isinstance(uncertain, dict):
            rows.append(
                (
                    "answered 'uncertain: A or B'",
                    f"{_share(uncertain.get('share'))} of the photos (right"
                    f" {_share(uncertain.get('decision_accuracy_of_uncertain'))}; the others"
                    f" {_share(uncertain.get('decision_accuracy_of_the_others'))})",
                )
            )
        summary = format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", rows)
        per_class = metrics.get("per_class")
        if not isinstance(per_class, dict):
            per_class = {}
        classes = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (label, _share(row.get("precision")), _share(row.get("recall")), row.get("support", ""))
                for label, row in per_class.items()
            ),
        )
        return format_html(
            "<table>{}</table><table><tr><th>label</th><th>precision</th><th>recall</th><th>photos</th></tr>"
            "{}</table>",
            summary,
            classes,
        )

    @admin.display(description="confusion matrix and reliability")
    def confusion_matrix(self, obj):
        if not obj.report_image:
            return "–"
        try:
            with obj.report_image.open("rb") as handle:
                data = handle.read()
        except OSError:
            return "The image file is missing from storage."
        # Inline: the media files are private and have no public URL.
        return format_html(
            '<img src="data:image/png;base64,{}" alt="confusion matrix and reliability diagram"'
            ' style="max-width: 100%">',
            base64.b64encode(data).decode(),
        )

    @admin.display(description="smaller and faster copies")
    def optimization_report(self, obj):
        comparison = (obj.metrics or {}).get("optimization") if isinstance(obj.metrics, dict) else None
        if not isinstance(comparison, dict):
            return "–"
        rows = (
            (
                variant,
                f"{entry.get('size_bytes', 0):,} bytes",
                _share(entry.get("size_vs_fp32")),
                f"{entry.get('latency_ms', 0):.2f} ms",
                _share(entry.get("top1_accuracy")),
            )
            for variant, entry in comparison.items()
        )
        return format_html(
            "<table><tr><th>variant</th><th>size</th><th>vs fp32</th><th>latency</th><th>top-1</th></tr>"
            "{}</table>",
            format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", rows),
        )

    @admin.display(description="training data")
    def training_summary(self, obj):
        data = dict(obj.training_data) if isinstance(obj.training_data, dict) else {}
        held_out = data.pop("validation_sha256", None)
        if held_out is not None:
            data["validation_photos"] = len(held_out)
        return format_html("<pre>{}</pre>", json.dumps(data, indent=2, sort_keys=True))

    @admin.action(description="Make active", permissions=["change"])
    def make_active(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one model version to make active.", messages.ERROR)
            return
        model_version = model_version_activate(model_version=queryset.get())
        self.message_user(
            request,
            f"{model_version} is now the active model version of {model_version.project}.",
            messages.SUCCESS,
        )


def _share(value):
    return f"{value:.1%}" if isinstance(value, (int, float)) and not isinstance(value, bool) else "–"
