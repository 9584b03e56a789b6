"""`ruiyi kb add/list/show/remove/rebuild/lint` through the real CLI, with a fake embedder
(and one slow test with MiniLM)."""

import json

import pytest
from typer.testing import CliRunner

from ingest_test_files import make_pdf
from ui.cli import app

runner = CliRunner()

NOTE = ("Our practice reviews every adult with gout four weeks after a flare, checks serum "
        "urate and offers urate-lowering treatment when flares recur.")


@pytest.fixture
def fake_embedder(monkeypatch):
    import retrieval.embedders
    from retrieval.embedders import HashEmbedder

    monkeypatch.setattr(retrieval.embedders, "load_default_embedder", lambda *a, **k: HashEmbedder(32))


def kb(*args, data_dir=None):
    argv = ["kb", *map(str, args)]
    if data_dir is not None:
        argv += ["--data-dir", str(data_dir)]
    return runner.invoke(app, argv)


def _json(result):
    return json.loads(result.stdout)


def test_add_list_show_remove_round_trip(tmp_path, fake_embedder):
    from knowledge.corpus import load_bundled_passages

    bundled = len(load_bundled_passages())
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "gout review.txt").write_text(NOTE)
    (docs / "leaflet.pdf").write_bytes(make_pdf(["Sore throat leaflet", "Most sore throats "
                                                 "settle within a week."], title="ST leaflet"))
    home = tmp_path / "home"
    added = kb("add", docs, "--publisher", "Our practice", "--json", data_dir=home)
    assert added.exit_code == 0, added.output
    summary = _json(added)
    assert summary["documents_added"] == 2 and summary["files_rejected"] == 0
    assert summary["index"]["passage_count"] == bundled + summary["passages_added"]
    assert summary["index"]["embedded_passages"] == bundled + summary["passages_added"]
    assert summary["seconds"] > 0 and {r["status"] for r in summary["results"]} == {"added"}

    listed = _json(kb("list", "--json", data_dir=home))
    assert sorted(d["doc_id"] for d in listed) == ["gout-review", "leaflet"]
    assert {d["publisher"] for d in listed} == {"Our practice"}
    shown = _json(kb("show", "leaflet", "--json", data_dir=home))
    assert shown["document"]["title"] == "ST leaflet" and not shown["bundled"]
    assert shown["passages"][0]["section_path"] == ["ST leaflet", "pages 1–2"]

    (tmp_path / "more.md").write_text("# Asthma\n\nReview inhaler technique at every visit.\n")
    more = _json(kb("add", tmp_path / "more.md", "--json", data_dir=home))
    assert more["index"]["embedded_passages"] == 1  # only the new passage was embedded

    removed = kb("remove", "gout-review", "--json", data_dir=home)
    assert removed.exit_code == 0, removed.output
    assert _json(removed)["index"]["embedded_passages"] == 0
    assert sorted(d["doc_id"] for d in _json(kb("list", "--json", data_dir=home))) == \
        ["leaflet", "more"]
    stats = _json(kb("stats", "--json", data_dir=home))
    assert stats["passages"] == stats["index"]["passage_count"]


def test_a_rejected_file_exits_1_and_the_rest_is_added(tmp_path, fake_embedder):
    (tmp_path / "good.txt").write_text(NOTE)
    (tmp_path / "bad.txt").write_bytes("na\xefve".encode("latin-1"))
    result = kb("add", tmp_path / "good.txt", tmp_path / "bad.txt", data_dir=tmp_path / "home")
    assert result.exit_code == 1
    assert "1 documents stored" in result.stdout and "1 files rejected" in result.stdout
    assert "bad.txt is not UTF-8 text" in result.stdout.replace("\n", "")
    assert "Traceback" not in result.output
    again = kb("add", tmp_path / "bad.txt", "--encoding", "latin-1", "--json",
               data_dir=tmp_path / "home")
    assert again.exit_code == 0 and _json(again)["documents_added"] == 1


def test_jsonl_fields_can_be_mapped(tmp_path, fake_embedder):
    records = [{"answer": f"Answer number {n} about a distinct health topic {n * 13}.",
                "focus": f"Topic {n}", "url": f"https://example.org/{n}", "source": "X"}
               for n in range(5)]
    (tmp_path / "qa.jsonl").write_text("\n".join(map(json.dumps, records)))
    result = kb("add", tmp_path / "qa.jsonl", "--jsonl-field", "publisher=source", "--json",
                data_dir=tmp_path / "home")
    assert result.exit_code == 0, result.output
    passages = _json(kb("show", "qa", "--json", data_dir=tmp_path / "home"))["passages"]
    assert len(passages) == 5
    assert passages[2]["title"] == "Topic 2" and passages[2]["source"]["publisher"] == "X"
    assert passages[2]["source"]["url"] == "https://example.org/2"


@pytest.mark.parametrize("args, message", [
    (["add", "x.txt", "--jsonl-field", "nonsense"], "FIELD=KEY"),
    (["add", "x.txt", "--jsonl-field", "colour=x"], "not a passage field"),
    (["add", "x.txt", "--url", "ftp://x"], "--url must be a web address"),
    (["add", "x.txt", "--encoding", "klingon"], "encoding 'klingon' is unknown"),
    (["add", "x.txt", "--chunk-tokens", "3"], "max_tokens must be 10–2000"),
    (["remove", "no-such-doc"], "no stored document 'no-such-doc'"),
    (["remove", "hypertension"], "bundled corpus"),
    (["show", "no-such-doc"], "no document 'no-such-doc'"),
    (["lint", "/no/such/folder"], "neither a guideline file nor a folder"),
])
def test_usage_errors_exit_2_with_a_message(tmp_path, fake_embedder, args, message):
    result = kb(*args, data_dir=None if args[0] == "lint" else tmp_path / "home")
    assert result.exit_code == 2, result.output
    assert message in result.stderr.replace("\n", " ") and "Traceback" not in result.output


def test_a_busy_store_is_refused(tmp_path, fake_embedder):
    from knowledge.ingest.documents import DocumentStore
    from knowledge.paths import DataPaths

    (tmp_path / "a.txt").write_text(NOTE)
    home = tmp_path / "home"
    with DocumentStore(DataPaths(home).documents_dir).lock():
        result = kb("add", tmp_path / "a.txt", data_dir=home)
    assert result.exit_code == 2 and "try again" in result.stderr


def test_show_lists_a_bundled_guideline(tmp_path):
    result = kb("show", "hypertension", "--json", data_dir=tmp_path / "home")
    data = _json(result)
    assert data["bundled"] and any(p["passage_id"] == "htn-confirm-abpm" for p in data["passages"])


def test_lint_the_bundled_corpus_is_clean_and_a_bad_folder_exits_1(tmp_path):
    clean = kb("lint", "--json")
    assert clean.exit_code == 0, clean.stdout[-3000:]
    assert _json(clean)["clean"] and len(_json(clean)["gold_files"]) >= 2
    (tmp_path / "bad.md").write_text("---\nid: bad\ntitle: Bad\npublisher: X\nsource_title: Y\n"
                                     "url: http://x\n---\n\n# Bad\n\nShort.\n")
    bad = kb("lint", tmp_path)
    assert bad.exit_code == 1
    assert "metadata" in bad.stdout and "url" in bad.stdout and "sections" in bad.stdout
    problems = _json(kb("lint", tmp_path, "--json"))["problems"]
    assert {"file", "passage_id", "rule", "message"} <= set(problems[0])


@pytest.mark.slow
def test_minilm_add_then_retrieve_the_new_document(tmp_path):
    from assistant.factory import build_retriever

    (tmp_path / "travel.md").write_text(
        "# Yellow fever vaccination clinic\n\n## Eligibility\n\nOur travel clinic gives the "
        "yellow fever vaccine to travellers aged 9 months and over going to endemic areas of "
        "Africa and South America, at least 10 days before departure.\n")
    home = tmp_path / "home"
    added = kb("add", tmp_path / "travel.md", "--publisher", "Our practice", "--json",
               data_dir=home)
    assert added.exit_code == 0, added.output
    retriever = build_retriever(home)
    assert retriever.index.manifest.embedder_id.endswith("all-MiniLM-L6-v2")
    results = retriever.search("yellow fever vaccine before travel to Africa", top_k=3)
    assert results[0].passage.doc_id == "travel"


@pytest.mark.parametrize("damage", ["truncate-faiss", "delete-passages"])
def test_stats_checks_the_index_files_and_exits_1_when_damaged(tmp_path, fake_embedder, damage):
    from knowledge.paths import DataPaths
    from retrieval.index import live_build_dir

    home = tmp_path / "home"
    (tmp_path / "a.txt").write_text(NOTE)
    assert kb("add", tmp_path / "a.txt", data_dir=home).exit_code == 0
    healthy = _json(kb("stats", "--json", data_dir=home))
    assert healthy["index_status"] == "ok"
    build = live_build_dir(DataPaths(home).index_dir)
    if damage == "truncate-faiss":
        data = (build / "index.faiss").read_bytes()
        (build / "index.faiss").write_bytes(data[: len(data) // 2])
    else:
        (build / "passages.jsonl").unlink()
    result = kb("stats", "--json", data_dir=home)
    assert result.exit_code == 1
    report = _json(result)
    assert report["index_status"] == "corrupt" and report["index"] is None
    assert "kb rebuild" in report["index_problem"]
    assert kb("rebuild", data_dir=home).exit_code == 0
    assert _json(kb("stats", "--json", data_dir=home))["index_status"] == "ok"


def test_same_id_from_another_file_is_refused_until_replace(tmp_path, fake_embedder):
    home = tmp_path / "home"
    (tmp_path / "guide.txt").write_text(NOTE)
    (tmp_path / "guide.md").write_text("# Gout\n\nOffer colchicine for a flare of gout.\n")
    assert kb("add", tmp_path / "guide.txt", data_dir=home).exit_code == 0
    clash = kb("add", tmp_path / "guide.md", "--json", data_dir=home)
    assert clash.exit_code == 1
    assert "--replace" in _json(clash)["results"][0]["message"]
    shown = _json(kb("show", "guide", "--json", data_dir=home))
    assert "urate" in shown["passages"][0]["text"]  # the first document is still there
    replaced = _json(kb("add", tmp_path / "guide.md", "--replace", "--json", data_dir=home))
    assert replaced["documents_replaced"] == 1


def test_an_unknown_embedder_is_refused_before_anything_loads(tmp_path):
    result = kb("rebuild", "--embedder", "bert-huge", data_dir=tmp_path / "home")
    assert result.exit_code == 2 and "--embedder must be one of" in result.stderr
