from knowledge.ingest.chunking import (ChunkingConfig, chunk_markdown, chunk_pages,
                                       markdown_blocks, split_text)
from knowledge.ingest.tokens import count_tokens, word_tokens

import pytest

LONG_SECTION = " ".join(f"Sentence {n} explains one more management step for adults." for n in range(80))

DOC = f"""# Gout

## Diagnosis

Suspect gout when a joint is hot, swollen and very painful within 24 hours.

| Drug | Dose |
|---|---|
| Colchicine | 500 micrograms two to four times a day |
| Naproxen | 500 mg twice a day |

### Imaging

Consider imaging when the diagnosis is uncertain.

## Management

{LONG_SECTION}
"""


def test_every_chunk_carries_its_heading_path():
    chunks = chunk_markdown(DOC, ChunkingConfig(max_tokens=60, overlap_tokens=10))
    paths = [c.section_path for c in chunks]
    assert paths[0] == ("Gout", "Diagnosis")
    assert ("Gout", "Diagnosis", "Imaging") in paths
    assert all(p == ("Gout", "Management") for p in paths[4:])
    assert len(paths) > 5


def test_tables_stay_whole_and_separate_from_prose():
    chunks = chunk_markdown(DOC, ChunkingConfig(max_tokens=10, overlap_tokens=2))
    tables = [c for c in chunks if c.is_table]
    assert len(tables) == 1
    assert tables[0].text.count("\n") == 3 and "Naproxen | 500 mg" in tables[0].text
    assert count_tokens(tables[0].text) > 10  # kept whole although above the limit


def test_long_sections_are_split_within_the_token_bound_with_overlap():
    config = ChunkingConfig(max_tokens=60, overlap_tokens=10)
    pieces = [c.text for c in chunk_markdown(DOC, config) if c.section_path[-1] == "Management"]
    assert all(count_tokens(p) <= 60 for p in pieces)
    assert len(pieces) >= 80 * 9 // 60
    # Consecutive pieces share their boundary sentence (the overlap).
    last_sentence = pieces[0].rsplit("Sentence", 1)[1]
    assert pieces[1].startswith("Sentence" + last_sentence)
    # Nothing is lost: every sentence appears in some piece.
    joined = " ".join(pieces)
    assert all(f"Sentence {n} explains" in joined for n in range(80))


def test_short_paragraphs_of_a_section_share_a_chunk():
    chunks = chunk_markdown("# T\n\nOne short line.\n\nAnother short line.\n")
    assert len(chunks) == 1 and chunks[0].text == "One short line.\n\nAnother short line."


def test_headings_inside_code_fences_are_text():
    blocks = markdown_blocks("# Real\n\n```\n# not a heading\n```\n")
    assert [b.kind for b in blocks] == ["heading", "text"]


def test_chinese_is_counted_per_character_and_split():
    text = "高血压患者应定期监测血压。" * 40
    assert count_tokens("高血压") == 3
    assert word_tokens("Hypertension 高血压, 140/90 mmHg.") == ["hypertension", "高", "血", "压",
                                                               "140", "90", "mmhg"]
    pieces = split_text(text, ChunkingConfig(max_tokens=50, overlap_tokens=0))
    assert len(pieces) > 5 and all(count_tokens(p) <= 50 for p in pieces)


def test_pages_label_the_pages_each_chunk_comes_from():
    chunks = chunk_pages(["alpha " * 30, "", "beta " * 30],
                         ChunkingConfig(max_tokens=40, overlap_tokens=0))
    labels = [c.section_path for c in chunks]
    assert labels[0] == ("page 1",) and labels[-1] == ("page 3",)
    assert ("page 2",) not in labels  # the empty page has no chunk


def test_chunking_config_is_checked():
    with pytest.raises(ValueError, match="max_tokens"):
        ChunkingConfig(max_tokens=5)
    with pytest.raises(ValueError, match="overlap_tokens"):
        ChunkingConfig(max_tokens=100, overlap_tokens=60)
