"""The audit store: redaction before writing, WAL mode, feedback, reviews, concurrency."""

import threading

import pytest
from sqlalchemy import text

from assistant.audit import AuditStore, open_audit_store


@pytest.fixture
def store(tmp_path):
    store = AuditStore.at_path(tmp_path / "ruiyi.db")
    yield store
    store.close()


def _record(store, **overrides):
    values = dict(username="gp1", role="gp", mode="consult",
                  question="Mr John Smith 07700 900123 chest pain", answer="Call 999 [1].",
                  model_id="scripted", quantization="none", manifest_hash="abc123",
                  prompt_version="gp-answer-v1", passage_ids=["p1", "p2"],
                  triggered_rules=["cardio-acs"], latency_ms=12.5)
    values.update(overrides)
    return store.record_interaction(**values)


def test_sqlite_store_runs_in_wal_mode(store):
    assert store.journal_mode() == "wal"


def test_interaction_is_stored_redacted_with_all_fields(store, tmp_path):
    row_id = _record(store, error="failed for jane@example.com", details={"note": "tel 07700 900123", "n": 3})
    row = store.get_interaction(row_id)
    assert row["question"] == "[NAME] [PHONE] chest pain"
    assert row["error"] == "failed for [EMAIL]"
    assert row["details"] == {"note": "tel [PHONE]", "n": 3}
    assert (row["username"], row["role"], row["mode"]) == ("gp1", "gp", "consult")
    assert row["passage_ids"] == ["p1", "p2"] and row["triggered_rules"] == ["cardio-acs"]
    assert (row["model_id"], row["manifest_hash"], row["prompt_version"]) == (
        "scripted", "abc123", "gp-answer-v1")
    assert row["latency_ms"] == 12.5 and row["created_at"].endswith("+00:00")
    # Nothing unredacted reached the database file either.
    raw = (tmp_path / "ruiyi.db").read_bytes() + (tmp_path / "ruiyi.db-wal").read_bytes()
    assert b"John Smith" not in raw and b"07700 900123" not in raw


def test_bad_mode_and_latency_are_refused(store):
    with pytest.raises(ValueError, match="mode must be one of"):
        _record(store, mode="chat")
    with pytest.raises(ValueError, match="latency_ms"):
        _record(store, latency_ms=-1)


def test_feedback_needs_an_existing_interaction(store):
    row_id = _record(store)
    store.record_feedback(interaction_id=row_id, username="gp1", rating=-1,
                          comment="wrong dose for Mrs Patel")
    assert store.feedback(row_id)[0]["comment"] == "wrong dose for [NAME]"
    with pytest.raises(ValueError, match="does not exist"):
        store.record_feedback(interaction_id=row_id + 99, username="gp1", rating=1)
    with pytest.raises(ValueError, match="rating must be"):
        store.record_feedback(interaction_id=row_id, username="gp1", rating=5)


def test_review_is_updated_not_duplicated(store):
    first = store.save_review(reviewer="ev1", source="eval:run1", case_id="c1",
                              scores={"accuracy": 4}, comment="ok")
    second = store.save_review(reviewer="ev1", source="eval:run1", case_id="c1",
                               scores={"accuracy": 2}, comment="on reflection, wrong")
    assert first == second
    reviews = store.reviews("eval:run1")
    assert len(reviews) == 1 and reviews[0]["scores"] == {"accuracy": 2}
    with pytest.raises(ValueError, match="must be an integer"):
        store.save_review(reviewer="ev1", source="s", case_id="c2", scores={"accuracy": "4"})


def test_filters_and_counts(store):
    _record(store)
    _record(store, mode="triage", username="nurse1", role="nurse")
    assert store.count_interactions() == 2 and store.count_interactions("triage") == 1
    assert [r["mode"] for r in store.recent_interactions(mode="triage")] == ["triage"]
    assert [r["username"] for r in store.recent_interactions(username="gp1")] == ["gp1"]
    assert store.recent_interactions(limit=1)[0]["mode"] == "triage"  # newest first


def test_concurrent_writers_lose_nothing(store):
    def write(n):
        for _ in range(n):
            _record(store)

    threads = [threading.Thread(target=write, args=(20,)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.count_interactions() == 160


def test_any_sqlalchemy_url_is_accepted(tmp_path):
    store = open_audit_store(f"sqlite:///{tmp_path / 'other.db'}")
    _record(store)
    with store.engine.connect() as connection:
        assert connection.execute(text("select count(*) from interactions")).scalar() == 1
    with pytest.raises(ValueError, match="SQLAlchemy URL"):
        AuditStore("not a url")


def test_the_database_and_its_wal_are_readable_by_the_owner_only(tmp_path):
    store = AuditStore.at_path(tmp_path / "ruiyi.db")
    _record(store)
    try:
        for name in ("ruiyi.db", "ruiyi.db-wal"):
            assert (tmp_path / name).stat().st_mode & 0o777 == 0o600, name
    finally:
        store.close()


def _open_and_write(path, rows, barrier):
    barrier.wait()
    store = AuditStore.at_path(path)
    for _ in range(rows):
        _record(store)
    store.close()


def test_many_processes_opening_a_new_database_at_once_lose_nothing(tmp_path):
    """20 processes create the same new database at the same moment (the defect: one died
    with "table reviews already exists" and its rows were lost)."""
    import multiprocessing

    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(20)
    path = tmp_path / "fresh.db"
    workers = [context.Process(target=_open_and_write, args=(path, 25, barrier))
               for _ in range(20)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert [w.exitcode for w in workers] == [0] * 20
    store = AuditStore.at_path(path)
    assert store.count_interactions() == 500
    store.close()
