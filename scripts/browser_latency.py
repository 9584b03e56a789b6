"""Time to first token and to the full answer, as a GP sees them in the browser.

Starts the web app on 127.0.0.1 with the default models (or uses --url, loopback only), opens
it in headless Chromium (Debian's /usr/bin/chromium through Playwright), asks each question in
a new consultation and records, from the click on "Ask": when the first model text appears in
the answer bubble, and when the finished answer's status line appears.

    .venv/bin/python scripts/browser_latency.py --data-dir /path/to/ruiyi-home --out t.json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

QUESTIONS = (
    "Clinic blood pressure 152/96 mmHg in a 54 year old: how do I confirm hypertension?",
    "Adult with low-severity community-acquired pneumonia: which antibiotic and dose?",
    "Sore throat in a 25 year old with FeverPAIN 4: should I give antibiotics?",
    "Acute gout flare in a 60 year old man: what is first-line treatment?",
    "Type 2 diabetes with HbA1c 58 mmol/mol on metformin: what next?",
)
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
PLACEHOLDER = "Searching the guidelines"
# The last answer bubble's text, minus the red-flag banner and the source cards.
ANSWER_JS = """() => { const a = document.querySelectorAll('#consult-chat .ry-answer');
  return a.length ? a[a.length - 1].innerText : ''; }"""
STATUS_JS = "() => (document.querySelector('#consult-status') || {innerText: ''}).innerText"


DDX_PENDING_JS = ("() => !(document.querySelector('#consult-ddx') || {innerText: ''})"
                  ".innerText.includes('Working out')")


def measure(page, question: str, poll_s: float = 0.02, timeout_s: float = 300.0) -> dict:
    # The previous turn is finished only when its differential is in.
    page.wait_for_function(DDX_PENDING_JS, timeout=timeout_s * 1000)
    page.click("#consult-clear")
    page.wait_for_function("() => document.querySelectorAll('#consult-chat .ry-answer').length === 0")
    page.fill("#consult-question textarea", question)
    started = time.perf_counter()
    page.click("#consult-send")
    first = full = None
    while time.perf_counter() - started < timeout_s:
        answer = page.evaluate(ANSWER_JS)
        now = time.perf_counter() - started
        if first is None and answer and PLACEHOLDER not in answer and answer.strip("▌ \n"):
            first = now
        if "total" in page.evaluate(STATUS_JS):
            full = now
            first = first if first is not None else now
            break
        time.sleep(poll_s)
    return {"question": question, "first_token_s": None if first is None else round(first, 2),
            "full_answer_s": None if full is None else round(full, 2),
            "answer_chars": len(page.evaluate(ANSWER_JS))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", default=None, help="an already running app (loopback only, "
                        "started without sign-in)")
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--port", type=int, default=7872)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()

    demo = None
    url = args.url
    if url is None:
        from assistant.factory import build_assistant
        from ui.web.app import launch_app
        from ui.web.context import WebContext

        data_dir = args.data_dir or Path(os.environ.get("RUIYI_HOME", "ruiyi-home"))
        assistant = build_assistant(data_dir)
        ctx = WebContext.create(data_dir, assistant=assistant, use_sign_in=False)
        demo = launch_app(ctx, "127.0.0.1", args.port, prevent_thread_lock=True, quiet=True)
        url = demo.local_url
    if (urlparse(url).hostname or "") not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("--url must point at this computer (127.0.0.1)")

    from playwright.sync_api import sync_playwright

    rows = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                             args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.goto(url)
        page.wait_for_selector("#consult-send")
        # The first question also loads the model weights; time it apart.
        warm = measure(page, "How is hypertension confirmed?")
        for question in QUESTIONS:
            rows.append(measure(page, question))
        browser.close()
    if demo is not None:
        demo.close()
    firsts = [r["first_token_s"] for r in rows if r["first_token_s"] is not None]
    fulls = [r["full_answer_s"] for r in rows if r["full_answer_s"] is not None]
    report = {"url_host": urlparse(url).hostname, "warm_up_incl_model_load": warm,
              "questions": rows,
              "first_token_median_s": round(statistics.median(firsts), 2) if firsts else None,
              "full_answer_median_s": round(statistics.median(fulls), 2) if fulls else None}
    text = json.dumps(report, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
