"""Whole-file writes that a reader or a crash never sees half done."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def replace_privately(path: Path, data: bytes, *, prefix: str, suffix: str = ".tmp") -> None:
    """Put ``data`` at ``path``, mode 0600: written and fsynced in a temporary file of the same
    directory, then ``os.replace`` (so a symlink at ``path`` is replaced, not followed). If
    anything fails, the temporary file is removed and ``path`` is as it was."""
    fd, temp = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=Path(path).parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise
