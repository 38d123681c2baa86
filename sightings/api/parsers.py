"""The API's JSON parser: a body nested deeper than any request needs is a 400, never a RecursionError."""

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

# The deepest real body (an export job's filters) is 3 levels deep.
MAX_DEPTH = 32


def json_depth(value) -> int:
    """How deeply lists and objects nest in `value` (a scalar is 0), counted without recursion."""
    deepest, pending = 0, [(value, 1)]
    while pending:
        item, depth = pending.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        deepest = max(deepest, depth)
        pending.extend((child, depth + 1) for child in children)
    return deepest


class DepthLimitedJSONParser(JSONParser):
    max_depth = MAX_DEPTH

    def parse(self, stream, media_type=None, parser_context=None):
        too_deep = ParseError(f"JSON parse error - the body nests more than {self.max_depth} levels deep.")
        try:
            data = super().parse(stream, media_type=media_type, parser_context=parser_context)
        except RecursionError:
            raise too_deep from None
        if json_depth(data) > self.max_depth:
            raise too_deep
        return data
