"""A temp dir too deep for a Unix socket's 108 bytes: the collector still starts."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

import pytest

from ipccore.monitor.collector import Collector
from ipccore.monitor.privdir import SUN_PATH_MAX


@pytest.fixture
def deep_tmp(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    deep.mkdir(parents=True)
    monkeypatch.setattr(tempfile, "tempdir", str(deep))
    return deep


def test_collector_starts_under_a_deep_temp_dir(deep_tmp: Path) -> None:
    async def run() -> Path:
        collector = Collector()
        try:
            await collector.start()
            assert collector.path.exists()
            return collector.path
        finally:
            await collector.close()

    path = asyncio.run(run())
    assert len(bytes(path)) <= SUN_PATH_MAX
    assert not path.parent.exists()


def test_an_explicit_path_too_long_is_refused_clearly(deep_tmp: Path) -> None:
    with pytest.raises(ValueError, match="at most 107 bytes"):
        Collector(deep_tmp / "events.sock")
