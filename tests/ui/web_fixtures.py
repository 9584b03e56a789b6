"""Builders for web-app tests: a WebContext over fakes (scripted model, hash embedder) and a
launched server on a free loopback port."""

from __future__ import annotations

import socket
from pathlib import Path

from assistant.audit import AuditStore
from assistant.chat import ScriptedChatModel
from assistant.core import Assistant, AssistantConfig
from knowledge.paths import DataPaths
from retrieval.embedders import HashEmbedder
from retrieval.knowledge_index import KnowledgeIndex
from ruiyi_test_helpers import NICE_ST, make_passage
from ui.web.auth import UserStore
from ui.web.context import WebContext

XSS = "<img src=x onerror=alert(1)> <script>alert(2)</script>"
SCRIPTED_REPLY = ("Offer ambulatory blood pressure monitoring to confirm hypertension [1]. "
                  "Stage 1 starts at a daytime average of 135/85 mmHg [2]. " + XSS)
PASSWORD = "correct horse battery"
CHEST_PAIN_FLAG = {"id": "test-acs", "title": "Suspected acute coronary syndrome", "level": "emergency",
                   "matched_text": ["chest pain"], "action": "Call 999 now.",
                   "source": {"publisher": "NICE", "code": "CG95", "title": "Chest pain",
                              "url": "https://www.nice.org.uk/guidance/cg95"}}


def web_passages():
    return [
        make_passage("htn-abpm", "If clinic blood pressure is 140/90 mmHg or higher, offer "
                     "ambulatory blood pressure monitoring to confirm hypertension."),
        make_passage("htn-stage", "Stage 1 hypertension is an ABPM daytime average of 135/85 "
                     "mmHg or higher; stage 2 is 150/95 mmHg or higher."),
        make_passage("st-pen", "When an antibiotic is needed for sore throat, phenoxymethylpenicillin "
                     "500 mg four times a day for 5 to 10 days is first choice.",
                     NICE_ST, ("Sore throat", "Management"), "sore-throat", "sore-throat"),
        make_passage("htn-evil", "Blood pressure passage with markup " + XSS + " inside it."),
    ]


def keyword_red_flags(question: str) -> list[dict]:
    """A stand-in red-flag checker: fires on "chest pain" only."""
    return [dict(CHEST_PAIN_FLAG)] if "chest pain" in question.lower() else []


def make_context(root: Path, replies=(SCRIPTED_REPLY,), users: dict[str, str] | None = None,
                 abstain_below: float = -1.0, red_flag_checker=keyword_red_flags,
                 chat_model=None) -> WebContext:
    """A context over fakes; ``users`` maps name -> role (all with ``PASSWORD``). The
    retriever is the real knowledge-index service (hybrid search, index on disk) over the
    test passages with a hash embedder."""
    paths = DataPaths(root).ensure()
    retriever = KnowledgeIndex(paths, HashEmbedder(64), base_passages=web_passages()).open()
    assistant = Assistant(chat_model or ScriptedChatModel(list(replies)), retriever,
                          AssistantConfig(abstain_below=abstain_below),
                          red_flag_checker=red_flag_checker)
    store = None
    if users:
        store = UserStore(paths.users_file)
        for name, role in users.items():
            store.add(name, role, PASSWORD)
    return WebContext(paths=paths, assistant=assistant,
                      audit=AuditStore.at_path(paths.database_path), users=store,
                      eval_roots=[paths.root / "eval"])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class FakeRequest:
    """What handlers read from ``gr.Request``: the signed-in user name."""

    def __init__(self, username: str | None) -> None:
        self.username = username
