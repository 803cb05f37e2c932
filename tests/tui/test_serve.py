"""``python -m tui --serve``: the page, a tab's websocket with the monitor's first screen,
and a stop that ends every run and removes its queues, even with tabs still open.

The monitor's screen names its run in the status line (``demo pipe``) and has a
``processes`` panel; the page names the app ``ipcscope``."""

from __future__ import annotations

import asyncio
import signal
import time

import aiohttp
import pytest

from tests.conftest import _our_temp_entries
from tests.tui.serve_helpers import served
from tui.serve import tab_argv, warning

FIRST_SCREEN_S = 60.0


async def first_screen(ws: aiohttp.ClientWebSocketResponse, needle: bytes) -> bytes:
    """Bytes of the terminal stream until ``needle`` shows up."""
    seen = b""
    deadline = time.monotonic() + FIRST_SCREEN_S
    while needle not in seen:
        left = deadline - time.monotonic()
        assert left > 0, f"no {needle!r} in {len(seen)} bytes of screen"
        msg = await ws.receive(timeout=left)
        if msg.type == aiohttp.WSMsgType.BINARY:
            seen += msg.data
        elif msg.type == aiohttp.WSMsgType.TEXT:
            continue
        else:
            raise AssertionError(f"websocket ended: {msg.type}")
    return seen


async def first_screen_more(ws: aiohttp.ClientWebSocketResponse, seen: bytes,
                            needle: bytes) -> bytes:
    return seen if needle in seen else seen + await first_screen(ws, needle)


def test_tab_argv_passes_todays_arguments_through() -> None:
    argv = tab_argv(["--serve", "--demo", "signal", "--port", "9", "--host=0.0.0.0",
                     "--speed", "0.5"])
    assert argv[1:] == ["-m", "tui", "--demo", "signal", "--speed", "0.5"]
    argv = tab_argv(["--serve", "--run", "--", "prog", "--port", "1", "--serve"])
    assert argv[1:] == ["-m", "tui", "--run", "--", "prog", "--port", "1", "--serve"]


def test_loud_warning_only_off_loopback() -> None:
    assert warning("127.0.0.1", 8000) is None
    assert warning("localhost", 8000) is None
    text = warning("0.0.0.0", 8000)
    assert text is not None
    assert "ANYONE WHO CAN REACH THIS PORT CAN START DEMOS" in text


@pytest.mark.timeout(180)
async def test_page_websocket_first_screen_then_nothing_left() -> None:
    with served("--demo", "pipe", "--speed", "3") as server:
        await server.wait_listening()
        async with aiohttp.ClientSession() as http:
            async with http.get(server.url + "/") as page:
                assert page.status == 200
                html = await page.text()
            assert "<html" in html.lower()
            assert "ipcscope" in html
            assert f"ws://127.0.0.1:{server.port}/ws" in html
            async with http.ws_connect(server.url + "/ws?width=100&height=30") as ws:
                screen = await first_screen(ws, b"demo pipe")
                assert b"processes" in await first_screen_more(ws, screen, b"processes")
                assert len(server.track()) >= 2  # the tab's monitor and its demo's master
            # The tab closed: its monitor quits and stops its run.
            deadline = time.monotonic() + 15
            while server.alive() and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
            assert server.alive() == []
        took = server.stop(signal.SIGINT)  # Ctrl+C
        assert server.proc.returncode == 0
        assert took < 10
        assert server.alive() == []
        assert server.new_queues() == set()


@pytest.mark.timeout(180)
async def test_stop_with_tabs_open_ends_every_run_and_its_queues() -> None:
    with served("--demo", "queue", "--speed", "20") as server:
        await server.wait_listening()
        async with aiohttp.ClientSession() as http:
            tabs = [await http.ws_connect(server.url + "/ws?width=100&height=30")
                    for _ in range(2)]
            for ws in tabs:
                await first_screen(ws, b"demo queue")
            deadline = time.monotonic() + 60
            while len(server.new_queues()) < 2 and time.monotonic() < deadline:
                server.track()
                await asyncio.sleep(0.1)
            assert len(server.new_queues()) == 2  # each tab its own run, its own queue
            pids = server.track()
            assert len(pids) >= 6  # two monitors, two masters, their children
            took = server.stop()
            assert server.proc.returncode == 0
            assert took < 10, f"stopping took {took:.1f} s"
            assert server.alive() == []
            assert server.new_queues() == set()
            for ws in tabs:  # the tabs are told: the screen they had, then the end
                msg = await ws.receive(timeout=10)
                while msg.type in (aiohttp.WSMsgType.BINARY, aiohttp.WSMsgType.TEXT):
                    msg = await ws.receive(timeout=10)
                assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED,
                                    aiohttp.WSMsgType.CLOSING)
                await ws.close()


@pytest.mark.timeout(180)
async def test_a_killed_server_takes_its_tabs_with_it() -> None:
    """SIGKILL leaves the server no say: each tab's monitor gets SIGTERM from the kernel
    (PR_SET_PDEATHSIG) and quits as ``q`` would, run stopped and queue removed."""
    dirs = _our_temp_entries()
    with served("--demo", "queue", "--speed", "20") as server:
        await server.wait_listening()
        async with aiohttp.ClientSession() as http:
            ws = await http.ws_connect(server.url + "/ws?width=100&height=30")
            await first_screen(ws, b"demo queue")
            deadline = time.monotonic() + 60
            while not server.new_queues() and time.monotonic() < deadline:
                server.track()
                await asyncio.sleep(0.1)
            assert len(server.new_queues()) == 1
            server.track()
            server.proc.kill()
            server.proc.wait(10)
            deadline = time.monotonic() + 20
            while (server.alive() or server.new_queues()) and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
            assert server.alive() == []
            assert server.new_queues() == set()
            # It quit cleanly: its run's collector and recording directories are gone.
            assert _our_temp_entries() - dirs == set()
            await ws.close()
