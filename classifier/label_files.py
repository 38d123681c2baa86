"""Label lists as people write them: a JSON list, one label per line, or `index,name[, synonyms]` lines."""

import json
import re

_INDEXED_LINE = re.compile(r"^(\d+)\s*,\s*([^,]+)")


def labels_parse(text: str) -> list[str]:
    """The labels in output order. Raises ValueError on gaps, duplicated indexes or blank labels."""
    stripped = text.strip()
    if stripped.startswith("["):
        try:
            labels = json.loads(stripped)
        except json.JSONDecodeError as error:
            raise ValueError(f"labels: invalid JSON ({error})") from error
        if not isinstance(labels, list) or not all(isinstance(label, str) for label in labels):
            raise ValueError("labels: the JSON must be a list of strings")
        return [label.strip() for label in labels]
    lines = [line.strip() for line in stripped.splitlines()]
    if not lines or not lines[0]:
        raise ValueError("labels: the list is empty")
    indexed = [match for line in lines if (match := _INDEXED_LINE.match(line))]
    if len(indexed) == len(lines):
        labels = []
        for number, match in enumerate(indexed):
            if int(match.group(1)) != number:
                raise ValueError(f"labels: line {number + 1} has index {match.group(1)}, expected {number}")
            labels.append(match.group(2).strip())
        return labels
    for number, line in enumerate(lines, start=1):
        if not line:
            raise ValueError(f"labels: line {number} is blank")
    return lines
