"""A launched web app driven through its API with gradio_client: sign-in, roles, audit rows."""

import pytest
from gradio_client import Client

from ui.web.app import launch_app
from ui.web.context import WebContext
from web_fixtures import PASSWORD, free_port, make_context

USERS = {"gp1": "gp", "nurse1": "nurse", "admin1": "admin"}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    ctx = make_context(tmp_path_factory.mktemp("web") / "data", users=USERS)
    demo = launch_app(ctx, "127.0.0.1", free_port(), prevent_thread_lock=True, quiet=True)
    yield ctx, demo.local_url
    demo.close()


def _client(url, user):
    return Client(url, auth=(user, PASSWORD), verbose=False, download_files=False)


def test_gp_gets_a_cited_streamed_answer_and_an_audit_row(server):
    ctx, url = server
    before = ctx.audit.count_interactions("consult")
    chat, _ddx, status = _client(url, "gp1").predict(
        "clinic BP 152/96, how do I confirm hypertension?", None, "", False, api_name="/consult")
    answer = chat[-1]["content"][0]["text"]
    assert 'class="ry-cite">[1]</sup>' in answer and "ry-card" in answer
    assert "<img" not in answer
    assert "Model: scripted" in status
    assert ctx.audit.count_interactions("consult") == before + 1
    assert ctx.audit.recent_interactions(limit=1, mode="consult")[0]["username"] == "gp1"


def test_nurse_triage_through_the_api(server):
    ctx, url = server
    badge, news2, rules, _ = _client(url, "nurse1").predict(
        "crushing central chest pain, sweaty", 61, "male", False, 118, 24, 95, 94, 1, False,
        37.2, "A", api_name="/triage")
    assert 'data-level="emergency"' in badge and "NEWS2" in news2 and "<mark>" in rules
    assert ctx.audit.recent_interactions(limit=1, mode="triage")[0]["username"] == "nurse1"


def test_roles_are_enforced_behind_the_api(server):
    _ctx, url = server
    with pytest.raises(Exception, match="cannot use the consult tab"):
        _client(url, "nurse1").predict("chest pain", None, "", False, api_name="/consult")
    with pytest.raises(Exception, match="cannot use the audit tab"):
        _client(url, "gp1").predict("", "", 10, api_name="/audit_rows")


def test_admin_reads_the_audit_log(server):
    _ctx, url = server
    table, summary = _client(url, "admin1").predict("", "", 50, api_name="/audit_rows")
    assert table["data"] and {row[4] for row in table["data"]} >= {"consult"}
    assert "Interactions" in summary and "wal" in summary


def test_wrong_password_is_refused(server):
    _ctx, url = server
    with pytest.raises(Exception):
        Client(url, auth=("gp1", "not the password"), verbose=False)


@pytest.mark.slow
def test_real_models_answer_through_the_app(real_assistant, real_data_dir):
    """MiniLM over the bundled corpus and SmolLM2, served and asked once."""
    ctx = WebContext.create(real_data_dir, assistant=real_assistant, use_sign_in=False)
    demo = launch_app(ctx, "127.0.0.1", free_port(), prevent_thread_lock=True, quiet=True)
    try:
        chat, _ddx, status = Client(demo.local_url, verbose=False).predict(
            "Clinic blood pressure is 152/96 mmHg. How do I confirm hypertension?", None, "",
            False, api_name="/consult")
    finally:
        demo.close()
    answer = chat[-1]["content"][0]["text"]
    assert "ry-card" in answer and "SmolLM2" in status
    row = ctx.audit.recent_interactions(limit=1)[0]
    assert row["passage_ids"] and row["manifest_hash"] == ctx.manifest_hash
    assert row["model_id"].startswith("HuggingFaceTB/SmolLM2")
