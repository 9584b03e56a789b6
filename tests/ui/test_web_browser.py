"""End to end in headless Chromium (Debian's /usr/bin/chromium through Playwright): sign in,
ask a question and see the streamed answer with a source card, triage with vitals and see
the badge, upload a document and find it by search, score a case in Review.

Set RUIYI_SCREENSHOT_DIR to keep a screenshot of each tab (the README's come from a run with
RUIYI_BROWSER_REAL_MODELS=1, which serves MiniLM over the bundled corpus and SmolLM2).
"""

import json
import os
from pathlib import Path

import pytest

from ui.web.app import launch_app
from ui.web.context import WebContext
from web_fixtures import PASSWORD, free_port, make_context

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
USERS = {"admin1": "admin", "nurse1": "nurse"}
TIMEOUT_MS = 180_000 if os.environ.get("RUIYI_BROWSER_REAL_MODELS") == "1" else 30_000


@pytest.fixture(scope="module")
def server(tmp_path_factory, request):
    if not Path(CHROMIUM).exists():
        message = "needs Debian's chromium: apt-get install -y chromium chromium-driver"
        if os.environ.get("CI"):  # CI installs it (.ci/run): a missing browser is a failure there
            pytest.fail(message)
        pytest.skip(message)
    root = tmp_path_factory.mktemp("browser") / "data"
    real_models = os.environ.get("RUIYI_BROWSER_REAL_MODELS") == "1"
    if real_models:
        real = request.getfixturevalue("real_assistant")
        data_dir = request.getfixturevalue("real_data_dir")
        ctx = WebContext.create(data_dir, assistant=real, use_sign_in=False)
        ctx.eval_roots = [root / "eval"]
        from ui.web.auth import UserStore
        ctx.users = UserStore(root / "users.json")
        for name, role in USERS.items():
            ctx.users.add(name, role, PASSWORD)
    else:
        ctx = make_context(root, users=USERS)
    run = (ctx.eval_roots[0] / "run-browser")
    run.mkdir(parents=True)
    (run / "cases.jsonl").write_text(json.dumps({
        "case_id": "gp-htn-1", "group": "hypertension", "status": "scored", "reason": "",
        "scores": {}, "measures": {}, "detail": {"retrieved_top5": ["htn-confirm-abpm", "htn-stages"] if real_models
                   else ["htn-abpm"]},
        "question": "clinic BP 152/96 in a 54yo, how do I confirm?",
        "output": "Offer ABPM to confirm hypertension [1]."}) + "\n")
    demo = launch_app(ctx, "127.0.0.1", free_port(), prevent_thread_lock=True, quiet=True)
    yield ctx, demo.local_url
    demo.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _screenshot(page, name):
    folder = os.environ.get("RUIYI_SCREENSHOT_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def _sign_in(browser, url, user, shot=None):
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(url)
    page.get_by_label("username").wait_for()
    if shot:
        _screenshot(page, shot)
    page.get_by_label("username").fill(user)
    page.get_by_label("password").fill(PASSWORD)
    page.get_by_role("button", name="Login").click()
    page.wait_for_selector("#ry-who:has-text('Signed in as')")
    return page, dialogs


def _fill(page, elem_id, value):
    """Fill a Gradio Textbox or Number whatever element it renders as."""
    page.locator(f"#{elem_id} textarea, #{elem_id} input").first.fill(value)


def _open_tab(page, name):
    page.get_by_role("tab", name=name, exact=True).click()


def test_sign_in_shows_only_the_roles_tabs(server, browser):
    _ctx, url = server
    page, _ = _sign_in(browser, url, "nurse1", shot="sign-in")
    assert page.get_by_role("tab", name="Triage", exact=True).is_visible()
    assert page.get_by_role("tab", name="Consult", exact=True).count() == 0
    assert page.get_by_role("tab", name="Audit", exact=True).count() == 0
    page.close()


def test_consult_streams_a_cited_answer_with_source_cards(server, browser):
    ctx, url = server
    page, dialogs = _sign_in(browser, url, "admin1")
    page.get_by_text("Patient details for the differential").click()
    page.locator("#consult-age input").fill("54")
    page.fill("#consult-question textarea",
              "54-year-old with headaches, clinic blood pressure 152/96 mmHg: how do I confirm "
              "hypertension?")
    page.click("#consult-send")
    page.wait_for_selector("#consult-chat .ry-answer")
    page.wait_for_selector("#consult-status:has-text('total')")
    answer = page.locator("#consult-chat .ry-answer").last.inner_text()
    assert len(answer) > 20
    cards = page.locator("#consult-chat details.ry-card")
    assert cards.count() >= 1
    cards.first.locator("summary").click()
    assert "guidance" in cards.first.inner_text() or "http" in cards.first.inner_text()
    page.wait_for_selector("#consult-ddx .ry-ddx")  # the differential comes after the answer
    assert "Hypertension" in page.locator("#consult-ddx").inner_text()
    page.click("#consult-up")
    page.wait_for_selector("#consult-feedback-status:has-text('recorded')")
    _screenshot(page, "consult")
    assert dialogs == []  # no markup in an answer or passage ran
    assert ctx.audit.recent_interactions(limit=1, mode="consult")[0]["username"] == "admin1"
    page.close()


def test_markup_in_a_question_stays_inert(server, browser):
    _ctx, url = server
    page, dialogs = _sign_in(browser, url, "admin1")
    page.fill("#consult-question textarea",
              "blood pressure <img src=x onerror=alert(1)> <script>alert(2)</script>")
    page.click("#consult-send")
    page.wait_for_selector("#consult-status:has-text('total')")
    page.wait_for_timeout(500)
    assert dialogs == []
    assert page.locator("#consult-chat img[src='x']").count() == 0
    assert "<img src=x onerror=alert(1)>" in page.locator("#consult-chat").inner_text()
    page.close()


def test_triage_with_vitals_shows_the_badge_and_news2(server, browser):
    _ctx, url = server
    page, _ = _sign_in(browser, url, "admin1")
    _open_tab(page, "Triage")
    page.fill("#triage-text textarea", "61 year old man, crushing central chest pain for 30 "
              "minutes, sweaty and clammy")
    page.fill("#triage-age input", "61")
    for field, value in (("hr", "118"), ("rr", "24"), ("sbp", "95"), ("spo2", "94"),
                         ("temp", "37.2")):
        page.fill(f"#triage-{field} input", value)
    page.click("#triage-run")
    badge = page.wait_for_selector("#triage-badge .ry-badge")
    assert badge.get_attribute("data-level") == "emergency"
    assert "NEWS2" in page.locator("#triage-news2").inner_text()
    assert page.locator("#triage-rules mark").count() >= 1
    _screenshot(page, "triage")
    page.close()


def test_calculator_form_is_built_for_the_chosen_calculator(server, browser):
    _ctx, url = server
    page, _ = _sign_in(browser, url, "nurse1")
    page.get_by_text("Clinical calculators").click()
    for label, value in (("urea_mmol_l (mmol/L)", "8"), ("rr_per_min (/min)", "32"),
                         ("sbp_mmhg (mmHg)", "85"), ("dbp_mmhg (mmHg)", "50"),
                         ("age_years (years)", "70")):
        page.get_by_label(label, exact=True).fill(value)
    page.click("#calc-run")
    result = page.wait_for_selector("#calc-result .ry-calc")
    assert "CURB-65" in result.inner_text() and "Source" in result.inner_text()
    page.close()


def test_upload_then_search_finds_the_document(server, browser, tmp_path):
    _ctx, url = server
    document = tmp_path / "local-gout-pathway.md"
    document.write_text("# Local gout pathway\n\n## Acute flare\n\nFor an acute gout flare the "
                        "local pathway offers colchicine 500 micrograms two to four times a "
                        "day, after checking kidney function and interacting medicines.\n",
                        encoding="utf-8")
    page, dialogs = _sign_in(browser, url, "admin1")
    _open_tab(page, "Knowledge")
    page.get_by_role("tab", name="Upload", exact=True).click()
    page.locator("#kb-files input[type=file]").set_input_files(str(document))
    _fill(page, "kb-meta-publisher", "Local ICB")
    page.click("#kb-ingest")
    page.wait_for_selector("#kb-ingest-results:has-text('added')")
    _screenshot(page, "knowledge-upload")
    page.get_by_role("tab", name="Search", exact=True).click()
    _fill(page, "kb-query", "colchicine for an acute gout flare")
    page.click("#kb-search-run")
    page.wait_for_selector("#kb-results details.ry-card")
    assert "colchicine" in page.locator("#kb-results").inner_text()
    _screenshot(page, "knowledge-search")
    page.get_by_role("tab", name="Index", exact=True).click()
    page.click("#kb-stats-refresh")
    page.wait_for_selector("#kb-stats:has-text('Manifest hash')")
    _screenshot(page, "knowledge-index")
    assert dialogs == []
    page.close()


def test_review_scores_a_case(server, browser):
    ctx, url = server
    page, _ = _sign_in(browser, url, "admin1")
    _open_tab(page, "Review")
    page.locator("#review-run input").click()
    page.locator("[role=option]:has-text('run-browser')").first.click()
    page.click("#review-load")
    page.locator("#review-case input").click()
    page.locator("[role=option]:has-text('gp-htn-1')").first.click()
    page.wait_for_selector("#review-case-view:has-text('how do I confirm')")
    for item, score in (("accuracy", "4"), ("citations", "5"), ("safety", "5"),
                        ("completeness", "3"), ("clarity", "4")):
        page.locator(f"#review-{item} label").filter(has_text=score).first.click()
    _fill(page, "review-comment", "Good, misses the stage thresholds.")
    page.click("#review-save")
    page.wait_for_selector("#review-saved:has-text('Saved')")
    _screenshot(page, "review")
    saved = ctx.audit.reviews()
    assert saved[-1]["reviewer"] == "admin1" and saved[-1]["scores"]["completeness"] == 3
    page.close()


def test_audit_tab_lists_the_interactions(server, browser):
    _ctx, url = server
    page, _ = _sign_in(browser, url, "admin1")
    _open_tab(page, "Audit")
    page.click("#audit-refresh")
    page.wait_for_selector("#audit-summary:has-text('wal')")
    assert "admin1" in page.locator("#audit-table").inner_text()
    _screenshot(page, "audit")
    page.close()
