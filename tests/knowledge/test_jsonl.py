import pytest

from knowledge.jsonl import read_jsonl_objects


def test_blank_lines_are_skipped_and_line_numbers_kept(tmp_path):
    path = tmp_path / "s.jsonl"
    path.write_text('{"question": "a"}\n\n  \n{"question": "b"}\n', encoding="utf-8")
    assert list(read_jsonl_objects(path, ["question"])) == [(1, {"question": "a"}),
                                                           (4, {"question": "b"})]


@pytest.mark.parametrize("text, message", [
    ('{"question": "a"}\n{"question": \n', r"s.jsonl:2: not valid JSON"),
    ('["a list"]\n', r"s.jsonl:1: expected a JSON object, got list"),
    ('{"id": 1}\n', r"s.jsonl:1: missing question"),
])
def test_bad_lines_name_the_file_the_line_and_the_problem(tmp_path, text, message):
    path = tmp_path / "s.jsonl"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        list(read_jsonl_objects(path, ["question"]))


def test_a_missing_file_says_which(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.jsonl"):
        list(read_jsonl_objects(tmp_path / "nope.jsonl"))
