"""Benchmarks: ipccore side by side with raw Python and multiprocessing (``python -m bench``).

See ``docs/bench.md`` for how to run them and ``bench/RESULTS.md`` for a full run.
"""
