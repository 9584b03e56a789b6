import pytest

from knowledge.markdown_format import GuidelineFormatError, parse_guideline

DOC = """---
id: demo
title: Demo guideline
topic: demo
publisher: NICE
code: NG1
source_title: "A demo guideline"
version: "2024-01"
url: https://www.nice.org.uk/guidance/ng1
region: UK
reviewed: 2026-11-26
---

# Demo guideline

## Diagnosis

<!-- id: demo-one; section: 1.2.3; strength: strong -->
First paragraph about diagnosis.

Second paragraph without an annotation.

### Thresholds

| Stage | Clinic |
|---|---|

| 1 | 140/90 |
"""


def test_headings_become_the_section_path_and_annotations_apply():
    doc = parse_guideline(DOC, "demo.md")
    first, second = doc.passages[0], doc.passages[1]
    assert first.passage_id == "demo-one"
    assert first.section_path == ("Demo guideline", "Diagnosis")
    assert (first.source_section, first.strength) == ("1.2.3", "strong")
    assert first.source.code == "NG1" and first.source.url.endswith("/ng1")
    assert second.passage_id.startswith("demo-") and second.passage_id != "demo-one"
    assert second.strength == ""


def test_table_rows_stay_together_until_a_blank_line():
    table_passages = [p for p in parse_guideline(DOC).passages if p.text.startswith("|")]
    assert table_passages[0].section_path[-1] == "Thresholds"
    assert table_passages[0].text.count("\n") == 1  # header and separator rows together


def test_derived_ids_are_stable_and_change_with_text():
    again = parse_guideline(DOC).passages[1].passage_id
    assert parse_guideline(DOC).passages[1].passage_id == again
    changed = parse_guideline(DOC.replace("Second paragraph", "Other paragraph")).passages[1]
    assert changed.passage_id != again


def test_content_hash_changes_with_wording_but_explicit_id_does_not():
    original = parse_guideline(DOC).passages[0]
    edited = parse_guideline(DOC.replace("First paragraph", "Opening paragraph")).passages[0]
    assert edited.passage_id == original.passage_id
    assert edited.content_hash != original.content_hash


@pytest.mark.parametrize("text, fragment", [
    ("# no front matter\n\ntext", "no YAML front matter"),
    ("---\nid: x\n---\n\ntext", "lacks title"),
    ("---\n: [bad\n---\n\ntext", "not valid YAML"),
])
def test_bad_files_raise_a_message_naming_the_problem(text, fragment):
    with pytest.raises(GuidelineFormatError, match=fragment):
        parse_guideline(text, "bad.md")
