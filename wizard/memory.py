"""Process memory: large blocks go back to the system when freed (Linux with glibc; elsewhere
nothing changes).

argon2id hashes with a 7 MiB block: once when the account is created and once per sign-in
check. glibc serves a first large block with its own mapping, but when that is freed it raises
its threshold, so the next blocks come from the heap and stay resident after use. Over the happy
path that kept about 5 MB of the wizard's peak RSS (bench/run.py). A fixed threshold keeps every
block of 1 MiB or more in its own mapping, unmapped on free, for the cost of a page fault per
page of the next one: well under a millisecond beside a 40 ms hash.

Smaller blocks freed in the middle of the heap stay resident too: compiling a module (the first
run after an install compiles every module it imports), building a page, or the search index's
lists leave free pages that glibc hands back only from the top of its heap. :func:`trim` returns
every free page (``malloc_trim``); it is called just before argon2id takes its block, where the
peak RSS is made, so the block lands on a heap with no free pages resident.
"""

from __future__ import annotations

import sys
from typing import Any

M_MMAP_THRESHOLD = -3  # glibc's <malloc.h>
LARGE_BLOCK = 1 << 20


_libc: Any = None


def _c_library() -> Any:
    """The C library this interpreter runs on (ctypes), or None off Linux or when absent."""
    global _libc
    if _libc is None:
        if not sys.platform.startswith("linux"):
            _libc = False
        else:
            import ctypes

            try:
                _libc = ctypes.CDLL(None)
            except OSError:
                _libc = False
    return _libc or None


def trim() -> bool:
    """Give the system back the free pages of every malloc arena (glibc's ``malloc_trim(0)``);
    True if the C library has it. A millisecond or two on the wizard's heap; safe from any
    thread."""
    libc = _c_library()
    fn = getattr(libc, "malloc_trim", None) if libc is not None else None
    if fn is None:
        return False
    import ctypes

    fn.argtypes = [ctypes.c_size_t]
    fn.restype = ctypes.c_int
    fn(0)
    return True


def return_large_blocks_to_os() -> bool:
    """Set the fixed threshold; True if the C library took it. Safe to call more than once."""
    libc = _c_library()
    mallopt = getattr(libc, "mallopt", None) if libc is not None else None
    if mallopt is None:
        return False
    import ctypes

    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return mallopt(M_MMAP_THRESHOLD, LARGE_BLOCK) == 1
