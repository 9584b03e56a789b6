"""The Knowledge tab: search passages with filters, browse one guideline, upload documents to
ingest (with progress and a result per file), and the index's stats.

Searching goes through the shared retriever; ingestion through ``knowledge.ingest``, after
which the index is rebuilt and swapped into the running assistant. Everything shown from a
document is escaped (``rendering``), so markup in an uploaded file stays inert.
"""

from __future__ import annotations

import logging
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Callable, Sequence

import gradio as gr  # module level: Gradio resolves gr.Request hints from globals

from ui.web import rendering
from ui.web.context import ShownError, WebContext, guard

logger = logging.getLogger(__name__)

TAB = "knowledge"
MAX_TOP_K = 20
UPLOAD_TYPES = [".md", ".markdown", ".txt", ".html", ".htm", ".pdf", ".docx", ".jsonl"]


def filter_choices(ctx: WebContext) -> tuple[list[str], list[str]]:
    """Publishers and topics present in the live index, for the filter dropdowns."""
    passages = ctx.passages()
    publishers = sorted({p.source.publisher for p in passages if p.source.publisher})
    topics = sorted({p.topic for p in passages if p.topic})
    return publishers, topics


def guideline_choices(ctx: WebContext) -> list[tuple[str, str]]:
    """(label, doc_id) for every guideline in the index."""
    seen: dict[str, str] = {}
    for passage in ctx.passages():
        if passage.doc_id not in seen:
            seen[passage.doc_id] = f"{passage.title} — {passage.source.label()}"
    return sorted(((label, doc_id) for doc_id, label in seen.items()), key=lambda c: c[0].lower())


def _passage_dict(scored, n: int) -> dict:
    passage = scored.passage
    return {"n": n, "passage_id": passage.passage_id, "source": passage.source.label(),
            "source_title": passage.source.title, "section": passage.section,
            "source_section": passage.source_section, "strength": passage.strength,
            "version": passage.source.version, "url": passage.source.url,
            "score": round(float(scored.score), 3), "text": passage.text}


def search(ctx: WebContext, query: str, publishers: Sequence[str] | None = None,
           topics: Sequence[str] | None = None, top_k: Any = 5, request: Any = None) -> str:
    identity = ctx.require(request, TAB)
    top_k = int(top_k or 5)
    if not 1 <= top_k <= MAX_TOP_K:
        raise ValueError(f"top_k must be 1–{MAX_TOP_K}, got {top_k}")
    filters = {}
    if publishers:
        filters["publisher"] = list(publishers)
    if topics:
        filters["topic"] = list(topics)
    started = time.perf_counter()
    results = ctx.retriever.search(query, top_k=top_k, filters=filters or None)
    latency_ms = (time.perf_counter() - started) * 1000
    ctx.audit.record_interaction(
        username=identity.username, role=identity.role, mode="search", question=query,
        manifest_hash=ctx.manifest_hash, passage_ids=[r.passage.passage_id for r in results],
        latency_ms=latency_ms, model_id=getattr(ctx.retriever.embedder, "model_id", ""),
        details={"filters": filters, "top_k": top_k, "results": len(results)})
    if not results:
        return rendering.notice("No passages match this search and these filters.", "warning")
    cards = [_passage_dict(scored, n) for n, scored in enumerate(results, 1)]
    return rendering.source_cards(cards, cited=range(1, len(cards) + 1), open_cited=True,
                                  heading=f"{len(cards)} passages")


def browse(ctx: WebContext, doc_id: str, request: Any = None) -> str:
    """Every passage of one guideline, grouped by section, escaped."""
    ctx.require(request, TAB)
    passages = [p for p in ctx.passages() if p.doc_id == doc_id]
    if not passages:
        return rendering.notice("Choose a guideline to browse.", "info")
    first = passages[0]
    source = first.source
    parts = [f"<h3>{rendering.escape_text(first.title)}</h3><p>"
             f"{rendering.escape_text(source.publisher)} {rendering.escape_text(source.code)}: "
             f"<em>{rendering.escape_text(source.title)}</em> ({rendering.escape_text(source.version)}) · "
             f"{rendering.link(source.url)} · {len(passages)} passages</p>"]
    sections: dict[str, list] = defaultdict(list)
    for passage in passages:
        sections[" › ".join(passage.section_path[1:]) or passage.section].append(passage)
    for section, items in sections.items():
        parts.append(f"<h4>{rendering.escape_text(section)}</h4>")
        for passage in items:
            meta = ", ".join(x for x in (passage.source_section and f"section {passage.source_section}",
                                         passage.strength and f"strength {passage.strength}") if x)
            parts.append(f"<p>{rendering.escape_text(passage.text)}<br><small><code>"
                         f"{rendering.escape_text(passage.passage_id)}</code>"
                         f"{' · ' + rendering.escape_text(meta) if meta else ''}</small></p>")
    return "".join(parts)


def stats(ctx: WebContext, request: Any = None) -> str:
    ctx.require(request, TAB)
    passages = ctx.passages()
    manifest = ctx.manifest
    publishers = Counter(p.source.publisher for p in passages)
    rows = [("Passages", len(passages)),
            ("Guidelines", len({p.doc_id for p in passages})),
            ("Topics", len({p.topic for p in passages if p.topic})),
            ("Publishers", ", ".join(f"{name} ({count})" for name, count in publishers.most_common()))]
    if manifest is not None:
        rows += [("Embedding model", manifest.embedder_id), ("Dimension", manifest.dimension),
                 ("Index type", manifest.index_type), ("Built at", manifest.built_at),
                 ("Build seconds", manifest.build_seconds),
                 ("Manifest hash", manifest.manifest_hash)]
    return rendering.table(("", ""), rows)


# ----------------------------------------------------------------------------- ingestion

def ingestion_available() -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec("knowledge.ingest.batch") is not None
    except ModuleNotFoundError:
        return False


def keep_uploads(files: Sequence[Path], folder: Path) -> list[Path]:
    """Copy uploads out of Gradio's temporary cache into ``<data dir>/uploads/`` so the stored
    documents point at a file that stays (a re-upload of the same name replaces it)."""
    import shutil

    folder.mkdir(parents=True, exist_ok=True)
    kept = []
    for path in files:
        target = folder / Path(path.name).name  # never a path from the browser
        if path.resolve() != target.resolve():
            shutil.copyfile(path, target)
        kept.append(target)
    return kept


def ingest(ctx: WebContext, files: Sequence[Any] | None, metadata: dict[str, str] | None = None,
           request: Any = None, progress: Callable[[float, str], None] | None = None
           ) -> tuple[str, str]:
    """Ingest uploaded files through the knowledge-index service and return (per-file
    results HTML, stats HTML).

    The index is built before the documents are written and published after, so a failure
    leaves the knowledge base as it was. ``metadata``
    (publisher, url, version, topic, ...) applies to every file; ``progress(fraction,
    message)`` follows reading and embedding."""
    identity = ctx.require(request, TAB)
    if not files:
        raise ValueError("choose one or more files to upload first")
    if not ingestion_available():
        raise ShownError("document ingestion is not installed in this build (knowledge.ingest)")
    from knowledge.ingest.batch import IngestOptions

    service = ctx.knowledge
    if service is None:
        raise ShownError("this server's retriever is not a knowledge index; uploads are off")
    paths = keep_uploads([Path(getattr(f, "name", f)) for f in files], ctx.paths.root / "uploads")
    report = progress or (lambda fraction, message: None)
    options = IngestOptions(metadata={k: v.strip() for k, v in (metadata or {}).items()
                                      if v and v.strip()})
    started = time.perf_counter()
    # The service builds the new index with the same embedder and hybrid settings, publishes
    # it, and swaps it in for every user at once (retrieval.knowledge_index).
    batch, _index = service.add(
        paths, options,
        read_progress=lambda done, total: report(0.3 * done / max(total, 1),
                                                 f"Reading file {done}/{total}"),
        embed_progress=lambda done, total: report(0.3 + 0.65 * done / max(total, 1),
                                                  f"Embedding passages {done}/{total}"))
    report(1.0, "Done")
    summary = batch.summary()
    latency_ms = (time.perf_counter() - started) * 1000
    rows = [(Path(r.path).name, r.status, r.passages,
             # Messages start with the server-side temporary path; show the file name only.
             r.message.replace(r.path, Path(r.path).name) if r.message else "; ".join(r.warnings))
            for r in batch.results]
    ctx.audit.record_interaction(
        username=identity.username, role=identity.role, mode="ingest",
        question=f"upload of {len(paths)} file(s)", manifest_hash=ctx.manifest_hash,
        latency_ms=latency_ms, passage_ids=[p.passage_id for d in batch.documents
                                            for p in d.passages][:500],
        details={"files": [[r[0], r[1], r[2]] for r in rows],
                 "passages_added": summary["passages_added"]})
    logger.info("ingested %d files: %d passages added in %.0f ms", len(paths),
                summary["passages_added"], latency_ms)
    table = rendering.table(("File", "Result", "Passages", "Message"), rows)
    total = (f"<p>{summary['passages_added']} passages added from "
             f"{summary['documents_added'] + summary['documents_replaced']} document(s); "
             f"{summary['duplicates_skipped']} duplicate passages skipped.</p>")
    return total + table, stats(ctx, request)


# ----------------------------------------------------------------------------- layout

def build(ctx: WebContext):
    publishers, topics = filter_choices(ctx)
    with gr.Tab("Knowledge", id="knowledge", elem_id="tab-knowledge") as tab:
        with gr.Tab("Search", id="kb-search"):
            with gr.Row():
                query = gr.Textbox(label="Search the guideline passages", scale=4,
                                   elem_id="kb-query")
                top_k = gr.Slider(1, MAX_TOP_K, value=5, step=1, label="Results", scale=1,
                                  elem_id="kb-topk")
            with gr.Row():
                publisher = gr.Dropdown(publishers, multiselect=True, label="Publisher",
                                        elem_id="kb-publisher")
                topic = gr.Dropdown(topics, multiselect=True, label="Topic", elem_id="kb-topic")
            search_button = gr.Button("Search", variant="primary", elem_id="kb-search-run")
            results = gr.HTML(elem_id="kb-results")
        with gr.Tab("Browse", id="kb-browse"):
            guideline = gr.Dropdown(guideline_choices(ctx), label="Guideline",
                                    elem_id="kb-guideline")
            guideline_html = gr.HTML(elem_id="kb-guideline-text")
        with gr.Tab("Upload", id="kb-upload"):
            if ingestion_available():
                gr.Markdown("Upload guideline documents (Markdown, text, HTML, PDF, Word, "
                            "JSONL). They are split into cited passages, embedded and added "
                            "to the index; only licensed content you may use.")
            else:
                gr.HTML(rendering.notice("Document ingestion is not installed in this build.",
                                         "warning"))
            files = gr.File(file_count="multiple", file_types=UPLOAD_TYPES,
                            label="Documents", elem_id="kb-files")
            with gr.Row():
                meta_inputs = {key: gr.Textbox(label=label, elem_id=f"kb-meta-{key}")
                               for key, label in (("publisher", "Publisher"),
                                                  ("url", "Source URL (https://…)"),
                                                  ("version", "Version / date"),
                                                  ("topic", "Topic"))}
            ingest_button = gr.Button("Ingest", variant="primary", elem_id="kb-ingest")
            ingest_results = gr.HTML(elem_id="kb-ingest-results")
        with gr.Tab("Index", id="kb-stats"):
            refresh = gr.Button("Refresh", size="sm", elem_id="kb-stats-refresh")
            stats_html = gr.HTML(elem_id="kb-stats")

        @guard
        def on_search(text, publisher_value, topic_value, k, request: gr.Request):
            return search(ctx, text, publisher_value, topic_value, k, request)

        @guard
        def on_browse(doc_id, request: gr.Request):
            return browse(ctx, doc_id, request)

        @guard
        def on_stats(request: gr.Request):
            return stats(ctx, request)

        @guard
        def on_ingest(uploaded, publisher_value, url_value, version_value, topic_value,
                      request: gr.Request, progress=gr.Progress()):
            metadata = {"publisher": publisher_value, "url": url_value,
                        "version": version_value, "topic": topic_value}
            table, new_stats = ingest(ctx, uploaded, metadata, request,
                                      lambda fraction, message: progress(fraction, desc=message))
            new_publishers, new_topics = filter_choices(ctx)
            return (table, new_stats, gr.Dropdown(choices=new_publishers),
                    gr.Dropdown(choices=new_topics), gr.Dropdown(choices=guideline_choices(ctx)))

        search_button.click(on_search, [query, publisher, topic, top_k], results,
                            api_name="search", concurrency_limit=8)
        query.submit(on_search, [query, publisher, topic, top_k], results, api_name=False,
                     concurrency_limit=8)
        guideline.change(on_browse, guideline, guideline_html, api_name="browse")
        @guard
        def on_open(request: gr.Request):
            # Another user's upload changes what this page should offer: re-read the
            # guideline and filter lists from the live index whenever the tab is opened.
            new_publishers, new_topics = filter_choices(ctx)
            return (stats(ctx, request), gr.Dropdown(choices=new_publishers),
                    gr.Dropdown(choices=new_topics), gr.Dropdown(choices=guideline_choices(ctx)))

        refresh.click(on_stats, None, stats_html, api_name="index_stats")
        tab.select(on_open, None, [stats_html, publisher, topic, guideline], api_name=False)
        # One ingestion at a time: each rebuilds the index.
        ingest_button.click(on_ingest, [files, *meta_inputs.values()],
                            [ingest_results, stats_html, publisher, topic, guideline],
                            api_name="ingest", concurrency_limit=1)
    return tab
