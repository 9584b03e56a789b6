"""Running a loaded suite: resumable, parallel, with a progress bar; then scoring and outputs.

The out dir holds ``run.json`` (the settings that results depend on), ``results_cache.jsonl``
(one line per finished case: id, a hash of the case data, the raw result) and, after scoring,
``metrics.json``, ``cases.jsonl`` and ``report.html``. A rerun into the same out dir skips the
cached cases (a case whose data changed is run again); a rerun with different model settings
is refused rather than mixing two systems' answers. Failed cases are not cached, so a rerun
retries them. Cases run on a thread pool of ``workers``; results are written from the main
thread only. Does not build models (the CLI does) or lay out the report (``report``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from eval.bootstrap import DEFAULT_RESAMPLES, DEFAULT_SEED
from eval.execute import CaseError, EvalBackend, execute_case
from eval.report import write_outputs
from eval.scoring import ScoringContext, score_case
from eval.suites import Case, LoadedSuite, SuiteInputError, get_suite
from eval.summary import summarise

logger = logging.getLogger(__name__)

RUN_FILE = "run.json"
CACHE_FILE = "results_cache.jsonl"
_OUTPUT_CHARS = 4000


class RunMismatchError(SuiteInputError):
    """The out dir holds a run made with other settings."""


@dataclass(frozen=True)
class RunSettings:
    """What a run's results depend on (all of it is checked on resume) plus labels."""

    suite: str
    data: str
    model: str = "default"
    quantization: str = "none"
    retrieval: bool = True
    top_k: int = 5
    max_new_tokens: int = 512
    subset: str | None = None
    judge: str = "lexical"
    extra: dict[str, Any] = field(default_factory=dict)

    def fingerprint(self) -> dict:
        # subset, limit and judge only choose/score cases: results stay valid across them.
        return {"suite": self.suite, "model": self.model, "quantization": self.quantization,
                "retrieval": self.retrieval, "top_k": self.top_k,
                "max_new_tokens": self.max_new_tokens}


@dataclass
class RunOutcome:
    out_dir: Path
    summary: dict
    executed: int
    from_cache: int
    failed: int


def case_hash(case: Case) -> str:
    payload = json.dumps(case.data, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


def _check_out_dir(out_dir: Path, settings: RunSettings) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    run_file = out_dir / RUN_FILE
    wanted = settings.fingerprint()
    if run_file.exists():
        try:
            previous = json.loads(run_file.read_text(encoding="utf-8")).get("fingerprint", {})
        except (json.JSONDecodeError, OSError, AttributeError):
            previous = None
        if previous != wanted:
            changed = sorted(k for k in wanted if (previous or {}).get(k) != wanted[k])
            raise RunMismatchError(
                f"{out_dir} holds a run with different settings ({', '.join(changed) or RUN_FILE}); "
                "choose another --out or pass --fresh to discard it")
    run_file.write_text(json.dumps({"fingerprint": wanted, "settings": asdict(settings)},
                                   indent=2, ensure_ascii=False), encoding="utf-8")


def read_cache(path: Path) -> dict[str, dict]:
    """case_id → {hash, result}; a torn last line (interrupted run) is ignored."""
    cache: dict[str, dict] = {}
    if not path.exists():
        return cache
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        try:
            entry = json.loads(line)
            cache[entry["case_id"]] = {"hash": entry["hash"], "result": entry["result"]}
        except (json.JSONDecodeError, KeyError, TypeError):
            logger.warning("ignoring unreadable line %d of %s", number, path)
    return cache


def discard_run(out_dir: Path) -> None:
    """Forget a previous run in ``out_dir`` (``--fresh``)."""
    for name in (RUN_FILE, CACHE_FILE):
        (Path(out_dir) / name).unlink(missing_ok=True)


def _progress_bar(total: int, initial: int, enabled: bool, label: str):
    from tqdm import tqdm

    return tqdm(total=total, initial=initial, disable=not enabled, desc=label, unit="case",
                dynamic_ncols=True)


def execute_cases(cases: list[Case], backend: EvalBackend, out_dir: Path, workers: int = 1,
                  progress: bool = True) -> tuple[dict[str, dict], dict[str, str], int]:
    """Run the cases not yet in the cache; return (results by id, failures by id, executed)."""
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    cache_path = out_dir / CACHE_FILE
    cache = read_cache(cache_path)
    results: dict[str, dict] = {}
    todo: list[Case] = []
    for case in cases:
        entry = cache.get(case.case_id)
        if entry and entry["hash"] == case_hash(case):
            results[case.case_id] = entry["result"]
        else:
            todo.append(case)
    failures: dict[str, str] = {}
    bar = _progress_bar(len(cases), len(results), progress, cases[0].suite if cases else "")
    started = time.perf_counter()
    with open(cache_path, "a", encoding="utf-8") as cache_file, \
            ThreadPoolExecutor(max_workers=workers, thread_name_prefix="eval") as pool:
        pending: dict[Future, Case] = {}
        queue = iter(todo)

        def submit_next() -> None:
            case = next(queue, None)
            if case is not None:
                pending[pool.submit(execute_case, case, backend)] = case

        # Keep at most 2 × workers cases in flight so an interrupt loses little work.
        for _ in range(2 * workers):
            submit_next()
        try:
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    case = pending.pop(future)
                    try:
                        result = future.result()
                    except CaseError as e:
                        failures[case.case_id] = str(e)
                        logger.warning("case %s failed: %s", case.case_id, str(e)[:200])
                    else:
                        results[case.case_id] = result
                        cache_file.write(json.dumps({"case_id": case.case_id, "hash": case_hash(case),
                                                     "result": result}, ensure_ascii=False) + "\n")
                        cache_file.flush()
                    bar.update(1)
                    submit_next()
        except KeyboardInterrupt:
            for future in pending:
                future.cancel()
            raise
        finally:
            bar.close()
    logger.info("ran %d cases (%d failed) in %.1f s; %d from cache", len(todo), len(failures),
                time.perf_counter() - started, len(cases) - len(todo))
    return results, failures, len(todo)


def case_record(case: Case, status: str, reason: str = "", score=None, result: dict | None = None) -> dict:
    record = {"case_id": case.case_id, "group": case.group, "status": status, "reason": reason,
              "scores": score.scores if score else {}, "measures": score.measures if score else {},
              "detail": score.detail if score else {}}
    if status != "scored":
        record["source"] = case.source  # file and line, to find the record that failed
    if result:
        text = result.get("output_text")
        if case.suite == "gp":
            text = result["answer"]["answer"]
        if text:
            record["output"] = text[:_OUTPUT_CHARS]
    question = case.data.get("question") or case.data.get("text")
    if question and case.suite != "predictions":
        record["question"] = str(question)[:_OUTPUT_CHARS]
    return record


def score_cases(cases: list[Case], results: dict[str, dict], failures: dict[str, str],
                context: ScoringContext) -> list[dict]:
    records = []
    for case in cases:
        if case.case_id in failures:
            records.append(case_record(case, "error", failures[case.case_id]))
            continue
        result = results.get(case.case_id)
        if result is None:
            records.append(case_record(case, "error", "not run"))
            continue
        try:
            score = score_case(case, result, context)
        except (KeyError, TypeError, ValueError) as e:
            records.append(case_record(case, "error", f"scoring failed: {type(e).__name__}: {e}"))
            continue
        records.append(case_record(case, "scored", score=score, result=result))
    return records


def run_suite(loaded: LoadedSuite, backend: EvalBackend, settings: RunSettings, out_dir: Path,
              context: ScoringContext, *, workers: int = 1, progress: bool = True,
              seed: int = DEFAULT_SEED, n_resamples: int = DEFAULT_RESAMPLES,
              run_info: dict | None = None, plots: bool = True) -> RunOutcome:
    """Execute (or read from cache), score, summarise and write the outputs of one run."""
    out_dir = Path(out_dir)
    spec = get_suite(loaded.suite)
    started = datetime.now(timezone.utc)
    if spec.needs == "nothing":
        out_dir.mkdir(parents=True, exist_ok=True)
        results = {case.case_id: {} for case in loaded.cases}
        failures: dict[str, str] = {}
        executed = 0
    else:
        _check_out_dir(out_dir, settings)
        results, failures, executed = execute_cases(loaded.cases, backend, out_dir, workers, progress)
    records = score_cases(loaded.cases, results, failures, context)
    problems = [p.to_dict() for p in loaded.problems]
    summary = summarise(loaded.suite, records, problems, seed=seed, n_resamples=n_resamples)
    judge = context.judge
    summary["run"] = {
        "settings": asdict(settings),
        "judge": getattr(judge, "name", None),
        "files": loaded.files,
        "limited_from": loaded.limited_from,
        "executed_now": executed,
        "from_cache": 0 if spec.needs == "nothing" else len(results) - (executed - len(failures)),
        "started_utc": started.isoformat(timespec="seconds"),
        "finished_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "workers": workers,
    } | (run_info or {})
    write_outputs(out_dir, summary, records, plots=plots)
    return RunOutcome(out_dir, summary, executed, summary["run"]["from_cache"], len(failures))
