"""Query parameters are checked, not ignored: an unknown, blank or repeated one is a 400 naming it."""

from django.core.exceptions import ValidationError
from django_filters import rest_framework as filters
from rest_framework.pagination import PageNumberPagination


def query_parameters_check(*, params, known: set[str]) -> None:
    """ValidationError, keyed by parameter, for what cannot be meant."""
    errors: dict[str, list[str]] = {}
    for key in params:
        values = params.getlist(key) if hasattr(params, "getlist") else [params[key]]
        if key not in known:
            errors[key] = [f"Unknown parameter; this endpoint takes {', '.join(sorted(known))}."]
        elif len(values) > 1:
            errors[key] = ["Give this parameter once."]
        elif str(values[0]).strip() == "":
            errors[key] = ["Empty: give a value or leave the parameter out."]
    if errors:
        raise ValidationError(errors)


class StrictFilterSet(filters.FilterSet):
    """A FilterSet that also refuses parameters it does not know (besides `extra_parameters`)."""

    extra_parameters: frozenset[str] = frozenset({"page"})

    def is_valid(self):
        query_parameters_check(params=self.data, known={*self.filters, *self.extra_parameters})
        return super().is_valid()


class StrictPageNumberPagination(PageNumberPagination):
    """`?page=` must be a page number: blank or not a number is a 400, not page 1."""

    def get_page_number(self, request, paginator):
        value = request.query_params.get(self.page_query_param)
        if value is not None and not value.strip().isdigit():
            raise ValidationError({self.page_query_param: ["Give a page number: 1, 2, ..."]})
        return super().get_page_number(request, paginator)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1}
                parameter["description"] = "A page number: 1, 2, ...; past the last page, 404."
        return parameters
