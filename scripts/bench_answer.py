"""Start-up and answer latency of `ruiyi ask`, as a user meets it (median of N runs).

For each run a fresh data directory is used for the cold start (first ever: index build and
the one-time GGUF conversion included); warm starts reuse it. Each `ruiyi ask --json` runs in
its own process, so the figures include Python and library imports. Peak memory is the
largest max-RSS of those processes.

    .venv/bin/python scripts/bench_answer.py --runs 3 [--json]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

QUESTIONS = [
    "clinic BP 152/96 in a 54 year old, how do I confirm hypertension?",
    "adult sore throat FeverPAIN 4, which antibiotic and dose?",
    "3 year old with acute otitis media for 2 days, antibiotics or not?",
    "amoxicillin dose for community-acquired pneumonia in an adult with CRB-65 of 0",
    "when should I refer a woman with a suspected UTI in pregnancy?",
]


def ask(question: str, data_dir: Path) -> tuple[float, dict, int]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "ui.cli", "ask", question, "--json",
                           "--data-dir", str(data_dir)], capture_output=True, text=True,
                          check=True)
    wall = time.perf_counter() - started
    rss_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, json.loads(done.stdout), rss_kib


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    cold, warm, load_ms, first_token, total, peak = [], [], [], [], [], 0
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            wall, _, rss = ask(QUESTIONS[0], Path(tmp))
            cold.append(wall)
            peak = max(peak, rss)
            for question in QUESTIONS:
                wall, answer, rss = ask(question, Path(tmp))
                warm.append(wall)
                peak = max(peak, rss)
                timings = answer["timings_ms"]
                if "model_load" in timings:
                    load_ms.append(timings["model_load"])
                if "first_token" in timings:
                    first_token.append(timings["first_token"])
                total.append(timings["total"])
    result = {
        "runs": args.runs,
        "cold_start_first_answer_s": round(statistics.median(cold), 2),
        "warm_process_first_answer_s": round(statistics.median(warm), 2),
        "warm_model_load_ms": round(statistics.median(load_ms), 1) if load_ms else None,
        "time_to_first_token_ms": round(statistics.median(first_token), 1) if first_token else None,
        "full_answer_ms": round(statistics.median(total), 1),
        "peak_rss_mib": round(peak / 1024, 1),
        "questions": len(QUESTIONS),
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for key, value in result.items():
            print(f"{key:32} {value}")


if __name__ == "__main__":
    main()
