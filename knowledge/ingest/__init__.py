"""Document ingestion: turn a user's guideline files into cited passages for the knowledge base.

One module per file format (``pdf``, ``html``, ``markdown``, ``text``, ``docx``, ``jsonl``)
turns bytes into blocks or chunks; ``chunking`` cuts them into section-aware, token-bounded
chunks (``tokens`` counts; ``common`` holds the parsed record and strict decoding); ``dedup``
finds exact and near-duplicate passages; ``batch`` runs many paths with a result per file and
commits them; ``documents`` is the store under ``<data dir>/documents/``.

Embedding and indexing are not done here (``knowledge`` imports nothing else of the project):
``batch.commit_batch`` takes the index build and publish steps as callables.
"""
