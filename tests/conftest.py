"""Test-wide set-up: notebooks run by nbval are a static execution, not a reader's session, so
their kernels (which inherit this environment) build no live widgets (see probrnn.live)."""

import os

import pytest

from probrnn.widgets.live import STATIC_ENV

os.environ[STATIC_ENV] = "1"


@pytest.fixture(scope="session")
def playwright():
    """One Playwright for the whole session: its sync API allows only one per thread, and both
    tests/test_browser.py, tests/test_jupyterlab.py and the course's PDF and slides
    (tests/test_course.py) drive Chromium with it."""
    sync_api = pytest.importorskip("playwright.sync_api")
    from probrnn.course.browser import share_playwright

    with sync_api.sync_playwright() as p:
        share_playwright(p)  # the course's PDF and slides launch from it too
        try:
            yield p
        finally:
            share_playwright(None)
