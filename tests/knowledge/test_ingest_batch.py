"""Whole ingests: statuses, dedup against the batch and the knowledge base, the store, the
index update through the embedding cache, atomicity when something fails, and scale."""

import json
import time

import pytest

from ingest_test_files import ingest, make_docx, make_pdf
from knowledge.base import KnowledgeBase
from knowledge.ingest import documents as documents_module
from knowledge.ingest.batch import IngestOptions, document_id, remove_documents
from knowledge.ingest.documents import DocumentNotFoundError, DocumentStore, StoreBusyError
from knowledge.paths import DataPaths
from retrieval.embedders import HashEmbedder
from retrieval.index import build_index, corpus_hash, load_index, save_index

ASTHMA = ("# Asthma plan\n\n## Reliever\n\nEvery adult with asthma should carry a reliever "
          "inhaler and know when to use it; review technique at every visit and step up "
          "treatment when the reliever is needed three or more times a week.\n")
GOUT = ("Gout flares settle faster when treatment starts early. Offer a non-steroidal "
        "anti-inflammatory drug or colchicine 500 micrograms two to four times a day, and advise "
        "rest, ice and elevation of the affected joint during the flare. Review the person "
        "after the flare has settled, check the serum urate level four weeks later, and "
        "discuss urate-lowering treatment when flares recur or tophi are present.\n")


def _kb_passages(paths, bundled):
    return list(bundled) + KnowledgeBase(paths, include_bundled=False).passages()


@pytest.fixture
def data_paths(tmp_path):
    return DataPaths(tmp_path / "home")


@pytest.fixture
def files(tmp_path):
    folder = tmp_path / "docs"
    (folder / "sub dir").mkdir(parents=True)
    (folder / "asthma plan.md").write_text(ASTHMA)
    (folder / "sub dir" / "Gicht – Behandlung.txt").write_text(GOUT)
    (folder / "痛风 指南.txt").write_text("痛风急性发作时尽早开始治疗。秋水仙碱每次500微克。\n")
    (folder / "leaflet.pdf").write_bytes(make_pdf(["Sore throat", "Most sore throats settle "
                                                   "within a week without antibiotics."]))
    (folder / "eczema.docx").write_bytes(make_docx("Eczema", [
        ("heading1", "Eczema"), ("para", "Use emollients generously and often, even when the "
                                 "skin is clear.")]))
    (folder / "faq.jsonl").write_text(json.dumps(
        {"text": "Check blood pressure every year in adults with diabetes.",
         "title": "Diabetes FAQ", "url": "https://example.org/dm"}) + "\n")
    (folder / "page.html").write_text("<html><head><title>Cough</title></head><body><p>An "
                                      "acute cough lasts up to 3 weeks.</p></body></html>")
    (folder / "notes.xyz").write_text("not a supported type")
    (folder / ".hidden.md").write_text("# ignored\n\nhidden files are ignored\n")
    return folder


def test_a_folder_of_every_format_is_ingested_and_indexed(files, data_paths, sample_passages):
    batch, index = ingest([files], data_paths, sample_passages,
                          options=IngestOptions(metadata={"publisher": "Our practice"}))
    statuses = {r.path.rsplit("/", 1)[1]: r.status for r in batch.results}
    assert statuses == {"asthma plan.md": "added", "Gicht – Behandlung.txt": "added",
                        "痛风 指南.txt": "added", "leaflet.pdf": "added", "eczema.docx": "added",
                        "faq.jsonl": "added", "page.html": "added", "notes.xyz": "skipped"}
    doc_ids = sorted(DocumentStore(data_paths.documents_dir).doc_ids())
    assert "asthma-plan" in doc_ids and "sub-dir-gicht-behandlung" in doc_ids
    assert any(d.startswith("doc-") for d in doc_ids)  # 痛风 指南: a hashed id, ASCII only
    assert all(d.isascii() for d in doc_ids)
    kb = _kb_passages(data_paths, sample_passages)
    assert len(kb) == len(sample_passages) + batch.summary()["passages_added"] == len(index)
    live = load_index(data_paths.index_dir, "hash-32", corpus_hash(kb))
    assert live.manifest.embedded_passages == len(kb)
    by_doc = {p.doc_id: p for p in kb}
    assert by_doc["asthma-plan"].section_path == ("Asthma plan", "Reliever")
    assert by_doc["asthma-plan"].source.publisher == "Our practice"
    assert by_doc["faq"].title == "Diabetes FAQ" and by_doc["faq"].source.url == "https://example.org/dm"
    assert by_doc["leaflet"].source.url.startswith("file://")
    record = DocumentStore(data_paths.documents_dir).record("eczema")
    assert record.file_format == "docx" and record.passage_count == 1 and len(record.source_sha256) == 64


def test_re_adding_is_unchanged_and_an_edit_replaces_re_embedding_only_new_text(
        files, data_paths, sample_passages):
    ingest([files], data_paths, sample_passages)
    built_at = load_index(data_paths.index_dir).manifest.built_at
    again, index = ingest([files], data_paths, sample_passages)
    assert index is None and again.count("unchanged") == 7
    assert load_index(data_paths.index_dir).manifest.built_at == built_at
    (files / "asthma plan.md").write_text(ASTHMA + "\n## Preventer\n\nOffer a low-dose inhaled "
                                          "corticosteroid when asthma is uncontrolled.\n")
    edited, index = ingest([files / "asthma plan.md"], data_paths, sample_passages)
    assert edited.results[0].status == "replaced"
    assert index.manifest.embedded_passages == 1  # the unchanged passage came from the cache
    kb = _kb_passages(data_paths, sample_passages)
    assert sum(p.doc_id == "asthma-plan" for p in kb) == 2 and len(kb) == len(index)


def test_duplicates_are_skipped_against_the_batch_and_the_knowledge_base(
        tmp_path, data_paths, sample_passages):
    (tmp_path / "a.txt").write_text(GOUT)
    (tmp_path / "b copy.txt").write_text(GOUT.upper())
    near = GOUT.replace("rest, ice", "rest, cooling")
    bundled_text = sample_passages[3].text
    (tmp_path / "c.txt").write_text(f"{near}\n\n# Antibiotics\n\n{bundled_text}\n\n# New\n\n"
                                    "Something entirely new about sore throat follow-up.")
    batch, _ = ingest([tmp_path / "a.txt", tmp_path / "b copy.txt", tmp_path / "c.txt"],
                      data_paths, sample_passages)
    a, b, c = batch.results
    assert a.status == "added"
    assert b.status == "duplicate" and b.duplicates[0].kind == "exact"
    assert "all 1 passages repeat" in b.message and str(tmp_path / "b copy.txt") in b.message
    assert c.status == "added" and c.passages == 1
    kinds = {(d.kind, d.duplicate_of) for d in c.duplicates}
    assert ("exact", "st-pen") in kinds
    assert any(kind == "near" for kind, _ in kinds)
    summary = batch.summary()
    assert summary["duplicates_skipped"] == 3 and len(summary["duplicate_passages"]) == 3


def test_id_clashes_are_rejected_and_the_rest_goes_on(tmp_path, data_paths, sample_passages):
    (tmp_path / "hypertension.txt").write_text("A local note that reuses a bundled id.")
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    (tmp_path / "one" / "same.txt").write_text("First file named same.")
    (tmp_path / "two" / "same.txt").write_text("Second file named same, other words.")
    (tmp_path / "clash.md").write_text(
        "---\nid: clash\ntitle: T\npublisher: P\nsource_title: S\nurl: https://e.org\n---\n\n"
        "# T\n\n<!-- id: htn-abpm -->\nA passage claiming a bundled passage id.\n")
    batch, _ = ingest([tmp_path / "hypertension.txt", tmp_path / "one" / "same.txt",
                       tmp_path / "two" / "same.txt", tmp_path / "clash.md"],
                      data_paths, sample_passages)
    result = {r.path.split(str(tmp_path))[1]: r for r in batch.results}
    assert "belongs to the bundled corpus" in result["/hypertension.txt"].message
    assert result["/one/same.txt"].status == "added"
    assert "already used by" in result["/two/same.txt"].message
    assert "passage id 'htn-abpm' is already used by document 'hypertension'" in \
        result["/clash.md"].message


def test_remove_updates_the_index_from_the_cache(files, data_paths, sample_passages):
    ingest([files], data_paths, sample_passages)
    store = DocumentStore(data_paths.documents_dir)
    embedder = HashEmbedder(32)
    from retrieval.embedding_cache import EmbeddingCache

    cache = EmbeddingCache(data_paths.embedding_cache_dir, "hash-32", 32)
    index = remove_documents(["asthma-plan", "faq"], store, sample_passages,
                             lambda ps: build_index(ps, embedder, cache),
                             lambda new: save_index(new, data_paths.index_dir))
    assert index.manifest.embedded_passages == 0
    assert "asthma-plan" not in store.doc_ids()
    kb = _kb_passages(data_paths, sample_passages)
    assert load_index(data_paths.index_dir, "hash-32", corpus_hash(kb))
    with pytest.raises(DocumentNotFoundError, match="kb list"):
        remove_documents(["asthma-plan"], store, sample_passages, None, None)
    with pytest.raises(ValueError, match="bundled corpus"):
        remove_documents(["hypertension"], store, sample_passages, None, None)
    assert "asthma-plan" not in json.loads((data_paths.documents_dir / "catalog.json").read_text())


def _snapshot(directory):
    return {p.name: p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def test_a_crash_while_embedding_leaves_index_and_store_as_they_were(
        files, tmp_path, data_paths, sample_passages):
    ingest([files / "asthma plan.md"], data_paths, sample_passages)
    before_store = _snapshot(data_paths.documents_dir)
    before_index = load_index(data_paths.index_dir)

    class CrashingEmbedder(HashEmbedder):
        calls = 0

        def embed(self, texts):
            CrashingEmbedder.calls += 1
            if CrashingEmbedder.calls == 2:
                raise RuntimeError("simulated crash half-way through embedding")
            return super().embed(texts)

    many = tmp_path / "many"
    many.mkdir()
    for n in range(150):  # more than one embedding batch of 64
        (many / f"note {n}.txt").write_text(f"Practice note {n}: review item {n * 7} with "
                                            f"the team on day {n % 5} of week {n // 5}.")
    with pytest.raises(RuntimeError, match="half-way"):
        ingest([many], data_paths, sample_passages, embedder=CrashingEmbedder(32))
    assert CrashingEmbedder.calls == 2
    assert _snapshot(data_paths.documents_dir) == before_store
    after = load_index(data_paths.index_dir, "hash-32",
                       corpus_hash(_kb_passages(data_paths, sample_passages)))
    assert after.manifest == before_index.manifest and len(after) == len(before_index)


def test_a_failed_store_write_leaves_no_partial_document(files, tmp_path, data_paths,
                                                          sample_passages, monkeypatch):
    ingest([files / "asthma plan.md"], data_paths, sample_passages)
    before = _snapshot(data_paths.documents_dir)
    real_write = documents_module._write_synced
    written = []

    def failing_write(path, text, sync=True):
        written.append(path)
        if len(written) == 2:
            raise OSError(28, "No space left on device")
        real_write(path, text, sync)

    monkeypatch.setattr(documents_module, "_write_synced", failing_write)
    with pytest.raises(OSError, match="No space"):
        ingest([files], data_paths, sample_passages)
    assert _snapshot(data_paths.documents_dir) == before  # no temporaries, nothing renamed
    assert len(load_index(data_paths.index_dir)) == len(sample_passages) + 1


def test_the_store_admits_one_writer_at_a_time(data_paths):
    store = DocumentStore(data_paths.documents_dir)
    with store.lock():
        with pytest.raises(StoreBusyError, match="try again"):
            with DocumentStore(data_paths.documents_dir).lock():
                pass


def test_a_missing_catalog_still_lists_documents_from_their_files(files, data_paths,
                                                                   sample_passages):
    ingest([files / "faq.jsonl"], data_paths, sample_passages)
    (data_paths.documents_dir / "catalog.json").write_text("{broken")
    (record,) = DocumentStore(data_paths.documents_dir).records()
    assert record.doc_id == "faq" and record.title == "Diabetes FAQ" and record.passage_count == 1


def test_document_ids_are_ascii_slugs_that_keep_non_latin_names_apart():
    assert document_id("NICE guidance (2024) – März") == "nice-guidance-2024-marz"
    assert document_id("高血压") != document_id("糖尿病")
    assert document_id("高血压").startswith("doc-")
    assert document_id("指南 2024").startswith("2024-")
    assert document_id("guides/asthma plan") == "guides-asthma-plan"


def test_ten_thousand_small_files_are_ingested_in_reasonable_time(tmp_path, data_paths,
                                                                   sample_passages):
    import random

    rng = random.Random(3)
    vocabulary = [f"term{n}" for n in range(2000)]
    folder = tmp_path / "bulk"
    for shard in range(10):
        (folder / f"part {shard}").mkdir(parents=True)
        for n in range(1000):
            words = " ".join(rng.choice(vocabulary) for _ in range(12))
            (folder / f"part {shard}" / f"note {n:04d}.txt").write_text(f"Note {shard}-{n}: {words}.")
    started = time.perf_counter()
    batch, index = ingest([folder], data_paths, sample_passages)
    seconds = time.perf_counter() - started
    assert batch.count("added") == 10_000 and batch.count("rejected") == 0
    assert len(index) == len(sample_passages) + 10_000
    assert len(DocumentStore(data_paths.documents_dir).doc_ids()) == 10_000
    assert seconds < 120, f"10,000 files took {seconds:.0f} s"
