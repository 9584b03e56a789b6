"""Load test of the web app: N simulated users (gradio_client threads) for a fixed time.

Starts its own server on 127.0.0.1 (or uses --url, which must be a loopback address), signs
each simulated user in, and loops consult / triage / search requests until the time is up.
Reports errors, latency percentiles per kind, throughput, and whether the audit store gained
exactly one row per request. Bounded: no request starts after --duration-s, each waits at
most --request-timeout-s, and the script never talks to anything but this computer.

    .venv/bin/python scripts/load_test.py --users 10 --duration-s 120 --mix consult=4,triage=3,search=3
    .venv/bin/python scripts/load_test.py --model scripted ...   # web stack only, no LLM

Prints one JSON object (and writes it to --out when given).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

QUESTIONS = (
    "Clinic blood pressure 152/96 in a 54 year old: how do I confirm hypertension?",
    "Adult with community-acquired pneumonia, low severity: which antibiotic and dose?",
    "Sore throat in a 25 year old, FeverPAIN 4: antibiotics?",
    "3 year old with otalgia for 2 days, should I prescribe antibiotics?",
    "Type 2 diabetes, HbA1c 58 on metformin: what next?",
    "Acute gout flare in a 60 year old man: first-line treatment?",
)
TRIAGE_TEXTS = (
    "crushing central chest pain for 30 minutes, sweaty",
    "sore throat and mild fever for two days, eating and drinking",
    "sudden severe headache, worst ever, neck stiffness",
    "cough for a week, no breathlessness",
)
SEARCHES = ("ABPM to confirm hypertension", "amoxicillin dose pneumonia", "FeverPAIN score",
            "gout colchicine", "asthma inhaler step up")
PASSWORD = "load-test-password"


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def check_loopback(url: str) -> None:
    host = urlparse(url).hostname or ""
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit(f"--url must point at this computer (127.0.0.1), got {host!r}")


def start_server(args, data_dir: Path):
    """A server over this data directory with one sign-in per simulated role."""
    from assistant.chat import ScriptedChatModel
    from assistant.factory import build_assistant, build_retriever
    from ui.web.app import launch_app
    from ui.web.auth import UserStore
    from ui.web.context import WebContext

    if args.model == "scripted":
        reply = ("Offer ambulatory blood pressure monitoring to confirm hypertension [1]. "
                 "Use clinical judgement [2].")
        assistant = build_assistant(data_dir, chat_model=ScriptedChatModel([reply]),
                                    retriever=build_retriever(data_dir))
    else:
        assistant = build_assistant(data_dir, args.model_id)
        assistant.chat_model.load()  # warm: the test measures serving, not the first load
    ctx = WebContext.create(data_dir, assistant=assistant, use_sign_in=False)
    users_dir = Path(tempfile.mkdtemp(prefix="ruiyi-load-users-"))
    ctx.users = UserStore(users_dir / "users.json")
    for role in ("gp", "nurse"):
        ctx.users.add(f"load-{role}", role, PASSWORD)
    demo = launch_app(ctx, "127.0.0.1", args.port, prevent_thread_lock=True, quiet=True)
    return ctx, demo, users_dir


def simulated_user(number: int, url: str, mix: list[str], deadline: float, timeout_s: float,
                   results: list, lock: threading.Lock) -> None:
    from gradio_client import Client

    rng = random.Random(number)
    clients = {}
    for kind in set(mix):
        role = "nurse" if kind == "triage" else "gp"
        clients[kind] = Client(url, auth=(f"load-{role}", PASSWORD), verbose=False,
                               download_files=False)
    while time.monotonic() < deadline:
        kind = rng.choice(mix)
        started = time.monotonic()
        error = ""
        try:
            if kind == "consult":
                job = clients[kind].submit(rng.choice(QUESTIONS), None, "", False,
                                           api_name="/consult")
            elif kind == "triage":
                job = clients[kind].submit(rng.choice(TRIAGE_TEXTS), rng.randint(20, 85),
                                           rng.choice(["female", "male"]), False,
                                           rng.randint(55, 130), rng.randint(10, 30),
                                           rng.randint(85, 160), rng.randint(88, 100), 1, False,
                                           round(rng.uniform(36.0, 39.5), 1), "A",
                                           api_name="/triage")
            else:
                job = clients[kind].submit(rng.choice(SEARCHES), [], [], 5, api_name="/search")
            job.result(timeout=timeout_s)
        except Exception as e:  # every failure counts; the message is ours, not patient text
            error = f"{type(e).__name__}: {str(e)[:120]}"
        with lock:
            results.append({"kind": kind, "seconds": time.monotonic() - started, "error": error,
                            "user": number})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--duration-s", type=float, default=120.0)
    parser.add_argument("--request-timeout-s", type=float, default=300.0)
    parser.add_argument("--mix", default="consult=4,triage=3,search=3",
                        help="request kinds and weights, e.g. consult=1")
    parser.add_argument("--model", choices=("default", "scripted"), default="default",
                        help="default: the offline SmolLM2; scripted: a fixed reply (no LLM)")
    parser.add_argument("--model-id", default=None, help="another model id or path")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="data directory (index, model cache); default $RUIYI_HOME or a "
                        "temporary one")
    parser.add_argument("--port", type=int, default=7870)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    if not 1 <= args.users <= 100:
        raise SystemExit(f"--users must be 1-100, got {args.users}")
    if not 1 <= args.duration_s <= 3600:
        raise SystemExit(f"--duration-s must be 1-3600, got {args.duration_s}")
    mix = []
    for part in args.mix.split(","):
        kind, _, weight = part.partition("=")
        if kind not in ("consult", "triage", "search"):
            raise SystemExit(f"--mix kinds are consult, triage, search; got {kind!r}")
        mix += [kind] * int(weight or 1)

    data_dir = args.data_dir or (Path(os.environ["RUIYI_HOME"]) if os.environ.get("RUIYI_HOME")
                                 else Path(tempfile.mkdtemp(prefix="ruiyi-load-")))
    started_setup = time.monotonic()
    ctx, demo, users_dir = start_server(args, data_dir)
    url = demo.local_url
    check_loopback(url)
    setup_s = time.monotonic() - started_setup
    rows_before = ctx.audit.count_interactions()

    results: list[dict] = []
    lock = threading.Lock()
    deadline = time.monotonic() + args.duration_s
    threads = [threading.Thread(target=simulated_user, daemon=True,
                                args=(n, url, mix, deadline, args.request_timeout_s, results, lock))
               for n in range(args.users)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=args.duration_s + args.request_timeout_s + 60)
    elapsed = time.monotonic() - began
    time.sleep(1.0)  # let the last audit writes commit
    rows_after = ctx.audit.count_interactions()
    demo.close()
    shutil.rmtree(users_dir, ignore_errors=True)

    report = {"users": args.users, "duration_s": args.duration_s, "model": args.model,
              "mix": args.mix, "setup_s": round(setup_s, 1), "elapsed_s": round(elapsed, 1),
              "requests": len(results), "errors": sum(1 for r in results if r["error"]),
              "error_examples": sorted({r["error"] for r in results if r["error"]})[:5],
              "throughput_per_s": round(len(results) / elapsed, 2) if elapsed else None,
              "audit_rows_added": rows_after - rows_before}
    report["audit_rows_equal_requests"] = report["audit_rows_added"] == report["requests"]
    for kind in ("all", "consult", "triage", "search"):
        seconds = [r["seconds"] for r in results if kind == "all" or r["kind"] == kind]
        if seconds:
            report[kind] = {"n": len(seconds),
                            **{f"p{q}_s": round(percentile(seconds, q), 3) for q in (50, 95)},
                            "max_s": round(max(seconds), 3)}
    text = json.dumps(report, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
