"""Retrieval: embedders, the FAISS index, BM25, fusion and the retriever.

Knows passages, not prompts or LLMs.
"""
