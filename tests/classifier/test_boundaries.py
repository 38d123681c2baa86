import ast
from pathlib import Path

import classifier

APP = Path(classifier.__file__).parent


def imported_modules(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module


def test_the_classifier_app_imports_no_other_project_app():
    offenders = [
        f"{path.relative_to(APP)}: {module}"
        for path in APP.rglob("*.py")
        for module in imported_modules(path)
        if module.split(".")[0] in ("sightings", "regulations")
    ]
    assert offenders == []
