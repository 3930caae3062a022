"""wizard/memory.py: large blocks (argon2id's 7 MiB) go back to the system when freed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

CYCLE = r"""
import sys
sys.path.insert(0, sys.argv[2])
def rss_mib():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1]) / 1024
if sys.argv[1] == "tuned":
    from wizard.memory import return_large_blocks_to_os
    assert return_large_blocks_to_os()
def cycle():
    block = bytearray(8 << 20)  # zero-filled, so every page is touched, as argon2 does
    del block
cycle()  # the first free is what raises glibc's own threshold
before = rss_mib()
cycle()
print(round(rss_mib() - before, 1))
"""


def child_mib(script: str, mode: str) -> float:
    """What ``script``, run in a fresh interpreter with ``mode``, prints (MiB)."""
    out = subprocess.run([sys.executable, "-c", script, mode, str(ROOT)], capture_output=True, text=True,
                         check=True, timeout=60)
    return float(out.stdout.strip())


def kept_after_free(mode: str) -> float:
    return child_mib(CYCLE, mode)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux's /proc")
def test_a_freed_large_block_leaves_resident_memory():
    from wizard.memory import return_large_blocks_to_os

    if not return_large_blocks_to_os():
        pytest.skip("this C library has no mallopt threshold (not glibc)")
    assert kept_after_free("tuned") < 2
    # and the setting is what makes the difference here (glibc keeps the second block)
    assert kept_after_free("plain") > 6


def test_every_command_sets_it_first(monkeypatch, capsys):
    import wizard.memory
    from app.cli import main

    calls = []
    monkeypatch.setattr(wizard.memory, "return_large_blocks_to_os", lambda: calls.append(1) or True)
    assert main(["schema"]) == 0
    assert calls == [1]


HOLE = r"""
import sys
sys.path.insert(0, sys.argv[2])
def rss_mib():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1]) / 1024
from wizard.memory import return_large_blocks_to_os, trim
return_large_blocks_to_os()
blocks = [bytearray(256 << 10) for _ in range(64)]  # 16 MiB from the heap (under the threshold)
pin = bytearray(256 << 10)  # above them: the heap's top is in use, so free() cannot shrink it
del blocks
before = rss_mib()
if sys.argv[1] == "trim":
    assert trim()
print(round(before - rss_mib(), 1))
"""


def given_back(mode: str) -> float:
    return child_mib(HOLE, mode)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux's /proc")
def test_trim_gives_back_free_pages_below_the_heaps_top():
    from wizard.memory import trim

    if not trim():
        pytest.skip("this C library has no malloc_trim (not glibc)")
    assert given_back("trim") > 12
    # and without it those 16 MiB stay resident
    assert given_back("keep") < 2


def test_argon2_trims_the_heap_before_it_takes_its_block(monkeypatch):
    import wizard.memory
    from wizard import hashing

    calls = []
    monkeypatch.setattr(wizard.memory, "trim", lambda: calls.append(1) or True)
    stored = hashing.hash_secret("correct horse")
    assert calls == [1]
    assert hashing.verify_secret(stored, "correct horse")
    assert calls == [1, 1]
