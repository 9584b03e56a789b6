"""Retrieval benchmark data: external question → passage sets, read from a path, as passages.

Each loader returns a ``RetrievalDataset``: the passages to index and the questions, each with
the ids of the passages that answer it. Nothing here is copied into the project; the data stays
where the caller points (``/work/shared/benchmarks`` on the development machines).

- **MedQuAD** (``medquad_answered.jsonl``): every distinct answer text is one passage, titled
  with the record's ``focus`` (the disease or topic: passage-side metadata, available for any
  document); a question's gold passages are those whose text equals its own answer after
  whitespace normalisation. Question text and ``qtype`` never reach the passage side.
- **PubMedQA** (``ori_pqal.json``): each context paragraph of each abstract is one passage
  (its section label as title); a question's gold passages are its own abstract's contexts.
- **GP suite** (``eval/data/gp_suite/*.jsonl``): in-scope questions over the bundled corpus,
  gold = ``gold_passages``; **gp-zh** the same with the Chinese questions of
  ``eval/data/gp_suite_zh`` (cross-lingual retrieval).

Sampling is seeded and documented in ``sample_questions`` so that tuning and reporting use
disjoint question sets. This module reads files; scoring lives in ``eval.retrieval_metrics`` and the
runner in ``retrieval_bench``.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from knowledge.jsonl import read_jsonl_objects
from knowledge.passage import Passage, Source

DATASETS = ("medquad", "pubmedqa", "gp", "gp-zh")
MEDQUAD_FILE = Path("medquad") / "medquad_answered.jsonl"
PUBMEDQA_FILE = Path("pubmedqa") / "ori_pqal.json"
GP_SUITE_DIR = Path(__file__).parent / "data" / "gp_suite"
GP_SUITE_ZH_DIR = Path(__file__).parent / "data" / "gp_suite_zh"


@dataclass(frozen=True)
class RetrievalQuestion:
    question_id: str
    question: str
    gold_ids: tuple[str, ...]


@dataclass(frozen=True)
class RetrievalDataset:
    name: str
    passages: list[Passage]
    questions: list[RetrievalQuestion]


def _normalise_space(text: str) -> str:
    return " ".join(text.split())


def _require(path: Path, what: str) -> Path:
    if not path.is_file():
        raise FileNotFoundError(f"{what} not found at {path}; pass --data pointing at the "
                                "benchmarks folder (e.g. /work/shared/benchmarks)")
    return path


def load_medquad(data_root: Path) -> RetrievalDataset:
    path = _require(Path(data_root) / MEDQUAD_FILE, "MedQuAD")
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
               if line.strip()]
    passages: list[Passage] = []
    by_raw_answer: dict[str, str] = {}
    ids_by_text: dict[str, list[str]] = {}
    for record in records:
        answer = record.get("answer") or ""
        if not answer.strip() or answer in by_raw_answer:
            continue
        passage_id = f"medquad-{len(passages):05d}"
        by_raw_answer[answer] = passage_id
        focus = _normalise_space(record.get("focus") or "") or "MedQuAD"
        text = _normalise_space(answer)
        ids_by_text.setdefault(text, []).append(passage_id)
        source = Source(publisher=str(record.get("source", "")).split("_")[1]
                        if "_" in str(record.get("source", "")) else "MedQuAD",
                        code="MedQuAD", title=focus, version="", url=record.get("url", ""))
        passages.append(Passage(passage_id=passage_id, doc_id=str(record.get("doc_id", "")),
                                title=focus, section_path=(focus,), text=text, source=source))
    questions = []
    for record in records:
        answer = record.get("answer") or ""
        if not answer.strip() or not (record.get("question") or "").strip():
            continue
        # Identical answer texts (after whitespace normalisation) are all correct.
        gold = tuple(ids_by_text[_normalise_space(answer)])
        questions.append(RetrievalQuestion(str(record["qid"]), record["question"], gold))
    return RetrievalDataset("medquad", passages, questions)


def load_pubmedqa(data_root: Path) -> RetrievalDataset:
    path = _require(Path(data_root) / PUBMEDQA_FILE, "PubMedQA")
    data = json.loads(path.read_text(encoding="utf-8"))
    passages: list[Passage] = []
    questions = []
    for pmid, record in data.items():
        labels = record.get("LABELS") or []
        gold = []
        for n, context in enumerate(record.get("CONTEXTS") or []):
            label = (labels[n] if n < len(labels) else "") or "Abstract"
            passage_id = f"pubmed-{pmid}-{n}"
            gold.append(passage_id)
            source = Source("PubMed", pmid, label.title(), "",
                            f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/")
            passages.append(Passage(passage_id=passage_id, doc_id=f"pubmed-{pmid}",
                                    title=label.title(), section_path=(label.title(),),
                                    text=_normalise_space(context), source=source))
        if gold and (record.get("QUESTION") or "").strip():
            questions.append(RetrievalQuestion(f"pubmed-{pmid}", record["QUESTION"], tuple(gold)))
    return RetrievalDataset("pubmedqa", passages, questions)


def read_gp_questions(suite_dir: Path) -> list[RetrievalQuestion]:
    """In-scope questions with gold passages from every ``*.jsonl`` file of ``suite_dir``."""
    questions = []
    for path in sorted(Path(suite_dir).glob("*.jsonl")):
        for _, record in read_jsonl_objects(path):
            if record.get("in_scope") is False or not record.get("gold_passages"):
                continue
            questions.append(RetrievalQuestion(record["id"], record["question"],
                                               tuple(record["gold_passages"])))
    return questions


def load_gp(suite_dir: Path = GP_SUITE_DIR) -> RetrievalDataset:
    from knowledge.corpus import load_bundled_passages

    return RetrievalDataset("gp", load_bundled_passages(), read_gp_questions(suite_dir))


def load_dataset(name: str, data_root: Path | None) -> RetrievalDataset:
    if name == "gp":
        return load_gp()
    if name == "gp-zh":
        return RetrievalDataset("gp-zh", load_gp().passages, read_gp_questions(GP_SUITE_ZH_DIR))
    if data_root is None:
        raise ValueError(f"dataset {name!r} needs --data pointing at the benchmarks folder")
    if name == "medquad":
        return load_medquad(data_root)
    if name == "pubmedqa":
        return load_pubmedqa(data_root)
    raise ValueError(f"unknown dataset {name!r}; valid: {', '.join(DATASETS)}")


def sample_questions(questions: Sequence[RetrievalQuestion], sample_size: int, seed: int = 2024,
                     exclude: Sequence[RetrievalQuestion] = ()) -> list[RetrievalQuestion]:
    """``sample_size`` questions drawn with ``random.Random(seed)`` after leaving out ``exclude``
    (so a tuning sample and a report sample never overlap). ``sample_size <= 0`` or larger than
    what is left keeps them all, in file order."""
    excluded = {q.question_id for q in exclude}
    pool = [q for q in questions if q.question_id not in excluded]
    if sample_size <= 0 or sample_size >= len(pool):
        return pool
    return random.Random(seed).sample(pool, sample_size)


def tune_and_report_split(questions: Sequence[RetrievalQuestion], tune_size: int = 500,
                          report_size: int = 2000, seed: int = 2024
                          ) -> tuple[list[RetrievalQuestion], list[RetrievalQuestion]]:
    """The documented split: the report sample is drawn first with ``seed``; the tuning sample
    with ``seed + 1`` from the questions left over."""
    report = sample_questions(questions, report_size, seed)
    tune = sample_questions(questions, tune_size, seed + 1, exclude=report)
    return tune, report
