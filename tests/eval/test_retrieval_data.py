import pytest

from eval.retrieval_data import (load_dataset, load_medquad, load_pubmedqa, read_gp_questions,
                                 sample_questions, tune_and_report_split, GP_SUITE_ZH_DIR)
from retrieval_bench_fixtures import MEDQUAD_RECORDS, write_benchmarks


@pytest.fixture
def benchmarks(tmp_path):
    return write_benchmarks(tmp_path / "benchmarks")


def test_medquad_passages_are_distinct_answers_titled_by_focus(benchmarks):
    dataset = load_medquad(benchmarks)
    assert len(dataset.questions) == len(MEDQUAD_RECORDS)
    # 9 records, one exact duplicate answer: 8 passages (the whitespace twin stays separate).
    assert len(dataset.passages) == 8
    treatment = dataset.passages[1]
    assert treatment.title == "Acute Gouty Arthritis"
    assert treatment.section_path == ("Acute Gouty Arthritis",)
    assert treatment.text == ("Colchicine or anti-inflammatory drugs ease a flare; allopurinol "
                              "lowers urate later.")
    assert "treatments" not in treatment.text  # nothing of the question reaches the passage


def test_medquad_gold_includes_every_passage_with_the_same_answer_text(benchmarks):
    questions = {q.question_id: q for q in load_medquad(benchmarks).questions}
    assert questions["d2-3"].gold_ids == questions["d3-4"].gold_ids == ("medquad-00003",)
    twins = questions["d4-7"].gold_ids
    assert len(twins) == 2 and twins == questions["d4-8"].gold_ids


def test_pubmedqa_gold_is_the_question_s_own_contexts(benchmarks):
    dataset = load_pubmedqa(benchmarks)
    assert len(dataset.passages) == 4 and len(dataset.questions) == 3
    first = dataset.questions[0]
    assert first.gold_ids == ("pubmed-111-0", "pubmed-111-1")
    assert dataset.passages[1].section_path == ("Results",)


def test_gp_suites_read_in_scope_questions_with_gold():
    questions = read_gp_questions(GP_SUITE_ZH_DIR)
    assert len(questions) >= 50 and all(q.gold_ids for q in questions)
    assert load_dataset("gp", None).name == "gp"


def test_missing_files_and_names_are_reported(tmp_path):
    with pytest.raises(FileNotFoundError, match="pass --data"):
        load_medquad(tmp_path)
    with pytest.raises(ValueError, match="needs --data"):
        load_dataset("medquad", None)
    with pytest.raises(ValueError, match="valid: medquad"):
        load_dataset("bioasq", tmp_path)


def test_tune_and_report_samples_are_seeded_and_disjoint(benchmarks):
    questions = load_medquad(benchmarks).questions
    tune, report = tune_and_report_split(questions, tune_size=3, report_size=4, seed=5)
    assert len(tune) == 3 and len(report) == 4
    assert not {q.question_id for q in tune} & {q.question_id for q in report}
    assert tune_and_report_split(questions, 3, 4, 5) == (tune, report)
    assert sample_questions(questions, 0) == questions
