"""Keep the arrows honest: ui → assistant → retrieval → knowledge; eval → the three below."""

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
ALLOWED = {
    "knowledge": set(),
    "retrieval": {"knowledge"},
    "assistant": {"retrieval", "knowledge"},
    "eval": {"assistant", "retrieval", "knowledge"},
    "ui": {"assistant", "retrieval", "knowledge", "eval"},
}
# Third-party model libraries live behind the assistant and retrieval adapters.
MODEL_LIBRARIES = {"transformers", "accelerate", "bitsandbytes"}


def imported_modules(path: pathlib.Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_imports_follow_the_layering(package):
    wrong = []
    for path in (ROOT / package).rglob("*.py"):
        for module in imported_modules(path):
            head = module.split(".")[0]
            if head in ALLOWED and head != package and head not in ALLOWED[package]:
                wrong.append(f"{path.relative_to(ROOT)} imports {module}")
            if head in MODEL_LIBRARIES and package not in ("assistant", "retrieval"):
                wrong.append(f"{path.relative_to(ROOT)} imports {module}")
    assert wrong == []


def test_nothing_is_pickled():
    offenders = [str(p.relative_to(ROOT)) for pkg in ALLOWED for p in (ROOT / pkg).rglob("*.py")
                 if any(m.split(".")[0] in ("pickle", "dill", "joblib") for m in imported_modules(p))]
    assert offenders == []
