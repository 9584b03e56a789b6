"""`ruiyi kb`: build, rebuild and describe the guideline index of a data directory."""

from __future__ import annotations

from pathlib import Path

import typer

from ui.common import (DataDirOption, IndexProgress, console, print_json, resolve_data_dir,
                       setup_logging, user_errors)

kb_app = typer.Typer(help="The knowledge base: guideline passages and their index.",
                     no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(kb_app, name="kb")


@kb_app.command("build")
@user_errors
def build(data_dir: Path = DataDirOption,
          json_output: bool = typer.Option(False, "--json", help="Print the manifest as JSON."),
          verbose: bool = typer.Option(False, "--verbose", "-v")) -> None:
    """Build the index if it is missing or stale (only changed passages are embedded)."""
    from assistant.factory import build_retriever

    setup_logging(verbose)
    retriever = build_retriever(resolve_data_dir(data_dir),
                                progress=IndexProgress(enabled=not json_output))
    _report(retriever.index.manifest, json_output)


@kb_app.command("rebuild")
@user_errors
def rebuild(data_dir: Path = DataDirOption,
            json_output: bool = typer.Option(False, "--json", help="Print the manifest as JSON."),
            verbose: bool = typer.Option(False, "--verbose", "-v")) -> None:
    """Rebuild the index from scratch (replaces a corrupt one; cached embeddings are reused)."""
    from knowledge.base import KnowledgeBase
    from knowledge.paths import DataPaths
    from retrieval.embedders import load_default_embedder
    from retrieval.store import rebuild_index

    setup_logging(verbose)
    paths = DataPaths(resolve_data_dir(data_dir)).ensure()
    index = rebuild_index(paths, KnowledgeBase(paths).passages(), load_default_embedder(),
                          IndexProgress(enabled=not json_output))
    _report(index.manifest, json_output)


@kb_app.command("stats")
@user_errors
def stats(data_dir: Path = DataDirOption,
          json_output: bool = typer.Option(False, "--json", help="Print one JSON object.")) -> None:
    """Passages, guidelines, topics and the index manifest."""
    from dataclasses import asdict

    from knowledge.base import KnowledgeBase
    from knowledge.paths import DataPaths
    from retrieval.index import IndexMissingError, read_manifest

    paths = DataPaths(resolve_data_dir(data_dir))
    passages = KnowledgeBase(paths).passages()
    try:
        manifest = asdict(read_manifest(paths.index_dir))
    except IndexMissingError:
        manifest = None
    data = {
        "data_dir": str(paths.root),
        "passages": len(passages),
        "guidelines": len({p.doc_id for p in passages}),
        "topics": len({p.topic for p in passages if p.topic}),
        "publishers": sorted({p.source.publisher for p in passages}),
        "index": manifest,
    }
    if json_output:
        print_json(data)
        return
    console.print(f"Data directory: {data['data_dir']}")
    console.print(f"{data['passages']} passages in {data['guidelines']} guidelines, "
                  f"{data['topics']} topics; publishers: {', '.join(data['publishers'])}")
    if manifest:
        console.print(f"Index: {manifest['index_type']}, {manifest['passage_count']} vectors of "
                      f"{manifest['dimension']} dims from {manifest['embedder_id']}, built "
                      f"{manifest['built_at']}")
    else:
        console.print("Index: not built yet (run `ruiyi kb build`).")


def _report(manifest, json_output: bool) -> None:
    from dataclasses import asdict

    if json_output:
        print_json(asdict(manifest))
        return
    console.print(f"Index ready: {manifest.passage_count} passages "
                  f"({manifest.embedded_passages} embedded anew), {manifest.index_type}, "
                  f"{manifest.build_seconds:.1f} s.")
