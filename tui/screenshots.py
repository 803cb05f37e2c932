"""``python -m tui.screenshots``: regenerate ``screenshots/`` from the committed recordings.

Per demo, the final screen of its recording replayed instantly at 120x36, in the panes
view (``DEMO.svg``) and in the sequence view (``DEMO-sequence.svg``); then the help screen,
the sibling demo stepped back to its SIGKILL (``sibling-paused.svg``) and the inspector on
one of its messages (``inspector.svg``); and any program (the hand-written recording of
a shell pipeline and a signal handler) at 80x24: its rows with the selected process's
channels and dispositions, the process inspector, the sequence view's links
(``any-80x24*.svg``). A PNG beside each when ``cairosvg`` is installed
(``pip install cairosvg``).
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

from ipcevents.replay import ReplaySource, read_recording
from tui.app import MonitorApp
from tui.sequence import Sequence

ROOT = Path(__file__).resolve().parent.parent
RECORDINGS = ROOT / "tests" / "data" / "recordings"
OUT = ROOT / "screenshots"
DEMOS = ("pipe", "sibling", "coroutine", "queue", "signal", "pool")
SIZE = (120, 36)
KEYS: dict[str, tuple[str, ...]] = {"pool": ("slash", *"kind:pool", "enter")}
"""Keys pressed before a demo's picture: the pool's log filtered to its pool events."""


def back_to(recording: Path, kind: str) -> tuple[str, ...]:
    """Keys that pause a finished replay and step back to its first event of ``kind``."""
    events = list(read_recording(recording))
    index = next(i for i, e in enumerate(events, 1) if e.kind == kind)
    return ("space", *["left"] * (len(events) - index))


def up_to(recording: Path, kind: str, nth: int = 1) -> tuple[str, ...]:
    """Keys that move the sequence view's row cursor to the ``nth`` row of ``kind``."""
    seq = Sequence()
    for event in read_recording(recording):
        seq.feed(event)
    rows = [i for i, r in enumerate(seq.rows) if r.event.kind == kind]
    return ("up",) * (len(seq.rows) - rows[nth - 1])


async def shoot(recording: Path, out: Path, keys: tuple[str, ...] = (),
                size: tuple[int, int] = SIZE) -> None:
    """Replay ``recording`` to its end, press ``keys``, save the screen as ``out``."""
    app = MonitorApp(lambda: ReplaySource(recording))
    async with app.run_test(size=size) as pilot:
        deadline = time.monotonic() + 30
        while not app.finished:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{recording} did not finish")
            await pilot.pause(0.02)
        await pilot.pause()
        if keys:
            await pilot.press(*keys)
            await pilot.pause(0.2)
        app.save_screenshot(filename=out.name, path=str(out.parent))


def to_png(svg: Path) -> Path | None:
    """A PNG beside ``svg``, or None when cairosvg is not installed."""
    try:
        import cairosvg  # type: ignore[import-not-found,import-untyped,unused-ignore]
    except ImportError:
        return None
    png = svg.with_suffix(".png")
    cairosvg.svg2png(url=str(svg), write_to=str(png), output_width=1600)
    return png


async def regenerate(out_dir: Path = OUT) -> list[Path]:
    out_dir.mkdir(exist_ok=True)
    shots: list[tuple[Path, Path, tuple[str, ...]]]
    shots = [(RECORDINGS / f"{name}.ndjson", out_dir / f"{name}.svg", KEYS.get(name, ()))
             for name in DEMOS]
    shots += [(RECORDINGS / f"{name}.ndjson", out_dir / f"{name}-sequence.svg", ("v",))
              for name in DEMOS]
    sibling = RECORDINGS / "sibling.ndjson"
    shots += [
        (RECORDINGS / "pipe.ndjson", out_dir / "help.svg", ("question_mark",)),
        (sibling, out_dir / "sibling-paused.svg", ("v", *back_to(sibling, "signal.send"))),
        (sibling, out_dir / "inspector.svg", ("v", *up_to(sibling, "pipe.write", 3), "enter")),
    ]
    written: list[Path] = []
    observed = RECORDINGS / "handwritten" / "observed.ndjson"
    small = [  # any program (a shell pipeline and a signal handler) on an 80x24 terminal
        (observed, out_dir / "any-80x24.svg", ("down",) * 4),
        (observed, out_dir / "any-80x24-inspector.svg", (*("down",) * 4, "enter")),
        (observed, out_dir / "any-80x24-links.svg", ("v",)),
    ]
    for recording, svg, keys, size in [*((*shot, SIZE) for shot in shots),
                                       *((*shot, (80, 24)) for shot in small)]:
        await shoot(recording, svg, keys, size)
        written.append(svg)
        png = to_png(svg)
        if png is not None:
            written.append(png)
    return written


def main() -> int:
    for path in asyncio.run(regenerate()):
        print(path.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
