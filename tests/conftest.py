"""Shared fixtures: fakes for fast unit tests, and the real offline models loaded once."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from knowledge.passage import Passage  # noqa: E402
from retrieval.dense import DenseRetriever  # noqa: E402
from retrieval.embedders import HashEmbedder  # noqa: E402
from retrieval.index import build_index  # noqa: E402
from ruiyi_test_helpers import NICE_ST, make_passage  # noqa: E402

@pytest.fixture(autouse=True, scope="session")
def _private_default_data_dir(tmp_path_factory):
    """Commands run without --data-dir write their audit rows (and any index) to a temporary
    data directory, never to the developer's own ~/.local/share/ruiyi."""
    previous = os.environ.get("RUIYI_HOME")
    os.environ["RUIYI_HOME"] = str(tmp_path_factory.mktemp("ruiyi-default-home"))
    yield
    if previous is None:
        os.environ.pop("RUIYI_HOME", None)
    else:
        os.environ["RUIYI_HOME"] = previous


@pytest.fixture
def sample_passages() -> list[Passage]:
    return [
        make_passage("htn-abpm", "If clinic blood pressure is 140/90 mmHg or higher, offer "
                     "ambulatory blood pressure monitoring to confirm hypertension."),
        make_passage("htn-stage", "Stage 1 hypertension is an ABPM daytime average of 135/85 "
                     "mmHg or higher; stage 2 is 150/95 mmHg or higher."),
        make_passage("st-fever", "Use FeverPAIN or Centor to judge whether a sore throat is "
                     "likely to be streptococcal and whether antibiotics help.",
                     NICE_ST, ("Sore throat", "Assessment"), "sore-throat", "sore-throat"),
        make_passage("st-pen", "When an antibiotic is needed for sore throat, phenoxymethylpenicillin "
                     "500 mg four times a day for 5 to 10 days is first choice.",
                     NICE_ST, ("Sore throat", "Management"), "sore-throat", "sore-throat"),
    ]


@pytest.fixture
def hash_embedder() -> HashEmbedder:
    return HashEmbedder(dimension=64)


@pytest.fixture
def hash_retriever(sample_passages, hash_embedder) -> DenseRetriever:
    return DenseRetriever(build_index(sample_passages, hash_embedder), hash_embedder)


@pytest.fixture(scope="session")
def real_data_dir(tmp_path_factory):
    """One data directory for the whole session: the real index and converted model live here."""
    return tmp_path_factory.mktemp("ruiyi-home")


@pytest.fixture(scope="session")
def minilm():
    from retrieval.embedders import load_default_embedder

    return load_default_embedder().load()


@pytest.fixture(scope="session")
def real_assistant(real_data_dir):
    """The default assistant with MiniLM over the bundled corpus and SmolLM2, loaded once."""
    from assistant.factory import build_assistant

    assistant = build_assistant(real_data_dir)
    assistant.chat_model.load()
    return assistant
