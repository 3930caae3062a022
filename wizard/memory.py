"""Process memory: large blocks go back to the system when freed (Linux with glibc; elsewhere
nothing changes).

argon2id hashes with a 7 MiB block: once when the account is created and once per sign-in
check. glibc serves a first large block with its own mapping, but when that is freed it raises
its threshold, so the next blocks come from the heap and stay resident after use. Over the happy
path that kept about 5 MB of the wizard's peak RSS (bench/run.py). A fixed threshold keeps every
block of 1 MiB or more in its own mapping, unmapped on free, for the cost of a page fault per
page of the next one: well under a millisecond beside a 40 ms hash.
"""

from __future__ import annotations

import sys

M_MMAP_THRESHOLD = -3  # glibc's <malloc.h>
LARGE_BLOCK = 1 << 20


def return_large_blocks_to_os() -> bool:
    """Set the fixed threshold; True if the C library took it. Safe to call more than once."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        mallopt = ctypes.CDLL(None).mallopt  # the C library this interpreter runs on
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return mallopt(M_MMAP_THRESHOLD, LARGE_BLOCK) == 1
