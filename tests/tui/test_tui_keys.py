"""The one table of keys (tui/keys.py): everything that lists keys agrees with it."""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import Button

from tui import keys
from tui.app import MonitorApp
from tui.commands import ACTIONS
from tui.widgets.signals import SignalPanel


def _method(action: str) -> str:
    return "action_" + action.partition("(")[0]


def test_every_bound_action_exists_and_no_planned_one_does() -> None:
    """A planned row (``bound=False``) is flipped on in the table once its action exists;
    this fails until it is, so the table never lists a key that does nothing."""
    for row in keys.KEYS:
        for action in row.actions:
            exists = callable(getattr(MonitorApp, _method(action.action), None))
            assert exists == row.bound, (row.shown, action.action)


def test_no_key_is_bound_twice_and_planned_keys_are_free() -> None:
    seen: dict[str, str] = {}
    for row in keys.KEYS:
        for action in row.actions:
            for key in action.keys.split(","):
                assert key not in seen, f"{key} is bound to {seen[key]} and {action.action}"
                seen[key] = action.action


def test_bindings_palette_help_and_bar_come_from_the_table() -> None:
    bound = [a for row in keys.KEYS if row.bound for a in row.actions]
    app_bindings = [b for b in MonitorApp.BINDINGS if isinstance(b, Binding)]
    assert [(b.key, b.action) for b in app_bindings] == [(a.keys, a.action) for a in bound]
    palette_only = {a.action for a in keys.PALETTE_ONLY}
    assert {action for _, _, action in ACTIONS} == {a.action for a in bound if a.title} | (
        palette_only)
    assert not any(a.keys for a in keys.PALETTE_ONLY)
    assert len(keys.help_rows()) == sum(row.bound for row in keys.KEYS)
    assert ("?", "help") in keys.bar()
    assert not any(row.shown in dict(keys.help_rows()) for row in keys.KEYS if not row.bound)


async def test_signal_keys_and_buttons_are_one_list() -> None:
    signal_actions = {a.keys: a.action for row in keys.KEYS for a in row.actions
                      if a.action.startswith("send_signal")}
    assert signal_actions == {k: f"send_signal({int(s)})" for k, s in keys.SIGNALS}
    app = MonitorApp()
    async with app.run_test(size=(120, 36)):
        labels = [str(b.label) for b in app.query_one(SignalPanel).query(Button)]
    assert labels == [f"{k} {s.name.removeprefix('SIG')}" for k, s in keys.SIGNALS]
