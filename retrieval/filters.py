"""Metadata filters on passages: ``{"publisher": "NICE", "topic": ["asthma-adults", ...]}``."""

from __future__ import annotations

from knowledge.passage import Passage

FILTERABLE_FIELDS = ("publisher", "topic", "region", "doc_id", "code")


def _field_value(passage: Passage, name: str) -> str:
    if name in ("publisher", "code"):
        return getattr(passage.source, name)
    return getattr(passage, name)


def check_filters(filters: dict | None) -> dict[str, set[str]]:
    """Normalise filters to sets of lower-case values; unknown fields raise ValueError."""
    if not filters:
        return {}
    unknown = sorted(set(filters) - set(FILTERABLE_FIELDS))
    if unknown:
        raise ValueError(f"unknown filter field(s) {', '.join(unknown)}; "
                         f"valid fields: {', '.join(FILTERABLE_FIELDS)}")
    normalised = {}
    for name, wanted in filters.items():
        values = [wanted] if isinstance(wanted, str) else list(wanted)
        normalised[name] = {str(v).lower() for v in values}
    return normalised


def matches(passage: Passage, filters: dict[str, set[str]]) -> bool:
    return all(_field_value(passage, name).lower() in values for name, values in filters.items())
