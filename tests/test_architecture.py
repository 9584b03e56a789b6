"""Keep the arrows honest (docs/architecture.md): ui → eval, assistant, retrieval, knowledge;
eval → assistant.clinical, retrieval, knowledge; assistant → retrieval → knowledge; and the
clinical engines in assistant/clinical import nothing of the LLM side."""

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
# Package -> the module prefixes of other packages it may import.
ALLOWED = {
    "knowledge": set(),
    "retrieval": {"knowledge"},
    "assistant": {"retrieval", "knowledge"},
    "eval": {"assistant.clinical", "retrieval", "knowledge"},
    "ui": {"assistant", "retrieval", "knowledge", "eval"},
}
# Third-party model libraries live behind the assistant and retrieval adapters.
MODEL_LIBRARIES = {"transformers", "accelerate", "bitsandbytes"}
# What the deterministic engines must never load.
CLINICAL_FORBIDDEN = {"torch", "transformers", "accelerate", "bitsandbytes", "xllamacpp",
                      "openai", "faiss", "sentence_transformers"}


def imported_modules(path: pathlib.Path):
    """Absolute names of every module ``path`` imports, relative imports resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = path.relative_to(ROOT).with_suffix("").parts[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                yield node.module
                continue
            base = package[:len(package) - node.level + 1]
            yield ".".join(base + ((node.module,) if node.module else ()))


def allowed(module: str, prefixes: set[str]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_imports_follow_the_layering(package):
    wrong = []
    for path in (ROOT / package).rglob("*.py"):
        for module in imported_modules(path):
            head = module.split(".")[0]
            if head in ALLOWED and head != package and not allowed(module, ALLOWED[package]):
                wrong.append(f"{path.relative_to(ROOT)} imports {module}")
            if head in MODEL_LIBRARIES and package not in ("assistant", "retrieval"):
                wrong.append(f"{path.relative_to(ROOT)} imports {module}")
    assert wrong == []


def test_clinical_engines_import_nothing_of_the_llm_side():
    wrong = []
    for path in (ROOT / "assistant" / "clinical").rglob("*.py"):
        for module in imported_modules(path):
            if module.startswith("assistant.") and not module.startswith("assistant.clinical"):
                wrong.append(f"{path.relative_to(ROOT)} imports {module}")
            if module.split(".")[0] in CLINICAL_FORBIDDEN:
                wrong.append(f"{path.relative_to(ROOT)} imports {module}")
    assert wrong == []


def test_relative_imports_are_resolved():
    modules = set(imported_modules(ROOT / "assistant" / "clinical" / "triage.py"))
    assert "assistant.clinical.findings" in modules


def test_nothing_is_pickled():
    offenders = [str(p.relative_to(ROOT)) for pkg in ALLOWED for p in (ROOT / pkg).rglob("*.py")
                 if any(m.split(".")[0] in ("pickle", "dill", "joblib") for m in imported_modules(p))]
    assert offenders == []
