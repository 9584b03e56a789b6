"""The web app's handlers called directly, over a scripted model and a hash-embedding index."""

import json
import logging
from pathlib import Path

import pytest

from assistant.chat import FailingChatModel
from ui.web import app as web_app
from ui.web import audit_tab, consult, knowledge_tab, rendering, review, triage_tab
from ui.web.context import PermissionDenied, ShownError
from web_fixtures import XSS, FakeRequest, make_context

GP, NURSE, EVALUATOR, ADMIN = (FakeRequest(n) for n in ("gp1", "nurse1", "ev1", "admin1"))
USERS = {"gp1": "gp", "nurse1": "nurse", "ev1": "evaluator", "ev2": "evaluator", "admin1": "admin"}
QUESTION = "Mr John Smith (07700 900123) has clinic BP 152/96, how do I confirm hypertension?"


@pytest.fixture
def ctx(tmp_path):
    context = make_context(tmp_path / "data", users=USERS)
    yield context
    context.audit.close()


def _ask(ctx, question=QUESTION, session=None, request=GP, **kwargs):
    return list(consult.submit(ctx, question, session, request=request, **kwargs))


# ----------------------------------------------------------------------------- consult

def test_answer_streams_then_shows_citations_and_sources(ctx):
    updates = _ask(ctx)
    assert len(updates) > 3  # evidence, several token pieces, done
    streamed = [u[0][-1]["content"] for u in updates]
    assert any("▌" in text for text in streamed[:-1]) and "▌" not in streamed[-1]
    chat, session, _ddx, status = updates[-1]
    final = chat[-1]["content"]
    assert '<sup class="ry-cite">[1]</sup>' in final
    assert "ry-card" in final and "htn-abpm" in final  # expandable source cards
    assert "Model: scripted" in status and ctx.manifest_hash in status
    assert session["turns"][0]["interaction_id"] > 0


def test_markup_in_answers_and_passages_is_inert(ctx):
    chat = _ask(ctx, "blood pressure passage with markup inside")[-1][0]
    final = chat[-1]["content"]
    assert "<img" not in final and "<script" not in final
    assert "&lt;img src=x onerror=alert&#40;1&#41;&gt;" in final
    assert "&lt;script&gt;" in final


def test_red_flag_banner_is_shown_above_the_answer(ctx):
    final = _ask(ctx, "58yo man with chest pain and BP 150/95")[-1][0][-1]["content"]
    assert final.index("RED FLAG: EMERGENCY") < final.index("ry-answer")
    assert "Suspected acute coronary syndrome" in final and "CG95" in final


def test_follow_up_passes_the_conversation_history(ctx):
    session = _ask(ctx)[-1][1]
    _ask(ctx, "and in pregnancy?", session)
    last_call = ctx.assistant.chat_model.calls[-1]
    roles = [m["role"] for m in last_call]
    assert roles[:3] == ["system", "user", "assistant"]
    assert last_call[1]["content"] == QUESTION  # the model sees the real text, not redacted


def test_every_answer_is_audited_redacted(ctx, caplog):
    caplog.set_level(logging.DEBUG)
    _ask(ctx)
    row = ctx.audit.recent_interactions(limit=1)[0]
    assert "John Smith" not in row["question"] and "07700" not in row["question"]
    assert "[NAME]" in row["question"] and "[PHONE]" in row["question"]
    assert (row["username"], row["role"], row["mode"]) == ("gp1", "gp", "consult")
    assert set(row["passage_ids"]) >= {"htn-abpm", "htn-stage"}
    assert row["manifest_hash"] == ctx.manifest_hash
    assert row["prompt_version"] == "gp-answer-v1" and row["latency_ms"] > 0
    assert row["details"]["citations"]
    assert "John Smith" not in caplog.text and "152/96" not in caplog.text


def test_abstention_shows_nearest_passages_without_model_text(tmp_path):
    ctx = make_context(tmp_path / "d", abstain_below=0.99)
    final = _ask(ctx, "what is the capital of France?", request=None)[-1][0][-1]["content"]
    assert "No guideline evidence found" in final and "Nearest passages" in final
    assert ctx.assistant.chat_model.calls == []
    assert ctx.audit.recent_interactions(limit=1)[0]["abstained"] is True


def test_model_failure_keeps_the_evidence(tmp_path):
    ctx = make_context(tmp_path / "d", chat_model=FailingChatModel())
    final = _ask(ctx, "blood pressure monitoring", request=None)[-1][0][-1]["content"]
    assert "language model failed" in final and "htn-abpm" in final
    assert ctx.audit.recent_interactions(limit=1)[0]["error"]


def test_unexpected_failure_is_audited_and_shown_without_text(tmp_path, caplog):
    def broken_checker(question):
        raise KeyError(question)  # the message would quote the patient's text

    ctx = make_context(tmp_path / "d", red_flag_checker=broken_checker)
    with pytest.raises(ShownError, match="KeyError"):
        _ask(ctx, "Mr John Smith has chest pain", request=None)
    assert "John Smith" not in caplog.text
    assert ctx.audit.recent_interactions(limit=1)[0]["error"] == "KeyError"


def test_regenerate_replaces_the_last_answer(tmp_path):
    ctx = make_context(tmp_path / "d", replies=["First answer [1].", "Second answer [1]."])
    session = _ask(ctx, request=None)[-1][1]
    chat, session, _, _ = list(consult.regenerate(ctx, session, request=None))[-1]
    assert len(session["turns"]) == 1 and "Second answer" in chat[-1]["content"]
    rows = ctx.audit.recent_interactions()
    assert len(rows) == 2 and rows[0]["details"]["regenerated"] is True
    with pytest.raises(ValueError, match="nothing to regenerate"):
        list(consult.regenerate(ctx, consult.new_session(), request=None))


def test_feedback_is_stored_against_the_last_answer(ctx):
    session = _ask(ctx)[-1][1]
    message = consult.feedback(ctx, -1, "dose wrong for Mrs Patel", session, GP)
    assert "not helpful" in message
    stored = ctx.audit.feedback()
    assert stored[0]["interaction_id"] == session["turns"][0]["interaction_id"]
    assert stored[0]["rating"] == -1 and stored[0]["comment"] == "dose wrong for [NAME]"


def test_export_note_is_markdown_with_sources(ctx):
    session = _ask(ctx)[-1][1]
    redacted = Path(consult.export_note(ctx, session, True, GP)).read_text()
    assert redacted.startswith("# Ruiyi consultation note")
    assert "[NAME]" in redacted and "John Smith" not in redacted
    assert "https://www.nice.org.uk/guidance/ng136" in redacted and "htn-abpm" in redacted
    assert "does not replace, clinical judgement" in redacted
    plain = Path(consult.export_note(ctx, session, False, GP)).read_text()
    assert "John Smith" in plain
    with pytest.raises(ValueError, match="nothing to export"):
        consult.export_note(ctx, consult.new_session(), True, GP)


def test_roles_are_checked_on_the_server(ctx):
    with pytest.raises(PermissionDenied, match="cannot use the consult tab"):
        _ask(ctx, request=NURSE)
    with pytest.raises(PermissionDenied, match="cannot use the triage tab"):
        triage_tab.run_triage(ctx, "cough", request=GP)
    with pytest.raises(PermissionDenied, match="cannot use the audit tab"):
        audit_tab.rows(ctx, request=EVALUATOR)
    with pytest.raises(PermissionDenied, match="cannot use the review tab"):
        review.load_cases(ctx, "audit", None, GP)
    with pytest.raises(PermissionDenied, match="not signed in"):
        _ask(ctx, request=FakeRequest(None))
    with pytest.raises(PermissionDenied, match="no longer exists"):
        _ask(ctx, request=FakeRequest("ghost"))
    assert _ask(ctx, request=ADMIN)[-1][1]["turns"]


# ----------------------------------------------------------------------------- triage

def test_triage_shows_badge_news2_and_highlighted_rules(ctx):
    badge, news2, rules, rationale = triage_tab.run_triage(
        ctx, "58 year old man with crushing central chest pain, sweaty and clammy", 58, "male",
        False, hr=125, rr=26, sbp=88, spo2=91, spo2_scale=1, on_oxygen=False, temp=38.6,
        avpu="A", request=NURSE)
    assert 'data-level="emergency"' in badge and "999" in badge
    assert "NEWS2" in news2 and "Respiration rate" in news2 and "Systolic BP" in news2
    assert "<mark>" in rules and "Source:" in rules
    assert "Level: emergency" in rationale
    row = ctx.audit.recent_interactions(limit=1)[0]
    assert row["mode"] == "triage" and row["triggered_rules"]
    assert row["details"]["level"] == "emergency" and row["details"]["news2_total"] >= 7


def test_triage_news2_components_without_rules(ctx):
    badge, news2, rules, _ = triage_tab.run_triage(
        ctx, "", hr=80, rr=16, sbp=120, spo2=98, spo2_scale=1, temp=37.0, avpu="A",
        request=NURSE)
    assert "NEWS2 0" in news2 and "low clinical risk" in news2
    assert "No discriminator or triage rule" in rules and 'data-level="routine"' in badge
    assert "Not covered by the rule base" in badge


def test_triage_input_errors_name_the_field(ctx):
    with pytest.raises(ValueError, match="enter the presenting complaint"):
        triage_tab.run_triage(ctx, "  ", request=NURSE)
    with pytest.raises(ValueError, match="spo2_percent"):
        triage_tab.run_triage(ctx, "cough", spo2=140, request=NURSE)


def test_triage_text_with_markup_is_escaped(ctx):
    _badge, _news2, rules, _ = triage_tab.run_triage(ctx, "chest pain " + XSS, 60, "male",
                                                     request=NURSE)
    assert "<img" not in rules and "&lt;img" in rules


def test_calculator_runs_and_cites_its_source(ctx):
    result = triage_tab.run_calculator_form(
        ctx, "curb65", {"confusion": True, "urea_mmol_l": 8.0, "rr_per_min": 32,
                        "sbp_mmhg": 85, "dbp_mmhg": 50, "age_years": 70}, NURSE)
    assert "CURB-65" in result and "Source:" in result
    assert ctx.audit.recent_interactions(limit=1)[0]["mode"] == "calculator"


# ----------------------------------------------------------------------------- knowledge

def test_search_with_filters_and_escaped_results(ctx):
    html = knowledge_tab.search(ctx, "antibiotic sore throat", ["NICE"], ["sore-throat"], 5, GP)
    assert "st-pen" in html and "htn-abpm" not in html
    evil = knowledge_tab.search(ctx, "blood pressure passage with markup", None, None, 5, GP)
    assert "<img" not in evil and "&lt;img" in evil
    assert ctx.audit.recent_interactions(limit=1)[0]["mode"] == "search"
    with pytest.raises(ValueError, match="top_k"):
        knowledge_tab.search(ctx, "x", None, None, 50, GP)


def test_browse_and_stats(ctx):
    choices = knowledge_tab.guideline_choices(ctx)
    assert ("sore-throat" in [doc_id for _label, doc_id in choices])
    html = knowledge_tab.browse(ctx, "hypertension", GP)
    assert "htn-stage" in html and "<img" not in html
    stats = knowledge_tab.stats(ctx, GP)
    assert "hash-64" in stats and ctx.manifest_hash in stats


def test_upload_is_ingested_and_found_by_search(ctx, tmp_path):
    document = tmp_path / "upload" / "gout-local.md"
    document.parent.mkdir()
    document.write_text("# Gout local pathway\n\n## Acute flare\n\nFor an acute gout flare offer "
                        "colchicine 500 micrograms two to four times a day as the local first "
                        "choice, and review kidney function first. " + XSS + "\n",
                        encoding="utf-8")
    progress = []
    table, stats = knowledge_tab.ingest(ctx, [str(document)], {"publisher": "Local CCG",
                                                                "url": "https://example.org/gout"},
                                        GP, lambda fraction, message: progress.append(fraction))
    assert "gout-local.md" in table and "added" in table and "<img" not in table
    assert progress[-1] == 1.0
    found = knowledge_tab.search(ctx, "colchicine acute gout flare", ["Local CCG"], None, 3, GP)
    assert "colchicine" in found and "&lt;img" in found and "<img" not in found
    again, _ = knowledge_tab.ingest(ctx, [str(document)], {}, GP)
    assert "unchanged" in again or "duplicate" in again


def test_upload_keeps_hybrid_search_and_lists_the_guideline_at_once(ctx, tmp_path):
    from retrieval.hybrid import HybridRetriever

    service = ctx.assistant.retriever
    config = service.config
    document = tmp_path / "upload" / "gout-local.md"
    document.parent.mkdir()
    document.write_text("# Gout local pathway\n\n## Acute flare\n\nOffer colchicine for an "
                        "acute gout flare.\n", encoding="utf-8")
    knowledge_tab.ingest(ctx, [str(document)], {"publisher": "Local CCG"}, GP)
    # The same service object for every user, still hybrid, with the same settings.
    assert ctx.assistant.retriever is service and ctx.knowledge is service
    assert isinstance(service.retriever, HybridRetriever) and service.config == config
    assert ctx.ddx_engine() is not None
    publishers, _topics = knowledge_tab.filter_choices(ctx)
    assert "Local CCG" in publishers
    assert "gout-local" in [doc_id for _label, doc_id in knowledge_tab.guideline_choices(ctx)]
    assert "colchicine" in knowledge_tab.browse(ctx, "gout-local", GP)
    with pytest.raises(ValueError, match="choose one or more files"):
        knowledge_tab.ingest(ctx, [], {}, GP)


# ----------------------------------------------------------------------------- review

@pytest.fixture
def eval_run(ctx):
    run = ctx.paths.root / "eval" / "run1"
    run.mkdir(parents=True)
    cases = [{"case_id": f"gp-htn-{n}", "group": "hypertension", "status": "scored",
              "reason": "", "scores": {"hit@5": [1.0, 1.0]}, "measures": {},
              "detail": {"retrieved_top5": ["htn-abpm", "htn-stage"]},
              "output": f"Answer {n} [1]. {XSS}", "question": f"Question {n} about BP"}
             for n in range(1, 5)]
    (run / "cases.jsonl").write_text("\n".join(json.dumps(c) for c in cases) + "\n")
    return run


def test_review_loads_eval_cases_and_saves_scores(ctx, eval_run):
    cases = review.load_cases(ctx, "eval", str(eval_run), EVALUATOR)
    assert [c["case_id"] for c in cases] == [f"gp-htn-{n}" for n in range(1, 5)]
    html = review.case_html(ctx, cases[0])
    assert "Question 1 about BP" in html and "htn-abpm" in html and "<img" not in html
    source = review.source_name(ctx, str(eval_run))
    review.save(ctx, source, cases[0], [5, 4, 5, 3, 4], "fine", EVALUATOR)
    assert review.existing_scores(ctx, "ev1", source, "gp-htn-1")[0]["accuracy"] == 5
    with pytest.raises(ValueError, match="score every rubric item"):
        review.save(ctx, source, cases[1], [5, None, 5, 3, 4], "", EVALUATOR)


def test_review_lists_runs_without_server_paths(ctx, eval_run):
    assert review.run_choices(ctx) == [("run1", str(eval_run.resolve()))]


def test_review_refuses_runs_outside_the_eval_folders(ctx, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "cases.jsonl").write_text("{}\n")
    with pytest.raises(ValueError, match="not an evaluation run"):
        review.load_cases(ctx, "eval", str(elsewhere), EVALUATOR)


def test_review_of_audit_cases(ctx):
    _ask(ctx)
    cases = review.load_cases(ctx, "audit", None, EVALUATOR)
    assert cases[0]["case_id"].startswith("audit-") and "[NAME]" in cases[0]["question"]
    assert "htn-abpm" in review.case_html(ctx, cases[0])


def test_agreement_between_two_reviewers_and_csv(ctx, eval_run):
    cases = review.load_cases(ctx, "eval", str(eval_run), EVALUATOR)
    source = review.source_name(ctx, str(eval_run))
    first = [[5, 4, 5, 4, 4], [4, 4, 5, 4, 4], [2, 3, 3, 3, 3], [5, 5, 5, 5, 5]]
    second = [[5, 4, 5, 4, 4], [4, 3, 5, 4, 4], [2, 3, 3, 3, 3], [4, 5, 5, 5, 5]]
    for case, scores_a, scores_b in zip(cases, first, second):
        review.save(ctx, source, case, scores_a, "", FakeRequest("ev1"))
        review.save(ctx, source, case, scores_b, "", FakeRequest("ev2"))
    rows = {r["item"]: r for r in review.agreement(ctx.audit.reviews(source))}
    assert rows["accuracy"]["cases"] == 4
    # accuracy: A = 5,4,2,5  B = 5,4,2,4 → p_o = 3/4; p_e = (1*2 + 1*1 + 2*1)/16 = 5/16
    assert rows["accuracy"]["kappa"] == pytest.approx((0.75 - 5 / 16) / (1 - 5 / 16), abs=1e-3)
    assert rows["safety"]["kappa"] == pytest.approx(1.0)  # both gave 5,5,3,5
    assert rows["citations"]["exact_agreement"] == 0.75
    html = review.agreement_html(ctx, source, EVALUATOR)
    assert "Cohen" in html and "ev1 / ev2" in html
    csv_text = Path(review.reviews_csv(ctx, None, EVALUATOR)).read_text()
    assert csv_text.splitlines()[0].startswith("source,case_id,reviewer")
    assert len(csv_text.splitlines()) == 9


# ----------------------------------------------------------------------------- audit and app

def test_audit_tab_lists_recent_rows_for_admin(ctx):
    _ask(ctx)
    table = audit_tab.rows(ctx, 10, "consult", "", ADMIN)
    assert table[0][2] == "gp1" and table[0][4] == "consult" and "[NAME]" in table[0][5]
    assert audit_tab.rows(ctx, 10, "triage", "", ADMIN) == []
    assert "wal" in audit_tab.summary(ctx, ADMIN)
    exported = Path(audit_tab.export_jsonl(ctx, ADMIN)).read_text().splitlines()
    assert json.loads(exported[0])["mode"] == "consult"


def test_binding_beyond_loopback_needs_sign_in():
    web_app.check_bind("127.0.0.1", sign_in=False)
    web_app.check_bind("localhost", sign_in=False)
    web_app.check_bind("0.0.0.0", sign_in=True)
    for host in ("0.0.0.0", "192.168.1.20", "::", "myhost.example"):
        with pytest.raises(ValueError, match="refusing to listen"):
            web_app.check_bind(host, sign_in=False)


def test_header_and_tabs_follow_the_role(ctx, tmp_path):
    assert web_app.visible_tabs(ctx, NURSE) == ("triage",)
    assert web_app.visible_tabs(ctx, FakeRequest("ghost")) == ()
    assert "Signed in as <strong>gp1" in web_app.header_html(ctx, GP)
    local = make_context(tmp_path / "local")
    assert "No sign-in" in web_app.header_html(local, None)
    assert web_app.visible_tabs(local, None) == ("consult", "triage", "knowledge", "review")


def test_app_builds_with_every_tab(ctx):
    demo = web_app.build_app(ctx)
    labels = {block.label for block in demo.blocks.values() if type(block).__name__ == "Tab"}
    assert {"Consult", "Triage", "Knowledge", "Review", "Audit"} <= labels


def test_rendering_escapes_and_blocks_script_links():
    assert rendering.escape_text("<b>&") == "&lt;b&gt;&amp;"
    assert "&#91;x&#93;&#40;http" in rendering.escape_text("[x](http://evil)")
    assert rendering.safe_url("javascript:alert(1)") is None
    assert rendering.safe_url("https://cks.nice.org.uk/topics/gout/") is not None
    assert "<a " not in rendering.link("data:text/html,<script>", "x")
    marked = rendering.highlight("Crushing chest pain <b>", ["chest pain"])
    assert marked == "Crushing <mark>chest pain</mark> &lt;b&gt;"


def test_old_exports_are_pruned(ctx):
    import os

    old = ctx.export_path("old-note.md")
    old.write_text("patient text")
    os.utime(old, (1, 1))
    fresh = ctx.export_path("new-note.md")
    assert not old.exists() and fresh.parent == old.parent
    assert oct(fresh.parent.stat().st_mode & 0o777) == "0o700"


def test_differential_panel_for_a_described_presentation(ctx):
    _chat, session, ddx, _status = _ask(
        ctx, "58 year old man with crushing central chest pain " + XSS + ", sweaty and clammy",
        age=58, sex="male")[-1]
    assert "Differential diagnosis" in ddx and "Acute coronary syndrome" in ddx
    assert "I21.9" in ddx and ">likely<" in ddx
    assert "<img" not in ddx and "<script" not in ddx
    assert session["turns"][-1]["ddx"][0]["name"].startswith("Acute coronary syndrome")
    row = ctx.audit.recent_interactions(limit=1)[0]
    assert row["details"]["ddx"][0] == session["turns"][-1]["ddx"][0]["id"]
    note = Path(consult.export_note(ctx, session, True, GP)).read_text()
    assert "Differential (ranked, not a diagnosis)" in note


def test_no_differential_for_a_plain_question_and_bad_input_is_explained(ctx):
    assert _ask(ctx, "amoxicillin dose for adults?")[-1][2] == ""
    ddx = _ask(ctx, "abdominal pain and vomiting", age=40, sex="male", pregnant=True)[-1][2]
    assert "No differential" in ddx and "pregnan" in ddx


def test_differential_table_folds_the_conditions_kept_as_must_not_miss():
    conditions = [{"rank": n, "name": f"Condition {n}", "band": "possible", "icd10": ["X0"],
                   "score": 1.0, "for": [{"label": "cough", "words": ["cough <b>"]}],
                   "against": [], "next_steps": {"test": ["CXR"]},
                   "source": {"publisher": "NICE", "title": "T", "url": "https://x.org"}}
                  for n in range(1, 8)]
    html = consult.ddx_html(conditions)
    shown, folded = html.split("<details>")
    assert shown.count("<tr>") == 6 and folded.count("<tr>") == 3  # header + rows each
    assert "Also consider (2, must not miss): Condition 6, Condition 7" in folded
    assert "cough &lt;b&gt;" in shown and "Tests: CXR" in shown
    assert consult.ddx_html([], "No differential: bad age").count("bad age") == 1


def test_triage_highlights_findings_by_assertion_and_shows_text_vitals(ctx):
    badge, _news2, rules, rationale = triage_tab.run_triage(
        ctx, "no fever. acutely disoriented, BP 80/50", request=NURSE)
    assert 'data-level="emergency"' in badge
    assert 'data-assertion="absent"' in rules and 'data-assertion="present"' in rules
    assert "Read from the text" in rules and "sbp_mmhg 80" in rules
    assert "data-kind='discriminator'" in rules and "confidence" in rationale
