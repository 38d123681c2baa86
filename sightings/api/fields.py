"""Input fields as strict as the schema: text is text.

DRF's CharField turns a JSON number or boolean into text; the OpenAPI schema says "string", so a
request that sends another type is refused with a 400, as the schema promises.
"""

from rest_framework import serializers


class _TextOnly:
    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")  # type: ignore[attr-defined]
        return super().to_internal_value(data)  # type: ignore[misc]


class TextField(_TextOnly, serializers.CharField):
    pass


class TextSlugField(_TextOnly, serializers.SlugField):
    pass
