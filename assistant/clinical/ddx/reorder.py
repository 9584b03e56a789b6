"""Take an LLM's preferred order of a differential without letting it drop danger or invent.

``apply_llm_reorder(differential, ordered_names)`` puts the conditions the LLM named first, in
its order; conditions it left out are dropped, except supported must-not-miss conditions,
which always stay (after the named ones, in score order). Names that match no condition in
the differential are ignored: an LLM cannot add a diagnosis here. Scores, bands and evidence
are kept as computed; only the order changes, and ``order`` becomes ``"llm"``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace
from typing import Sequence

from assistant.clinical.ddx.engine import BAND_MUST_NOT_MISS, Differential, RankedCondition


def apply_llm_reorder(differential: Differential, ordered_names: Sequence[str]) -> Differential:
    """Return ``differential`` re-ordered by ``ordered_names`` (see the module docstring)."""
    if isinstance(ordered_names, str) or not all(isinstance(n, str) for n in ordered_names):
        raise TypeError("ordered_names must be a list of condition names")
    lookup: dict[str, RankedCondition] = {}
    for item in differential.conditions:
        for name in (*item.condition.names, item.condition.condition_id):
            lookup.setdefault(normalise_name(name), item)

    chosen: list[RankedCondition] = []
    ignored = 0
    for name in ordered_names:
        item = lookup.get(normalise_name(name))
        if item is None:
            ignored += 1
        elif item not in chosen:
            chosen.append(item)
    if not chosen:
        note = "LLM order ignored: none of its names matched the differential"
        return replace(differential, notes=(*differential.notes, note))

    kept = [item for item in differential.conditions
            if item not in chosen and item.condition.must_not_miss]
    reordered = []
    for index, item in enumerate(chosen + kept):
        band = item.band
        if item in kept and band != BAND_MUST_NOT_MISS:
            band = BAND_MUST_NOT_MISS
        reordered.append(replace(item, rank=index + 1, band=band,
                                 kept_as_must_not_miss=item in kept or item.kept_as_must_not_miss))
    dropped = len(differential.conditions) - len(reordered)
    notes = [f"order from LLM: {len(chosen)} named, {len(kept)} must-not-miss kept, "
             f"{dropped} dropped, {ignored} unknown names ignored"]
    return replace(differential, conditions=tuple(reordered), order="llm",
                   notes=(*differential.notes, *notes))


def normalise_name(name: str) -> str:
    """Lower-case, strip accents, possessives, punctuation and a leading article, and fold
    British and American spellings together (haem/hem, oe/e, tumour/tumor)."""
    text = name.replace("\u2019", "'").replace("\u2018", "'")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    text = re.sub(r"'s\b", "", text).replace("'", "")
    text = re.sub(r"[^a-z0-9]+", " ", text).strip()
    text = re.sub(r"^(?:the|a|an) ", "", text)
    text = text.replace("ae", "e").replace("oe", "e")
    return re.sub(r"our\b", "or", text)
