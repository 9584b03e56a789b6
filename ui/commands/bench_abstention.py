"""`ruiyi bench abstention`: measure where the abstention threshold should sit.

Scores every GP-suite question (in scope) and every out-of-scope question by its best
passage's embedding similarity, applies the scope guards, and prints the threshold that
``assistant.abstention.calibrate_threshold`` picks, with the answered and abstained shares at
the threshold in use.
"""

from __future__ import annotations

from pathlib import Path

import typer

from ui.common import (DataDirOption, EmbedderOption, IndexProgress, console, print_json,
                       resolve_data_dir, setup_logging, user_errors)

DEFAULT_SUITE = Path(__file__).resolve().parents[2] / "eval" / "data" / "gp_suite"


def register_bench(bench_app: typer.Typer) -> None:
    bench_app.command("abstention")(bench_abstention)


@user_errors
def bench_abstention(
    data: list[Path] = typer.Option([DEFAULT_SUITE], "--data", help="A GP-suite folder of "
                                    "JSONL files, or one file; repeat to pool several."),
    min_answered: float = typer.Option(0.97, "--min-answered",
                                       help="Share of in-scope questions that must be answered."),
    embedder: str = EmbedderOption,
    data_dir: Path = DataDirOption,
    json_output: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Calibrate the abstention threshold on in-scope versus out-of-scope questions."""
    from assistant.abstention import calibrate_threshold, rates_at, threshold_for
    from assistant.factory import build_retriever
    from assistant.scope import check_scope
    from knowledge.jsonl import read_jsonl_objects

    setup_logging(False)
    files = [file for folder in data for file in _jsonl_files(folder)]
    retriever = build_retriever(resolve_data_dir(data_dir), embedder,
                                progress=IndexProgress(enabled=not json_output))
    in_scope, out_of_scope, guarded = [], [], 0
    for path in files:
        for _, case in read_jsonl_objects(path, ("question",)):
            if not case.get("in_scope", True) and not check_scope(case["question"]).in_scope:
                guarded += 1  # declined by the scope guards before any similarity is needed
                continue
            best = max((sp.evidence_score for sp in retriever.search(case["question"], 4)),
                       default=-1.0)
            (in_scope if case.get("in_scope", True) else out_of_scope).append(best)
    calibration = calibrate_threshold(in_scope, out_of_scope, min_answered)
    in_use = threshold_for(embedder)
    answered, abstained = rates_at(in_use, in_scope, out_of_scope)
    result = {
        "in_scope_questions": len(in_scope),
        "out_of_scope_by_similarity": len(out_of_scope),
        "out_of_scope_declined_by_scope_guards": guarded,
        "highest_out_of_scope_similarity": round(max(out_of_scope), 4),
        "lowest_in_scope_similarity": round(min(in_scope), 4),
        "calibrated_threshold": calibration.threshold,
        "min_answered": min_answered,
        "in_scope_answered_at_calibrated": round(calibration.in_scope_answered, 4),
        "out_of_scope_abstained_at_calibrated": round(calibration.out_of_scope_abstained, 4),
        "embedder": embedder,
        "threshold_in_use": in_use,
        "in_scope_answered_at_threshold_in_use": round(answered, 4),
        "out_of_scope_abstained_at_threshold_in_use": round(abstained, 4),
    }
    if json_output:
        print_json(result)
        return
    for key, value in result.items():
        console.print(f"{key.replace('_', ' '):42} {value}")


def _jsonl_files(path: Path) -> list[Path]:
    files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
    if not files or not all(f.is_file() for f in files):
        raise FileNotFoundError(f"--data {path}: no JSONL files found")
    return files
