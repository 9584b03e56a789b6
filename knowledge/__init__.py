"""Guideline knowledge: the bundled corpus, its file format, ingestion and the passage store.

Imports nothing else of the project.
"""
