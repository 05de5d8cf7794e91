"""Talkie's benchmarks: ``python -m bench`` (``make bench``) writes ``out/bench.md``.

Every ``bench/bench_*.py`` module exposes ``main() -> dict``; :mod:`bench.__main__`
runs each one in its own process and turns the dicts into one markdown table.
:mod:`bench.peers` times architectural re-implementations of other talking-head
generators (random weights) on the same CPU.
"""
