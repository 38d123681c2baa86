"""What the OpenAPI schema says of a synchronous export: its filters, the options of its format
and the content type of its file."""

from django_filters import filters as django_filters
from drf_spectacular.plumbing import build_basic_type
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

from ..api.openapi import ContractAutoSchema
from .filters import DayFilter, ExportFilterSet
from .registry import exporter_get


def _filter_schema(field) -> dict:
    if isinstance(field, django_filters.ModelChoiceFilter):
        return {"type": "integer"}
    if isinstance(field, django_filters.ChoiceFilter):
        return {"type": "string", "enum": [str(value) for value, _ in field.extra["choices"]]}
    if isinstance(field, DayFilter):
        return {"type": "string", "format": "date"}
    # Blank values are refused, so a text filter has at least one character.
    return {"type": "string", "minLength": 1}


class ExportSchema(ContractAutoSchema):
    def _exporter(self):
        return exporter_get(self.view.exporter)  # type: ignore[attr-defined]

    def get_override_parameters(self):
        parameters = [
            OpenApiParameter(name, _filter_schema(field), description=field.extra.get("help_text", ""))
            for name, field in ExportFilterSet.base_filters.items()
        ]
        parameters += [
            OpenApiParameter(name, schema, description=schema.get("description", ""))
            for name, schema in self._exporter().option_schemas.items()
        ]
        return [*parameters, *super().get_override_parameters()]

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        media_type = self._exporter().content_type.split(";")[0]
        responses["200"] = {
            "content": {
                media_type: {
                    "schema": self._exporter().response_schema or build_basic_type(OpenApiTypes.BINARY)
                }
            },
            "description": f"The {self._exporter().label} file, streamed.",
        }
        return responses
