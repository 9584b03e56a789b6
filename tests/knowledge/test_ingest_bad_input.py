"""Bad input: every file is either ingested or rejected with a message naming it and the
reason, the rest of the batch goes on, and nothing already stored is lost."""

import os
import time

import pytest

from ingest_test_files import encrypt_pdf, ingest, make_pdf
from knowledge.ingest import batch as batch_module
from knowledge.ingest.batch import IngestOptions
from knowledge.ingest.common import ParseOptions
from knowledge.ingest.documents import DocumentStore
from knowledge.paths import DataPaths
from retrieval.index import load_index

GOOD = "Offer ambulatory blood pressure monitoring when clinic blood pressure is 140/90 mmHg or more."


@pytest.fixture
def data_paths(tmp_path, sample_passages):
    """A data directory that already holds one stored document."""
    paths = DataPaths(tmp_path / "home")
    existing = tmp_path / "existing.txt"
    existing.write_text("An existing practice note about hypertension follow-up every year.")
    ingest([existing], paths, sample_passages)
    return paths


def _one(tmp_path, data_paths, sample_passages, name, content, options=None):
    """Ingest ``name`` with ``content`` beside a good file; return the bad file's result."""
    bad = tmp_path / "in" / name
    bad.parent.mkdir(exist_ok=True)
    if isinstance(content, str):
        content = content.encode()
    bad.write_bytes(content)
    good = tmp_path / "in" / "good note.txt"
    good.write_text(GOOD)
    stored_before = DocumentStore(data_paths.documents_dir).all_passages()
    batch, _ = ingest([bad, good], data_paths, sample_passages, options=options)
    by_name = {os.path.basename(r.path): r for r in batch.results}
    assert by_name["good note.txt"].status in ("added", "unchanged")
    stored_after = DocumentStore(data_paths.documents_dir).all_passages()
    assert stored_after["existing"] == stored_before["existing"]  # nothing lost
    assert load_index(data_paths.index_dir)  # and the index is loadable
    return by_name[name]


@pytest.mark.parametrize("name, content, reason", [
    ("locked.pdf", encrypt_pdf(make_pdf(["Secret text"])), "encrypted"),
    ("corrupt.pdf", b"%PDF-1.4\n" + bytes(range(256)) * 20, "not a readable PDF"),
    ("truncated.pdf", make_pdf(["Some text here"])[:150], "not a readable PDF"),
    ("scan.pdf", make_pdf([None, None]), "no text layer"),
    ("empty.txt", b"", "is empty"),
    ("empty.md", b"\n\n   \n", "contains no text"),
    ("garbage.txt", os.urandom(4096) + b"\x00", "binary"),
    ("garbage.docx", os.urandom(2048), "not a readable .docx"),
    ("garbage.html", b"\x00\x01\x02<html>", "binary"),
    ("latin1.txt", "Caf\xe9 au lait: 5 \xb5g".encode("latin-1"), "not UTF-8"),
    ("old.doc", b"\xd0\xcf\x11\xe0 legacy", "save it as .docx"),
    ("lines.jsonl", b"{not json}\n[1, 2]\n", "no usable JSONL record"),
])
def test_bad_files_are_rejected_with_the_file_and_the_reason(
        tmp_path, data_paths, sample_passages, name, content, reason):
    result = _one(tmp_path, data_paths, sample_passages, name, content)
    assert result.status == "rejected"
    assert reason in result.message and name in result.message


def test_non_utf8_text_is_read_when_its_encoding_is_named(tmp_path, data_paths, sample_passages):
    options = IngestOptions(parse=ParseOptions(encoding="cp1252"))
    result = _one(tmp_path, data_paths, sample_passages, "latin1.txt",
                  "Caf\xe9 au lait: 5 \xb5g of something.".encode("cp1252"), options)
    assert result.status == "added"
    (passage,) = DocumentStore(data_paths.documents_dir).passages("latin1")
    assert passage.text == "Café au lait: 5 µg of something."


@pytest.mark.parametrize("codec", ["utf-16", "utf-8-sig"])
def test_utf8_and_utf16_byte_order_marks_are_honoured(tmp_path, data_paths, sample_passages,
                                                      codec):
    result = _one(tmp_path, data_paths, sample_passages, "bom.txt",
                  "Dose 5 µg daily for the condition.".encode(codec))
    assert result.status == "added"
    (passage,) = DocumentStore(data_paths.documents_dir).passages("bom")
    assert passage.text == "Dose 5 µg daily for the condition."


def test_a_200_mb_file_is_refused_without_being_read(tmp_path, data_paths, sample_passages,
                                                     monkeypatch):
    huge = tmp_path / "in" / "huge.txt"
    huge.parent.mkdir()
    with open(huge, "wb") as handle:  # sparse: 200 MB long, nothing written to disk
        handle.truncate(200 * 2**20)

    def refuse_open(*args, **kwargs):
        raise AssertionError("the oversized file was opened")

    monkeypatch.setattr(batch_module, "open", refuse_open, raising=False)
    started = time.perf_counter()
    batch, _ = ingest([huge], data_paths, sample_passages)
    (result,) = batch.results
    assert time.perf_counter() - started < 5
    assert result.status == "rejected"
    assert "huge.txt is 200.0 MB, above the 50.0 MB limit" in result.message


def test_the_size_limit_is_configurable(tmp_path, data_paths, sample_passages):
    result = _one(tmp_path, data_paths, sample_passages, "small.txt", "x " * 600,
                  IngestOptions(max_file_bytes=1000))
    assert result.status == "rejected"
    assert "small.txt is 1.2 kB, above the 1000 bytes limit" in result.message


def test_names_with_spaces_and_non_ascii_characters_are_ingested(tmp_path, data_paths,
                                                                 sample_passages):
    folder = tmp_path / "Leitlinien für Ärzte"
    folder.mkdir()
    names = ["Blutdruck – März 2024.txt", "高血压 指南.txt", "notes (final) [v2].md",
             "émigré's guide.html"]
    for n, name in enumerate(names):
        (folder / name).write_text(f"Distinct content number {n} about a practice topic {name}.")
    batch, index = ingest([folder], data_paths, sample_passages)
    assert [r.status for r in batch.results] == ["added"] * 4
    ids = [r.doc_id for r in batch.results]
    assert len(set(ids)) == 4 and all(i.isascii() and " " not in i for i in ids)
    assert all((data_paths.documents_dir / f"{i}.jsonl").is_file() for i in ids)


def test_missing_paths_and_empty_folders_are_reported(tmp_path, data_paths, sample_passages):
    (tmp_path / "empty folder").mkdir()
    batch, index = ingest([tmp_path / "nope.pdf", tmp_path / "empty folder"], data_paths,
                          sample_passages)
    assert index is None
    messages = [r.message for r in batch.results]
    assert messages == [f"{tmp_path / 'nope.pdf'} does not exist",
                        f"{tmp_path / 'empty folder'} is a folder with no files"]


def test_bad_flags_are_refused_before_reading(tmp_path):
    with pytest.raises(ValueError, match="--url must be a web address"):
        IngestOptions(metadata={"url": "www.example.org"})
    with pytest.raises(ValueError, match="unknown metadata"):
        IngestOptions(metadata={"colour": "red"})
    with pytest.raises(ValueError, match="encoding 'klingon' is unknown"):
        ParseOptions(encoding="klingon")


def test_markdown_with_unterminated_front_matter_is_refused():
    from knowledge.ingest.common import IngestError, ParseOptions
    from knowledge.ingest.markdown import parse

    with pytest.raises(IngestError, match="never closed"):
        parse(b"---\ntitle: Gout\npublisher: Local\n\nBody text.\n", ParseOptions())
    # A leading horizontal rule before prose is still text.
    assert parse(b"---\nJust a rule, then text.\n", ParseOptions()).chunks
