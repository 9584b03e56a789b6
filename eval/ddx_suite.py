"""The ``ddx`` suite: differential-diagnosis vignettes run and scored by ``eval.ddx_bench``
(written by the differential-diagnosis helper). This module only adapts that bench to the
runner's load / execute / score steps; without it the suite says what is missing.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from eval.suites import LoadedSuite, SuiteInputError


def _bench():
    if importlib.util.find_spec("eval.ddx_bench") is None:
        raise SuiteInputError("the ddx suite needs eval/ddx_bench.py, which is not installed yet")
    import eval.ddx_bench as bench

    return bench


def load_ddx(data_path: Path, subset: str | None = None) -> LoadedSuite:
    _bench()
    raise SuiteInputError("the ddx suite is not wired to eval/ddx_bench.py yet")


def default_ddx_fn():
    _bench()
    raise SuiteInputError("the ddx suite is not wired to eval/ddx_bench.py yet")


def score_ddx_result(case, result):
    raise SuiteInputError("the ddx suite is not wired to eval/ddx_bench.py yet")
