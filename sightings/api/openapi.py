"""The OpenAPI schema says every answer an operation can give, errors included.

drf-spectacular documents the success of each operation; `ContractAutoSchema` adds the errors
that the API's layers produce, from what the view is:

- any operation: 401 (a bad or missing token), 429 (throttled), 503 (the database or the photo
  store is down; nothing was written);
- with a query parameter or a request body: 400, with the reasons by field;
- with a request body: 413 (too large) and 415 (a content type it does not parse);
- with a path parameter, or paginated (a page past the end): 404;
- with a permission beyond being signed in, or an unsafe method (CSRF for session log-ins): 403.
"""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import build_basic_type, build_object_type
from drf_spectacular.types import OpenApiTypes
from rest_framework.permissions import AllowAny, IsAuthenticated

DETAIL = build_object_type(
    properties={"detail": build_basic_type(OpenApiTypes.STR)},
    required=["detail"],
    description="Why the request was refused.",
)
FIELD_ERRORS = {
    "type": "object",
    "description": "The reasons, by field (`detail` or `non_field_errors` when no one field is at fault).",
    "additionalProperties": {},
}
REASONS = {
    400: "The input is invalid: each field at fault, with the reason.",
    401: "No valid credentials: send `Authorization: Token <key>`.",
    403: "Signed in, but not allowed to do this (or a session request without its CSRF token).",
    404: "No such object visible to you, or a page past the end.",
    413: "The request body is too large.",
    415: "The request body's content type is not one this operation reads.",
    429: "Too many requests: wait as long as Retry-After says.",
    503: "The database or the photo store is unavailable; nothing was written. Retry later.",
}
PLAIN_PERMISSIONS = (AllowAny, IsAuthenticated)


class ContractAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code in sorted(self._error_codes()):
            responses.setdefault(str(code), self._error_body(code))
        return responses

    def _error_body(self, code):
        schema = FIELD_ERRORS if code == 400 else DETAIL
        return {"content": {"application/json": {"schema": schema}}, "description": REASONS[code]}

    def _error_codes(self):
        codes = {401, 429, 503}
        has_body = self.method in ("POST", "PUT", "PATCH")
        if has_body or self._has_query_parameters():
            codes.add(400)
        if has_body:
            codes |= {413, 415}
        paginated = self._is_list_view() and getattr(self.view, "pagination_class", None) is not None
        if "(?P<" in self.path_regex or paginated:
            codes.add(404)
        permissions = getattr(self.view, "permission_classes", [])
        if has_body or self.method == "DELETE" or any(p not in PLAIN_PERMISSIONS for p in permissions):
            codes.add(403)
        return codes

    def _has_query_parameters(self):
        return any(parameter.get("in") == "query" for parameter in self._get_parameters())
