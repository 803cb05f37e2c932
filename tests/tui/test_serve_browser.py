"""``python -m tui --serve`` in a real browser: Debian's chromium, headless, driven by
playwright. The page shows the monitor, a key press reaches it (``?`` opens the help), and
a screenshot of the page is saved (into ``screenshots/serve.png`` with
``IPCSCOPE_SCREENSHOTS=1``, which is how the committed one was made).

The terminal in the page draws on a canvas (xterm.js), so what it shows is read where it
arrives: the frames of the page's own websocket. Skipped, with the reason, only when
chromium cannot run here; CI installs it (``.ci/run``), and there a missing chromium fails.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.tui.serve_helpers import ROOT, served

CHROMIUM = "/usr/bin/chromium"
SHOT = ROOT / "screenshots" / "serve.png"


def chromium_problem() -> str | None:
    """Why chromium cannot run here, or None."""
    if not Path(CHROMIUM).is_file():
        return f"{CHROMIUM} is missing (apt-get install -y chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:
        return f"the playwright package is missing ({exc}); pip install -e '.[test]'"
    try:
        done = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                               "--dump-dom", "about:blank"], capture_output=True, text=True,
                              timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{CHROMIUM} does not start: {exc}"
    if done.returncode != 0:
        return f"{CHROMIUM} does not start: {done.stderr.strip()[-300:]}"
    return None


PROBLEM = chromium_problem()
pytestmark = pytest.mark.skipif(PROBLEM is not None and not os.environ.get("CI"),
                                reason=f"no usable chromium: {PROBLEM}")


@pytest.fixture(autouse=True)
def chromium_in_ci() -> None:
    if PROBLEM is not None:
        pytest.fail(f"CI must run the browser tests, but: {PROBLEM}")


def wait_until(cond: Callable[[], bool], page: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, f"the page never showed {what}"
        page.wait_for_timeout(100)


@pytest.mark.timeout(240)
def test_browser_shows_the_monitor_and_keys_reach_it(tmp_path: Path) -> None:
    import asyncio

    from playwright.sync_api import sync_playwright

    shot = SHOT if os.environ.get("IPCSCOPE_SCREENSHOTS") else tmp_path / "serve.png"
    with served("--demo", "signal", "--speed", "3") as server:
        asyncio.run(server.wait_listening())
        received = bytearray()
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM,
                                        args=["--no-sandbox", "--disable-gpu"])
            try:
                page = browser.new_page(viewport={"width": 1280, "height": 760})

                def on_socket(ws: Any) -> None:
                    def on_frame(payload: Any) -> None:
                        if isinstance(payload, bytes | bytearray):
                            received.extend(payload)
                        else:
                            received.extend(str(payload).encode())
                    ws.on("framereceived", on_frame)

                page.on("websocket", on_socket)
                page.goto(server.url + "/", wait_until="domcontentloaded")
                wait_until(lambda: b"demo signal" in received and b"processes" in received,
                           page, 90, "the monitor")
                assert "ipcscope" in page.content()  # the page names the app
                wait_until(lambda: page.evaluate(
                    "document.body.classList.contains('-first-byte')"), page, 30,
                    "the terminal")
                wait_until(lambda: b"SIGUSR2" in received, page, 60, "the demo's signals")
                page.wait_for_timeout(1500)  # let the first frames settle before the picture
                page.screenshot(path=str(shot))
                page.locator("#terminal").click()
                before = len(received)
                page.keyboard.press("?")
                wait_until(lambda: b"monitor:" in received[before:]
                           and b"keys" in received[before:], page, 60, "the help screen")
            finally:
                browser.close()
        data = shot.read_bytes()
        assert data.startswith(b"\x89PNG")
        assert len(data) > 20_000  # a drawn terminal, not a blank page (~4 KB)
        took = server.stop()
        assert took < 10
        assert server.alive() == []
        assert server.new_queues() == set()


def test_chromium_is_where_ci_puts_it() -> None:
    assert shutil.which("chromium") == CHROMIUM
