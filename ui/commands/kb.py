"""`ruiyi kb`: the knowledge base of a data directory — its index (build, rebuild, stats), the
user's documents (add, remove, list, show) and the quality check of guideline files (lint).

Thin: parsing, deduplication and the document store are ``knowledge.ingest``, checks are
``knowledge.lint``, indexing is ``retrieval``. This module wires them and prints.
"""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from ui.common import (DataDirOption, IndexEmbedderOption, IndexProgress, check_embedder_name,
                       console, fail, print_json, resolve_data_dir, setup_logging, user_errors)

kb_app = typer.Typer(help="The knowledge base: guideline passages, your documents and the index.",
                     no_args_is_help=True)

# How many rejected files, duplicates or warnings the human summary lists (--json has all).
SHOWN_LINES = 20


def register(app: typer.Typer) -> None:
    app.add_typer(kb_app, name="kb")


@kb_app.command("build")
@user_errors
def build(data_dir: Path = DataDirOption, embedder: str = IndexEmbedderOption,
          json_output: bool = typer.Option(False, "--json", help="Print the manifest as JSON."),
          verbose: bool = typer.Option(False, "--verbose", "-v")) -> None:
    """Build the index if it is missing or stale (only changed passages are embedded)."""
    setup_logging(verbose)
    service = _service(data_dir, embedder).open(IndexProgress(enabled=not json_output))
    _report(service.manifest, json_output)


@kb_app.command("rebuild")
@user_errors
def rebuild(data_dir: Path = DataDirOption, embedder: str = IndexEmbedderOption,
            json_output: bool = typer.Option(False, "--json", help="Print the manifest as JSON."),
            verbose: bool = typer.Option(False, "--verbose", "-v")) -> None:
    """Rebuild the index from scratch (replaces a corrupt one; cached embeddings are reused)."""
    setup_logging(verbose)
    index = _service(data_dir, embedder).rebuild(IndexProgress(enabled=not json_output))
    _report(index.manifest, json_output)


def _service(data_dir: Path | None, embedder: str | None):
    """The data directory's knowledge-index service (not opened yet)."""
    from retrieval.knowledge_index import KnowledgeIndex

    return KnowledgeIndex(resolve_data_dir(data_dir), check_embedder_name(embedder))


@kb_app.command("stats")
@user_errors
def stats(data_dir: Path = DataDirOption,
          json_output: bool = typer.Option(False, "--json", help="Print one JSON object.")) -> None:
    """Passages, guidelines, topics and the index manifest, after checking the index files
    against it (exit 1 when the index is damaged or out of date)."""
    from dataclasses import asdict

    from knowledge.base import KnowledgeBase
    from knowledge.paths import DataPaths
    from retrieval.index import (IndexCorruptError, IndexMissingError, IndexStaleError,
                                 corpus_hash, load_index)

    paths = DataPaths(resolve_data_dir(data_dir))
    passages = KnowledgeBase(paths).passages()
    manifest, status, problem = None, "ok", ""
    try:
        # Load every file, so a truncated index.faiss or a missing passages.jsonl shows here.
        manifest = asdict(load_index(paths.index_dir,
                                     expected_corpus_hash=corpus_hash(passages)).manifest)
    except IndexMissingError:
        status = "missing"
    except IndexStaleError as e:
        status, problem = "stale", str(e)
    except IndexCorruptError as e:
        status, problem = "corrupt", str(e)
    data = {
        "data_dir": str(paths.root),
        "passages": len(passages),
        "guidelines": len({p.doc_id for p in passages}),
        "topics": len({p.topic for p in passages if p.topic}),
        "publishers": sorted({p.source.publisher for p in passages}),
        "index_status": status,
        "index_problem": problem,
        "index": manifest,
    }
    if json_output:
        print_json(data)
    else:
        console.print(f"Data directory: {data['data_dir']}", highlight=False, markup=False)
        console.print(f"{data['passages']} passages in {data['guidelines']} guidelines, "
                      f"{data['topics']} topics; publishers: {', '.join(data['publishers'])}",
                      highlight=False, markup=False)
        if manifest:
            console.print(f"Index: {manifest['index_type']}, {manifest['passage_count']} vectors "
                          f"of {manifest['dimension']} dims from {manifest['embedder_id']}, built "
                          f"{manifest['built_at']}; files checked.", highlight=False, markup=False)
        elif status == "missing":
            console.print("Index: not built yet (run `ruiyi kb build`).", markup=False)
        else:
            console.print(f"Index: {status.upper()}: {problem}", highlight=False, markup=False)
    if status in ("stale", "corrupt"):
        raise typer.Exit(1)


def _report(manifest, json_output: bool) -> None:
    from dataclasses import asdict

    if json_output:
        print_json(asdict(manifest))
        return
    console.print(f"Index ready: {manifest.passage_count} passages "
                  f"({manifest.embedded_passages} embedded anew), {manifest.index_type}, "
                  f"{manifest.build_seconds:.1f} s.")


# --------------------------------------------------------------------------- documents

def _manifest_summary(index) -> dict | None:
    if index is None:
        return None
    manifest = index.manifest
    return {"passage_count": manifest.passage_count,
            "embedded_passages": manifest.embedded_passages,
            "embedder_id": manifest.embedder_id, "index_type": manifest.index_type,
            "build_seconds": manifest.build_seconds}


def _parse_field_overrides(values: list[str]) -> tuple[tuple[str, str], ...]:
    pairs = []
    for value in values:
        target, sep, key = value.partition("=")
        if not sep or not target.strip() or not key.strip():
            raise ValueError(f"--jsonl-field must look like FIELD=KEY (e.g. text=answer), "
                             f"got {value!r}")
        pairs.append((target.strip(), key.strip()))
    return tuple(pairs)


def _busy(func):
    """Turn ``StoreBusyError`` into a clear message with exit code 2."""
    import functools

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        from knowledge.ingest.documents import StoreBusyError

        try:
            return func(*args, **kwargs)
        except StoreBusyError as e:
            fail(str(e))
    return wrapper


@kb_app.command("add")
@user_errors
@_busy
def add(
    paths: list[Path] = typer.Argument(..., help="Files or folders (walked recursively): PDF "
                                       "(text layer), HTML, Markdown, text, DOCX, JSONL."),
    publisher: str = typer.Option(None, "--publisher", help="Publisher, e.g. NICE."),
    title: str = typer.Option(None, "--title", help="Document title (default: from the file)."),
    url: str = typer.Option(None, "--url", help="Source address, https://..."),
    version: str = typer.Option(None, "--version", help="Version or date of the source."),
    code: str = typer.Option(None, "--code", help="Guideline code, e.g. NG136."),
    topic: str = typer.Option(None, "--topic", help="Topic slug, for filtering."),
    region: str = typer.Option(None, "--region", help="Region, e.g. UK."),
    encoding: str = typer.Option(None, "--encoding", help="Decode text files with this codec "
                                 "(default: UTF-8 only; other bytes are rejected)."),
    jsonl_field: list[str] = typer.Option([], "--jsonl-field", help="FIELD=KEY: read passage "
                                          "field FIELD from record key KEY (repeatable), "
                                          "e.g. text=answer."),
    chunk_tokens: int = typer.Option(None, "--chunk-tokens", help="Largest chunk in tokens "
                                     "(default 180)."),
    overlap_tokens: int = typer.Option(None, "--overlap-tokens", help="Overlap between the "
                                       "pieces of a long paragraph (default 30)."),
    max_file_mb: float = typer.Option(50.0, "--max-file-mb", help="Refuse larger files."),
    replace: bool = typer.Option(False, "--replace", help="Let a file replace a stored "
                                 "document of the same id that came from another file."),
    data_dir: Path = DataDirOption,
    embedder: str = IndexEmbedderOption,
    json_output: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
    verbose: bool = typer.Option(False, "--verbose", "-v"),
) -> None:
    """Add documents to the knowledge base and update the index (exit 1 if any file was
    rejected; the others are still added)."""
    from knowledge.ingest.batch import IngestOptions
    from knowledge.ingest.chunking import ChunkingConfig
    from knowledge.ingest.common import ParseOptions
    from knowledge.ingest.jsonl import field_map

    setup_logging(verbose)
    started = time.perf_counter()
    if max_file_mb <= 0:
        raise ValueError(f"--max-file-mb must be > 0, got {max_file_mb}")
    defaults = ChunkingConfig()
    chunking = ChunkingConfig(chunk_tokens or defaults.max_tokens,
                              defaults.overlap_tokens if overlap_tokens is None else overlap_tokens)
    overrides = _parse_field_overrides(jsonl_field)
    field_map(overrides)  # check the field names before reading any file
    flags = {"publisher": publisher, "title": title, "url": url, "version": version,
             "code": code, "topic": topic, "region": region}
    options = IngestOptions(
        metadata={k: v.strip() for k, v in flags.items() if v and v.strip()},
        parse=ParseOptions(chunking=chunking, encoding=encoding, jsonl_fields=overrides),
        max_file_bytes=int(max_file_mb * 2**20), replace=replace)
    batch, index = _service(data_dir, embedder).add(
        paths, options, IndexProgress("Reading files", enabled=not json_output),
        IndexProgress("Embedding passages", enabled=not json_output))
    summary = batch.summary()
    summary["seconds"] = round(time.perf_counter() - started, 3)
    summary["index"] = _manifest_summary(index)
    if json_output:
        summary["results"] = [r.to_dict() for r in batch.results]
        print_json(summary)
    else:
        _print_add_summary(summary)
    if summary["files_rejected"]:
        raise typer.Exit(1)


def _print_lines(heading: str, lines: list[str]) -> None:
    if not lines:
        return
    console.print(f"[bold]{heading}[/]")
    for line in lines[:SHOWN_LINES]:
        console.print(f"  - {escape(line)}", highlight=False, soft_wrap=True)
    if len(lines) > SHOWN_LINES:
        console.print(f"  … and {len(lines) - SHOWN_LINES} more (see --json)")


def _print_add_summary(summary: dict) -> None:
    documents = summary["documents_added"] + summary["documents_replaced"]
    console.print(
        f"{documents} documents stored ({summary['documents_added']} new, "
        f"{summary['documents_replaced']} replaced), {summary['passages_added']} passages; "
        f"{summary['documents_unchanged']} unchanged; {summary['duplicates_skipped']} duplicate "
        f"passages skipped; {summary['files_rejected']} files rejected; "
        f"{summary['seconds']:.1f} s.", highlight=False, soft_wrap=True)
    index = summary["index"]
    if index:
        console.print(f"Index: {index['passage_count']} passages "
                      f"({index['embedded_passages']} embedded anew).", highlight=False)
    else:
        console.print("Index: unchanged (nothing new to add).")
    _print_lines("Skipped or rejected:", [s["reason"] for s in summary["skipped"]])
    _print_lines("Duplicate passages skipped:", [
        f"{d['file']}: {d['passage_id']} repeats {d['duplicate_of']} ({d['kind']}, "
        f"similarity {d['similarity']:.2f})" for d in summary["duplicate_passages"]])
    _print_lines("Warnings:", [f"{w['file']}: {w['warning']}" for w in summary["warnings"]])


@kb_app.command("remove")
@user_errors
@_busy
def remove(doc_ids: list[str] = typer.Argument(..., help="Document ids (see `ruiyi kb list`)."),
           data_dir: Path = DataDirOption, embedder: str = IndexEmbedderOption,
           json_output: bool = typer.Option(False, "--json", help="Print one JSON object."),
           verbose: bool = typer.Option(False, "--verbose", "-v")) -> None:
    """Remove documents you added, and update the index."""
    from knowledge.ingest.documents import DocumentStore

    setup_logging(verbose)
    service = _service(data_dir, embedder)
    store = DocumentStore(service.paths.documents_dir)
    counts = {d: len(store.passages(d)) for d in doc_ids if d in store}
    index = service.remove(doc_ids, IndexProgress("Embedding passages", enabled=not json_output))
    data = {"removed": [{"doc_id": d, "passages": counts[d]} for d in doc_ids],
            "index": _manifest_summary(index)}
    if json_output:
        print_json(data)
        return
    for item in data["removed"]:
        console.print(f"Removed {item['doc_id']} ({item['passages']} passages).",
                      highlight=False, markup=False)
    console.print(f"Index: {index.manifest.passage_count} passages.", highlight=False)


@kb_app.command("list")
@user_errors
def list_documents(data_dir: Path = DataDirOption,
                   json_output: bool = typer.Option(False, "--json",
                                                    help="Print a JSON list.")) -> None:
    """The documents you added (the bundled guidelines are always included too)."""
    from knowledge.ingest.documents import DocumentStore
    from knowledge.paths import DataPaths

    records = DocumentStore(DataPaths(resolve_data_dir(data_dir)).documents_dir).records()
    if json_output:
        print_json([r.to_dict() for r in records])
        return
    if not records:
        console.print("No documents added yet; add some with `ruiyi kb add PATH`. The bundled "
                      "guidelines are always included (`ruiyi kb stats`).", markup=False)
        return
    table = Table("id", "title", "format", "passages", "publisher", "added")
    for r in records:
        table.add_row(escape(r.doc_id), escape(r.title), r.file_format or "?",
                      str(r.passage_count), escape(r.publisher), r.added_at[:10])
    console.print(table)
    console.print(f"{len(records)} documents, {sum(r.passage_count for r in records)} passages.")


@kb_app.command("show")
@user_errors
def show(doc_id: str = typer.Argument(..., help="A document id (`ruiyi kb list`) or a bundled "
                                      "guideline id."),
         data_dir: Path = DataDirOption,
         json_output: bool = typer.Option(False, "--json", help="Print one JSON object.")) -> None:
    """One document: where it came from and its passages."""
    from knowledge.corpus import load_documents
    from knowledge.ingest.documents import DocumentNotFoundError, DocumentStore
    from knowledge.paths import DataPaths

    store = DocumentStore(DataPaths(resolve_data_dir(data_dir)).documents_dir)
    if doc_id in store:
        record, passages, bundled = store.record(doc_id).to_dict(), store.passages(doc_id), False
    else:
        found = [d for d in load_documents() if d.doc_id == doc_id]
        if not found:
            raise DocumentNotFoundError(f"no document {doc_id!r}; see `ruiyi kb list` for yours "
                                        "and knowledge/corpus/ for the bundled ones")
        document = found[0]
        record = {k: str(v) for k, v in document.metadata.items()}
        record["passage_count"] = len(document.passages)
        passages, bundled = list(document.passages), True
    if json_output:
        print_json({"document": record, "bundled": bundled,
                    "passages": [p.to_dict() for p in passages]})
        return
    console.print(f"[bold]{escape(str(record.get('title', doc_id)))}[/] ({escape(doc_id)}"
                  f"{', bundled' if bundled else ''})", highlight=False)
    for key in ("publisher", "code", "version", "url", "source_file", "file_format", "added_at"):
        if record.get(key):
            console.print(f"  {key}: {escape(str(record[key]))}", highlight=False)
    console.print(f"  passages: {len(passages)}")
    for passage in passages:
        preview = " ".join(passage.text.split())
        preview = preview[:117] + "…" if len(preview) > 120 else preview
        console.print(f"\n[bold]{escape(passage.passage_id)}[/] — {escape(passage.section)}\n"
                      f"  {escape(preview)}", highlight=False)


# --------------------------------------------------------------------------- lint

@kb_app.command("lint")
@user_errors
def lint(path: Path = typer.Argument(None, help="A guideline Markdown file or folder "
                                     "(default: the bundled corpus)."),
         gold: list[Path] = typer.Option([], "--gold", help="A question-suite JSONL whose "
                                         "gold_passages must exist (repeatable; default for the "
                                         "bundled corpus: eval/data/gp_suite*/)."),
         json_output: bool = typer.Option(False, "--json", help="Print one JSON object.")) -> None:
    """Check guideline files: metadata, sections, passage ids, duplicates, lengths, dose
    units and gold ids. Exit 1 when there are problems, 0 when clean."""
    from knowledge.corpus import CORPUS_DIR
    from knowledge.lint import lint_corpus

    target = Path(path) if path else CORPUS_DIR
    gold_files = list(gold)
    if not gold_files and target.resolve() == CORPUS_DIR.resolve():
        from eval.suites import BUNDLED_DATA_DIR

        gold_files = sorted((BUNDLED_DATA_DIR / "gp_suite").glob("*.jsonl")) + \
            sorted((BUNDLED_DATA_DIR / "gp_suite_zh").glob("*.jsonl"))
    for file in gold_files:
        if not file.is_file():
            raise FileNotFoundError(f"--gold {file}: no such file")
    problems = lint_corpus(target, gold_files)
    if json_output:
        print_json({"path": str(target), "gold_files": [str(f) for f in gold_files],
                    "clean": not problems, "problems": [p.to_dict() for p in problems]})
    elif problems:
        table = Table("file", "passage", "rule", "message")
        for p in problems:
            table.add_row(escape(Path(p.file).name), escape(p.passage_id), p.rule,
                          escape(p.message))
        console.print(table)
        console.print(f"{len(problems)} problems in {target}.", highlight=False, markup=False)
    else:
        console.print(f"Clean: {target} ({len(gold_files)} suite files checked for gold ids).",
                      highlight=False, markup=False)
    if problems:
        raise typer.Exit(1)
