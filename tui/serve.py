"""``python -m tui --serve``: the monitor in a browser, one monitor and one run per tab.

textual-serve's :class:`~textual_serve.server.Server` serves a page with a terminal in it;
each websocket (each browser tab) gets its own ``python -m tui ...`` process, driven by
Textual's web driver, which starts its own demo run. Two things are ours:

- **Each tab's monitor is started in a session of its own** (``start_new_session``), and
  its demo run is its child, so the tab is one process group. A Ctrl+C in the server's
  terminal then reaches only the server, which ends the tabs in order; and a tab that does
  not end when asked can be ended whole with ``killpg``.
- **Stopping is bounded.** On Ctrl+C or SIGTERM (and when a tab closes) each monitor is
  asked to quit, as its ``q`` key would: it stops its run (SIGTERM, then SIGKILL after
  2 s, reaped) and removes the queues the run created. A monitor that has not ended after
  :data:`QUIT_GRACE_S` gets SIGTERM as a group, then SIGKILL after :data:`TERM_GRACE_S`;
  the server waits for every tab, so all is gone within 10 s even with tabs still open.
  (textual-serve alone waits for each tab's process without a limit, and aiohttp waits up
  to 60 s for open websockets.)

Anyone who can reach the port can start demos (processes, queues, signals) as the user
running the server, so it listens on 127.0.0.1 unless told otherwise, and says so loudly
when it is not.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Sequence
from typing import Any

import aiohttp_jinja2
from aiohttp import WSCloseCode, web
from textual_serve.app_service import AppService
from textual_serve.server import Server, to_int

from tui.tab import ENV_SERVER

QUIT_GRACE_S = 5.0
"""How long a tab's monitor gets to stop its run and leave after being asked to quit."""
TERM_GRACE_S = 2.0
"""After that, how long its process group gets between SIGTERM and SIGKILL."""
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
SERVE_OPTIONS = ("--serve",)
SERVE_VALUES = ("--host", "--port")

log = logging.getLogger("ipcscope.serve")


def tab_argv(argv: Sequence[str]) -> list[str]:
    """The monitor's own arguments for each tab: ``argv`` less ``--serve``/``--host``/
    ``--port`` (``--demo signal --speed 0.5`` pass through as they are)."""
    out: list[str] = []
    skip = False
    for i, arg in enumerate(argv):
        if arg == "--":  # the command of --run: its arguments are its own
            out.extend(argv[i:])
            break
        if skip:
            skip = False
            continue
        if arg in SERVE_OPTIONS:
            continue
        if arg in SERVE_VALUES:
            skip = True
            continue
        if arg.startswith(tuple(f"{opt}=" for opt in SERVE_VALUES)):
            continue
        out.append(arg)
    return [sys.executable, "-m", "tui", *out]


class _Tab(AppService):
    """One browser tab's monitor process, in a process group of its own."""

    def __init__(self, argv: list[str], **kwargs: Any) -> None:
        super().__init__(" ".join(argv), **kwargs)
        self.argv = argv
        self._ended = False

    async def _open_app_process(self, width: int = 80, height: int = 24,
                                ) -> asyncio.subprocess.Process:
        # No shell (textual-serve runs its command through one): the pid is the monitor's,
        # and the arguments are never parsed twice.
        env = self._build_environment(width=width, height=height)
        env[ENV_SERVER] = str(os.getpid())  # the monitor dies with us (tui.tab)
        process = await asyncio.create_subprocess_exec(
            *self.argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE, env=env, start_new_session=True,
        )
        self._process = process
        assert process.stdin is not None
        self._stdin = process.stdin
        return process

    @property
    def process(self) -> asyncio.subprocess.Process | None:
        return self._process

    async def end(self) -> None:
        """Ask the monitor to quit; then SIGTERM, then SIGKILL its group. Idempotent."""
        if self._ended:
            return
        self._ended = True
        process = self._process
        with contextlib.suppress(TimeoutError, OSError, RuntimeError):
            await asyncio.wait_for(self.stop(), QUIT_GRACE_S)
        if process is None:
            return
        steps = ((None, 0.5), (signal.SIGTERM, TERM_GRACE_S), (signal.SIGKILL, 5.0))
        for signum, grace in steps:
            if signum is not None:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(process.pid, signum)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(process.wait(), grace)
                break
        # The monitor is gone and has stopped its run; whatever is left in its group is a
        # stray of that run.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)


class MonitorServer(Server):
    """textual-serve's server with one process group per tab and a bounded stop."""

    def __init__(self, argv: Sequence[str], host: str, port: int) -> None:
        self.tab_argv = tab_argv(argv)
        super().__init__(" ".join(self.tab_argv[2:]), host=host, port=port,
                         title="ipcscope")
        self.tabs: set[_Tab] = set()
        self.sockets: set[web.WebSocketResponse] = set()

    async def on_startup(self, app: web.Application) -> None:
        where = f"http://{_url_host(self.host)}:{self.port}/"
        print(f"ipcscope: serving the monitor at {where} (each browser tab gets its own "
              f"monitor and its own run of: {' '.join(self.tab_argv[1:])}). Ctrl+C stops "
              f"every run it started.", flush=True)

    async def on_shutdown(self, app: web.Application) -> None:
        """End every tab (bounded), then close their websockets."""
        tabs = list(self.tabs)
        if tabs:
            await asyncio.gather(*(tab.end() for tab in tabs), return_exceptions=True)
        for websocket in list(self.sockets):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(
                    websocket.close(code=WSCloseCode.GOING_AWAY, message=b"server stopped"),
                    1.0)

    @aiohttp_jinja2.template("app_index.html")
    async def handle_index(self, request: web.Request) -> dict[str, Any]:
        """The page, with the websocket's address taken from the request: a server bound
        to 0.0.0.0 is reached under the name the browser used."""
        origin = f"{request.scheme}://{request.host}"
        ws_origin = ("wss://" if request.scheme == "https" else "ws://") + request.host
        router = request.app.router
        return {
            "font_size": to_int(request.query.get("fontsize", "16"), 16),
            "app_websocket_url": f"{ws_origin}{router['websocket'].url_for()}",
            "config": {"static": {
                "url": f"{origin}{router['static'].url_for(filename='/')}".rstrip("/") + "/",
            }},
            "application": {"name": self.title},
        }

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        """A tab: its own monitor process, ended (bounded) when the tab goes away."""
        websocket = web.WebSocketResponse(heartbeat=15)
        width = to_int(request.query.get("width", "80"), 80)
        height = to_int(request.query.get("height", "24"), 24)
        tab: _Tab | None = None
        try:
            await websocket.prepare(request)
            self.sockets.add(websocket)
            tab = _Tab(self.tab_argv, write_bytes=websocket.send_bytes,
                       write_str=websocket.send_str, close=websocket.close,
                       download_manager=self.download_manager, debug=self.debug)
            self.tabs.add(tab)
            await tab.start(width, height)
            await self._process_messages(websocket, tab)
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                await websocket.close()
        except Exception as error:
            log.exception(error)
        finally:
            if tab is not None:
                await tab.end()
                self.tabs.discard(tab)
            self.sockets.discard(websocket)
        return websocket


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def warning(host: str, port: int) -> str | None:
    """The warning for a server reachable from elsewhere (None on a loopback address)."""
    if host in LOCAL_HOSTS:
        return None
    bar = "!" * 78
    return (f"{bar}\n"
            f"!! ipcscope --serve is listening on {host}:{port}, not only on this machine.\n"
            f"!! ANYONE WHO CAN REACH THIS PORT CAN START DEMOS (processes, SysV queues,\n"
            f"!! signals) AS USER {_user()}, and see everything they print. There is no\n"
            f"!! password. Use --host 127.0.0.1 (the default) unless you mean it.\n"
            f"{bar}")


def _user() -> str:
    try:
        import pwd

        return pwd.getpwuid(os.getuid()).pw_name
    except (ImportError, KeyError):
        return str(os.getuid())


def serve(argv: Sequence[str], host: str, port: int) -> int:
    """Serve the monitor until Ctrl+C or SIGTERM; every tab's run is stopped on the way out."""
    text = warning(host, port)
    if text is not None:
        print(text, file=sys.stderr, flush=True)
    server = MonitorServer(argv, host, port)
    logging.basicConfig(level=logging.WARNING, format="ipcscope serve: %(message)s")
    # textual-serve's serve() also installs handlers for SIGINT and SIGTERM on the loop;
    # set up our own loop so nothing depends on a deprecated get_event_loop().
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, server.request_exit)
    try:
        web.run_app(server._make_app(), host=host, port=port, handle_signals=False,
                    loop=loop, print=lambda *_args: None, shutdown_timeout=2.0)
    except OSError as exc:
        print(f"python -m tui --serve: cannot listen on {host}:{port}: {exc.strerror}",
              file=sys.stderr)
        return 1
    finally:
        loop.close()
    return 0
