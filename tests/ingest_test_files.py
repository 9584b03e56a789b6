"""Builders of small test documents (PDF by hand, DOCX with python-docx) for ingestion tests."""

from __future__ import annotations

import io
import zlib


def _pdf_string(text: str) -> str:
    return "(" + text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"


def make_pdf(pages: list[str | None], title: str = "", author: str = "") -> bytes:
    """A minimal PDF: each page holds its text in Helvetica (one line per input line), or,
    for ``None``, only a tiny image (no text layer)."""
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    catalog = add(b"")  # filled in below, once the page tree's number is known
    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    page_ids = []
    pages_id = len(objects) + 1 + 2 * len(pages)
    for text in pages:
        if text is None:
            stream = b"q 100 0 0 100 50 50 cm BI /W 2 /H 2 /CS /G /BPC 8 ID \x00\xff\xff\x00 EI Q"
        else:
            lines = [f"BT /F1 11 Tf 50 {780 - 14 * n} Td {_pdf_string(line)} Tj ET"
                     for n, line in enumerate(text.splitlines())]
            stream = "\n".join(lines).encode("latin-1")
        packed = zlib.compress(stream)
        content = add(b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(packed) + packed
                      + b"\nendstream")
        page_ids.append(add(b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] "
                            b"/Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>"
                            % (pages_id, font, content)))
    kids = " ".join(f"{p} 0 R" for p in page_ids).encode()
    assert add(b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(page_ids))) == pages_id
    objects[catalog - 1] = b"<< /Type /Catalog /Pages %d 0 R >>" % pages_id
    info = None
    if title or author:
        info = add(b"<< /Title %s /Author %s >>" % (_pdf_string(title).encode("latin-1"),
                                                    _pdf_string(author).encode("latin-1")))
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    trailer = b"<< /Size %d /Root %d 0 R" % (len(objects) + 1, catalog)
    if info:
        trailer += b" /Info %d 0 R" % info
    out.write(b"trailer\n" + trailer + b" >>\nstartxref\n%d\n%%%%EOF\n" % xref)
    return out.getvalue()


def encrypt_pdf(data: bytes, password: str = "secret") -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password=password, owner_password=password + "-owner",
                   algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def make_docx(title: str, blocks: list[tuple[str, object]], author: str = "") -> bytes:
    """A .docx: blocks are ("heading1"/"heading2", text), ("para", text), ("bullet", text)
    or ("table", rows)."""
    import docx

    document = docx.Document()
    document.core_properties.title = title
    document.core_properties.author = author
    for kind, value in blocks:
        if kind.startswith("heading"):
            document.add_heading(value, level=int(kind[-1]))
        elif kind == "para":
            document.add_paragraph(value)
        elif kind == "bullet":
            document.add_paragraph(value, style="List Bullet")
        elif kind == "table":
            rows = value
            table = document.add_table(rows=len(rows), cols=len(rows[0]))
            for r, row in enumerate(rows):
                for c, cell in enumerate(row):
                    table.cell(r, c).text = cell
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def ingest(paths, data_paths, bundled, embedder=None, options=None):
    """Add ``paths`` to a data directory as ``ruiyi kb add`` does, with a fake embedder;
    returns (batch, index or None)."""
    from knowledge.ingest.batch import IngestOptions, commit_batch, prepare_batch
    from knowledge.ingest.documents import DocumentStore
    from retrieval.embedders import HashEmbedder
    from retrieval.embedding_cache import EmbeddingCache
    from retrieval.index import build_index, save_index

    embedder = embedder or HashEmbedder(32)
    store = DocumentStore(data_paths.documents_dir)
    cache = EmbeddingCache(data_paths.embedding_cache_dir, embedder.model_id, embedder.dimension)
    with store.lock():
        batch = prepare_batch(paths, store, bundled, options or IngestOptions())
        index = commit_batch(batch, store, bundled,
                             lambda passages: build_index(passages, embedder, cache),
                             lambda new: save_index(new, data_paths.index_dir))
    return batch, index
