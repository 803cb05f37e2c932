"""ipcevents: the event stream's vocabulary, shared by the core and the UI.

The record and its NDJSON codec (:mod:`ipcevents.events`), the :class:`EventSource`
protocol and the commands a source takes (:mod:`ipcevents.source`), and the two sources
that need no running program: a recording's replay (:mod:`ipcevents.replay`) and an
in-memory fake for tests (:mod:`ipcevents.fake`).

A package of its own so that what the UI depends on loads nothing that forks: importing
it pulls in neither ``ipccore`` (its process, queue and lifecycle modules, ``sysv_ipc``,
``setproctitle``) nor ``textual``. ``tests/project/test_architecture.py`` proves it in a
fresh interpreter.
"""
