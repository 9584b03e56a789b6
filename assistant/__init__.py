"""The assistant: LLM backends, prompts, answers with citations, abstention, triage and
clinical calculators, the audit record.

The only package that imports transformers, accelerate or bitsandbytes.
"""
