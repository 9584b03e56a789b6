"""Evaluation: suites as data, pure scoring functions, runners, reports and run comparison.

``suites`` loads cases, ``runner`` produces (and caches) per-case results, ``scoring`` turns
results into per-case metric contributions, ``metrics`` and ``bootstrap`` aggregate them,
``report`` writes ``metrics.json`` / ``cases.jsonl`` / ``report.html`` and ``compare`` diffs
two run directories. Nothing here is imported by the other packages.
"""
