"""Scoring the MIRAGE authors' own predictions lands on the recomputed figures of
../shared/benchmarks/README.md (first output, text after '"answer_choice": "') for all 16
(model, mode, dataset) cells, within 0.5 points, and reports the unparsed outputs.

Reads the real 24 MB file (about 2 s); skipped where the shared benchmarks are absent.
"""

import os
from pathlib import Path

import pytest

from eval.execute import EvalBackend
from eval.loaders import load_suite
from eval.runner import RunSettings, run_suite
from eval.scoring import ScoringContext

BENCHMARKS = Path(os.environ.get("RUIYI_BENCHMARKS_DIR",
                                 Path(__file__).resolve().parents[3] / "shared" / "benchmarks"))
PREDICTIONS = BENCHMARKS / "mirage" / "predictions.jsonl"
RAG = "rag_32:medcorp:RRF-4"

# The "recomputed" table of the benchmarks README (percent).
REFERENCE = {
    ("gpt-35-turbo-16k", "cot"): {"mmlu": 71.99, "medqa": 64.57, "medmcqa": 53.55, "pubmedqa": 36.00},
    ("gpt-35-turbo-16k", RAG): {"mmlu": 74.66, "medqa": 65.59, "medmcqa": 53.45, "pubmedqa": 67.40},
    ("gpt-4-32k", "cot"): {"mmlu": 89.16, "medqa": 82.95, "medmcqa": 68.40, "pubmedqa": 39.60},
    ("gpt-4-32k", RAG): {"mmlu": 87.05, "medqa": 81.93, "medmcqa": 62.28, "pubmedqa": 70.40},
}

pytestmark = pytest.mark.skipif(not PREDICTIONS.exists(),
                                reason=f"shared MIRAGE predictions not found at {PREDICTIONS} "
                                       "(set RUIYI_BENCHMARKS_DIR to the benchmarks folder)")


def test_reference_table_is_the_one_in_the_readme():
    readme = (BENCHMARKS / "README.md").read_text(encoding="utf-8")
    for (model, mode), row in REFERENCE.items():
        label = f"| {model}, {'cot' if mode == 'cot' else 'rag_32'} |"
        line = next(l for l in readme.splitlines() if l.startswith(label))
        assert [float(x) for x in line.split("|")[2:6]] == [row[d] for d in
                                                            ("mmlu", "medqa", "medmcqa", "pubmedqa")]


def test_all_sixteen_cells_within_half_a_point(tmp_path):
    loaded = load_suite("predictions", PREDICTIONS)
    assert len(loaded.cases) == 28_180 and not loaded.problems
    outcome = run_suite(loaded, EvalBackend(), RunSettings("predictions", str(PREDICTIONS)),
                        tmp_path, ScoringContext(), progress=False, n_resamples=100, plots=False)
    groups = outcome.summary["groups"]
    gaps = {}
    for (model, mode), row in REFERENCE.items():
        for dataset, reference in row.items():
            measured = 100 * groups[f"{model}|{mode}|{dataset}"]["metrics"]["accuracy"]["value"]
            gaps[(model, mode, dataset)] = round(measured - reference, 2)
    assert len(gaps) == 16
    assert all(abs(gap) <= 0.5 for gap in gaps.values()), gaps
    extraction = outcome.summary["extraction"]
    # The outputs that say "None of the above", "Cannot be determined", are empty, ...
    assert 1500 < extraction["unparsed"] < 1900
    assert sum(extraction["unparsed_by_group"].values()) == extraction["unparsed"]
