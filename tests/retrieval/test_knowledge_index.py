"""The knowledge-index service: one way to open, add to, remove from and rebuild an index,
always with the hybrid retriever and the settings its manifest records."""

import shutil

import pytest

from knowledge.ingest.batch import IngestOptions
from knowledge.ingest.documents import DocumentStore
from knowledge.paths import DataPaths
from retrieval.embedders import HashEmbedder
from retrieval.fusion import FusionConfig
from retrieval.hybrid import HybridConfig, HybridRetriever
from retrieval.index import IndexCorruptError, live_build_dir, load_index
from retrieval.knowledge_index import KnowledgeIndex
from ruiyi_test_helpers import make_passage

GOUT = ("# Gout local pathway\n\n## Acute flare\n\nFor an acute gout flare offer colchicine 500 "
        "micrograms two to four times a day as the local first choice.\n")


def _service(tmp_path, passages, embedder=None, config=None):
    return KnowledgeIndex(DataPaths(tmp_path / "data"), embedder or HashEmbedder(32), config,
                          base_passages=passages)


def _write(path, text=GOUT):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_open_builds_then_reuses_then_rebuilds_only_changed(tmp_path, sample_passages):
    first = _service(tmp_path, sample_passages).open()
    assert first.manifest.embedded_passages == 4 and isinstance(first.retriever, HybridRetriever)
    again = _service(tmp_path, sample_passages).open()
    assert again.manifest.built_at == first.manifest.built_at  # loaded, not rebuilt
    changed = sample_passages + [make_passage("htn-new", "Offer lifestyle advice to everyone "
                                              "with hypertension.")]
    rebuilt = _service(tmp_path, changed).open()
    assert len(rebuilt.passages) == 5 and rebuilt.manifest.embedded_passages == 1


def test_the_manifest_records_how_to_search_and_readers_follow_it(tmp_path, sample_passages):
    config = HybridConfig(fusion=FusionConfig(dense_weight=0.5, lexical_weight=0.5),
                          expand_abbreviations=False)
    built = _service(tmp_path, sample_passages, config=config).open()
    assert built.manifest.embedder_name == "hash-32"
    assert HybridConfig.from_dict(built.manifest.retrieval) == config
    # A reader that names no config searches the way the index was built to be searched.
    reader = _service(tmp_path, sample_passages).open()
    assert reader.config == config


def test_add_keeps_the_hybrid_retriever_and_its_settings(tmp_path, sample_passages):
    config = HybridConfig(fusion=FusionConfig(dense_weight=0.6, lexical_weight=0.4))
    service = _service(tmp_path, sample_passages, config=config).open()
    before = service.search("sore throat antibiotic penicillin", top_k=2)
    batch, index = service.add([_write(tmp_path / "up" / "gout-local.md")],
                               IngestOptions(metadata={"publisher": "Local CCG"}))
    assert batch.count("added") == 1 and index is not None and service.generation == 1
    assert isinstance(service.retriever, HybridRetriever) and service.config == config
    assert service.manifest.embedder_name == "hash-32"
    found = service.search("colchicine acute gout flare", top_k=1)
    assert found[0].passage.doc_id == "gout-local"
    assert "Local CCG" in {p.source.publisher for p in service.passages}
    # Passages that were there before rank the same for their question.
    after = service.search("sore throat antibiotic penicillin", top_k=2)
    assert [r.passage.passage_id for r in after] == [r.passage.passage_id for r in before]
    # The index on disk is what the service searches.
    assert load_index(service.paths.index_dir).manifest == service.manifest


def test_remove_publishes_the_index_without_the_document(tmp_path, sample_passages):
    service = _service(tmp_path, sample_passages).open()
    service.add([_write(tmp_path / "up" / "gout-local.md")])
    index = service.remove(["gout-local"])
    assert len(index) == 4 and service.generation == 2
    assert "gout-local" not in {p.doc_id for p in service.passages}


def test_a_file_with_another_files_id_is_refused_unless_replace(tmp_path, sample_passages):
    service = _service(tmp_path, sample_passages).open()
    service.add([_write(tmp_path / "up" / "guide.md")])
    other = _write(tmp_path / "up" / "guide.txt", "Acute gout: review renal function before "
                   "choosing a flare treatment, and offer an NSAID if no contraindication.\n")
    batch, index = service.add([other])
    assert index is None and batch.results[0].status == "rejected"
    assert "--replace" in batch.results[0].message and "guide.md" in batch.results[0].message
    assert "colchicine" in DocumentStore(service.paths.documents_dir).passages("guide")[0].text
    batch, index = service.add([other], IngestOptions(replace=True))
    assert batch.results[0].status == "replaced"
    # The same file again with new content is an update, not a clash.
    _write(tmp_path / "up" / "guide.txt", "Acute gout: offer an NSAID or colchicine.\n")
    batch, _ = service.add([other])
    assert batch.results[0].status == "replaced"


def test_a_failed_build_leaves_the_live_index_and_store_intact(tmp_path, sample_passages):
    class BrokenEmbedder(HashEmbedder):
        def embed(self, texts):
            raise RuntimeError("simulated crash mid-build")

    service = _service(tmp_path, sample_passages, HashEmbedder(16)).open()
    broken = BrokenEmbedder(16)
    with pytest.raises(RuntimeError):
        _service(tmp_path, sample_passages, broken).add([_write(tmp_path / "up" / "g.md")])
    assert len(load_index(service.paths.index_dir)) == 4
    assert not DocumentStore(service.paths.documents_dir).doc_ids()
    assert len(service.search("sore throat", top_k=4)) == 4


def test_rebuild_replaces_a_corrupt_index(tmp_path, sample_passages):
    service = _service(tmp_path, sample_passages).open()
    (live_build_dir(service.paths.index_dir) / "index.faiss").write_bytes(b"\x00junk")
    with pytest.raises(IndexCorruptError, match="kb rebuild"):
        _service(tmp_path, sample_passages).open()
    fixed = _service(tmp_path, sample_passages)
    assert len(fixed.rebuild()) == 4
    assert fixed.search("hypertension ABPM", top_k=1)[0].passage.passage_id == "htn-abpm"


@pytest.mark.slow
def test_an_upload_leaves_search_quality_unchanged_with_minilm(real_data_dir, tmp_path):
    """The defect this service fixes: after a web upload the retriever became dense-only and a
    CURB-65 question found lipids and gout. With the real MiniLM hybrid retriever over the
    bundled corpus, the top passages for clinical questions are the same after an upload of
    an unrelated guideline."""
    from assistant.factory import build_retriever

    build_retriever(real_data_dir)  # the session's real index, so the cache is warm
    data = tmp_path / "data"
    shutil.copytree(DataPaths(real_data_dir).embedding_cache_dir,
                    DataPaths(data).embedding_cache_dir)
    service = KnowledgeIndex(DataPaths(data)).open()
    questions = ["CURB-65 score for community-acquired pneumonia: when to admit",
                 "first-line antibiotic for acute sore throat",
                 "how do I confirm hypertension with ambulatory monitoring"]
    before = {q: [r.passage.passage_id for r in service.search(q, top_k=5)] for q in questions}
    assert any(pid.startswith(("cap", "pneumonia")) or "curb" in pid
               for pid in before[questions[0]]), before[questions[0]]
    service.add([_write(tmp_path / "up" / "gout-local.md")],
                IngestOptions(metadata={"publisher": "Local CCG"}))
    assert isinstance(service.retriever, HybridRetriever)
    assert service.manifest.embedder_name == "minilm"
    after = {q: [r.passage.passage_id for r in service.search(q, top_k=5)] for q in questions}
    assert after == before
    assert service.search("colchicine for an acute gout flare", top_k=1)[0].passage.doc_id == \
        "gout-local"
