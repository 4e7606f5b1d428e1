"""Collection rule for the tests that need Tracr (the ``[tracr]`` extra).

Their modules (``test_*tracr*.py`` here) import `languages.rasp_tracr`, which
imports Tracr, so they are collected only when the ``-m`` expression asks for
the ``tracr`` marker (as in ``pytest -m tracr``); by default (``not ... and not
tracr``) they are neither imported nor run, as the ``slow`` suites are
deselected. Without Tracr installed, ``-m tracr`` fails on the import.
"""

from __future__ import annotations

TRACR_MODULES = "test_*tracr*.py"  # a glob: the modules that import Tracr


def asks_for_tracr(markexpr: str) -> bool:
    """Whether the marker expression names ``tracr`` other than as ``not tracr``."""
    words = markexpr.replace("(", " ").replace(")", " ").split()
    return any(w == "tracr" and (k == 0 or words[k - 1] != "not") for k, w in enumerate(words))


def pytest_ignore_collect(collection_path, config):
    if collection_path.match(TRACR_MODULES) and not asks_for_tracr(config.option.markexpr):
        return True
    return None
