"""Each format parser on a small file written here: text, structure and metadata."""

import json

import pytest

from ingest_test_files import make_docx, make_pdf
from knowledge.ingest import docx, html, jsonl, markdown, pdf, text
from knowledge.ingest.common import IngestError, ParseOptions

OPTIONS = ParseOptions()

RUIYI_FORMAT = """---
id: my-gout
title: Gout (practice notes)
publisher: Our practice
source_title: "Gout: diagnosis and management"
url: https://www.nice.org.uk/guidance/ng219
version: "2022-06"
---

# Gout (practice notes)

## Management

<!-- id: mygout-colchicine; section: 1.5; strength: strong -->
Offer colchicine 500 micrograms two to four times a day for a gout flare.

A paragraph with no annotation.
"""


def test_markdown_in_the_guideline_format_keeps_explicit_ids_and_metadata():
    parsed = markdown.parse(RUIYI_FORMAT.encode(), OPTIONS)
    assert parsed.metadata["id"] == "my-gout" and parsed.metadata["publisher"] == "Our practice"
    first, second = parsed.chunks
    assert first.passage_id == "mygout-colchicine" and first.source_section == "1.5"
    assert first.section_path == ("Gout (practice notes)", "Management")
    assert second.passage_id == ""  # derived later from the final document id


def test_plain_markdown_takes_its_title_from_the_first_heading():
    parsed = markdown.parse(b"# Asthma plan\n\n## Step 1\n\nUse a reliever.\n", OPTIONS)
    assert parsed.metadata == {"title": "Asthma plan"}
    assert parsed.chunks[0].section_path == ("Asthma plan", "Step 1")


def test_markdown_with_partial_front_matter_is_chunked_with_its_metadata():
    parsed = markdown.parse(b"---\ntitle: Notes\nurl: https://example.org/n\n---\n\nBody text.\n",
                            OPTIONS)
    assert parsed.metadata == {"title": "Notes", "url": "https://example.org/n"}
    assert [c.text for c in parsed.chunks] == ["Body text."]


def test_broken_front_matter_is_a_clear_error():
    with pytest.raises(IngestError, match="not valid YAML"):
        markdown.parse(b"---\ntitle: [unclosed\n---\n\nBody\n", OPTIONS)


HTML = """<!doctype html><html><head><meta charset="utf-8">
<title>Sore throat | Example Health</title>
<meta name="publisher" content="Example Health Service">
<meta name="dcterms.modified" content="2024-03-01">
<link rel="canonical" href="https://example.org/sore-throat">
<script>var tracking = "ignore me";</script></head>
<body><nav>Home | Menu</nav>
<main><h1>Sore throat</h1><h2>Treatment</h2>
<p>Most sore throats get better in a week.</p>
<ul><li>Paracetamol for pain</li><li>Drink fluids</li></ul>
<table><tr><th>Drug</th><th>Dose</th></tr><tr><td>Phenoxymethylpenicillin</td>
<td>500 mg four times a day</td></tr></table></main>
<footer>Copyright</footer></body></html>"""


def test_html_keeps_structure_and_drops_page_furniture():
    parsed = html.parse(HTML.encode(), OPTIONS)
    assert parsed.metadata == {"title": "Sore throat | Example Health",
                               "publisher": "Example Health Service", "version": "2024-03-01",
                               "url": "https://example.org/sore-throat"}
    texts = [c.text for c in parsed.chunks]
    assert texts[0] == "Most sore throats get better in a week.\n\n- Paracetamol for pain\n\n- Drink fluids"
    assert texts[1].startswith("| Drug | Dose |") and parsed.chunks[1].is_table
    assert all(c.section_path == ("Sore throat", "Treatment") for c in parsed.chunks)
    joined = " ".join(texts)
    assert "tracking" not in joined and "Menu" not in joined and "Copyright" not in joined


def test_html_in_a_declared_legacy_charset_is_decoded_with_it():
    page = '<html><head><meta charset="windows-1252"></head><body><p>Caf\xe9 \xb5g</p></body></html>'
    parsed = html.parse(page.encode("cp1252"), OPTIONS)
    assert parsed.chunks[0].text == "Café µg"


def test_docx_reads_headings_lists_tables_and_core_properties():
    data = make_docx("Gout in primary care", [
        ("heading1", "Gout"), ("heading2", "Management"),
        ("para", "Offer colchicine for a flare."), ("bullet", "Review in 4 weeks"),
        ("table", [["Drug", "Dose"], ["Colchicine", "500 micrograms"]])], author="Our practice")
    parsed = docx.parse(data, OPTIONS)
    assert parsed.metadata == {"title": "Gout in primary care", "publisher": "Our practice"}
    prose, table = parsed.chunks
    assert prose.text == "Offer colchicine for a flare.\n\n- Review in 4 weeks"
    assert prose.section_path == ("Gout", "Management")
    assert table.is_table and "| Colchicine | 500 micrograms |" in table.text


def test_pdf_text_layer_pages_and_document_information():
    data = make_pdf(["Asthma review", "Check inhaler technique at every review."],
                    title="Asthma leaflet", author="Respiratory team")
    parsed = pdf.parse(data, OPTIONS)
    assert parsed.metadata == {"title": "Asthma leaflet", "publisher": "Respiratory team"}
    assert "Check inhaler technique" in parsed.chunks[0].text
    assert parsed.chunks[0].section_path == ("pages 1–2",)


def test_pdf_junk_titles_are_dropped():
    data = make_pdf(["Some text here."], title="Microsoft Word - draft3.docx")
    assert "title" not in pdf.parse(data, OPTIONS).metadata


def test_plain_text_splits_paragraphs_and_normalises_spaces():
    parsed = text.parse("First   paragraph\twith  spaces.\r\n\r\nSecond.\n".encode(), OPTIONS)
    assert parsed.chunks[0].text == "First paragraph with spaces.\n\nSecond."


def test_jsonl_defaults_map_medquad_style_records():
    record = {"source": "1_CancerGov_QA", "doc_id": "0000001_1", "url": "https://www.cancer.gov/x",
              "focus": "Adult ALL", "qid": "0000001_1-1", "qtype": "information",
              "question": "What is Adult ALL?", "answer": "Key points\n      - A cancer of the blood."}
    parsed = jsonl.parse((json.dumps(record) + "\n\n").encode(), OPTIONS)
    (chunk,) = parsed.chunks
    assert chunk.text == "Key points\n- A cancer of the blood."
    assert chunk.section_path == ("What is Adult ALL?",)
    assert chunk.metadata == {"title": "Adult ALL", "url": "https://www.cancer.gov/x"}


def test_jsonl_field_overrides_explicit_ids_and_long_records():
    long_text = " ".join(f"Sentence {n} about management." for n in range(100))
    lines = [json.dumps({"id": "rec-1", "body": long_text, "section": ["Part A", "Doses"],
                         "publisher": "Acme"}),
             "not json", json.dumps(["a list"]), json.dumps({"body": ""})]
    options = ParseOptions(jsonl_fields=(("text", "body"),))
    parsed = jsonl.parse("\n".join(lines).encode(), options)
    ids = [c.passage_id for c in parsed.chunks]
    assert ids[0] == "rec-1" and ids[1] == "rec-1-2" and len(ids) >= 3
    assert all(c.section_path == ("Part A", "Doses") for c in parsed.chunks)
    assert all(c.metadata == {"publisher": "Acme"} for c in parsed.chunks)
    (warning,) = parsed.warnings
    assert "skipped 3 unusable line(s)" in warning and "line 2" in warning and "line 4" in warning


def test_jsonl_with_no_usable_record_is_rejected_and_bad_fields_are_named():
    with pytest.raises(IngestError, match="no usable JSONL record.*line 1: no text"):
        jsonl.parse(b'{"title": "no text here"}\n', OPTIONS)
    with pytest.raises(ValueError, match="'colour' is not a passage field"):
        jsonl.parse(b"{}", ParseOptions(jsonl_fields=(("colour", "x"),)))
