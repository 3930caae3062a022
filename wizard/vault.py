"""The vault: authenticated encryption of the few secrets the app must keep (the TOTP secret).

The key is a Fernet key (32 random bytes, base64) in its own file ``secret.key`` beside the
database, mode 0600. It is created atomically: written and fsynced in a temporary file made with
O_CREAT|O_EXCL, then hard-linked to its name, which fails if another process got there first (its
key is then used). So a crash never leaves a half-written key, and two processes never end up with
different keys. ``cryptography`` is imported only when a secret is actually encrypted or decrypted.

A key file that cannot be used (missing, unreadable, not a key) is never overwritten: decryption
raises :class:`VaultError` (the caller forgets that secret), and the next encryption keeps the bad
file aside as ``secret.damaged-<time>.key`` and starts a new key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

KEY_NAME = "secret.key"
KEY_TEMP_PREFIX = ".secret."
TEMP_SUFFIX = ".tmp"



def aside_path(directory: Path, stem: str, suffix: str) -> Path:
    """A new, unused name for a file kept aside: ``<stem>-<UTC time>[-n]<suffix>``. Files the
    app cannot use are kept there, never overwritten or deleted."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    aside = Path(directory) / f"{stem}-{stamp}{suffix}"
    n = 1
    while aside.exists():
        aside = Path(directory) / f"{stem}-{stamp}-{n}{suffix}"
        n += 1
    return aside

class VaultError(Exception):
    """A secret cannot be decrypted: no usable key, or the token was not made with this key."""


def _fsync_dir(path: Path) -> None:
    try:
        dir_fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


class Vault:
    """Encrypts and decrypts strings with the key in ``<data_dir>/secret.key``."""

    def __init__(self, data_dir: str | Path) -> None:
        self.data_dir = Path(data_dir)
        self.path = self.data_dir / KEY_NAME
        self._fernets: dict[bytes, Any] = {}  # key -> Fernet; the file is re-read on every use

    # --- the key ------------------------------------------------------------------------------

    def _read_key(self) -> bytes:
        """The key in the file; VaultError if there is none or it is not a key."""
        try:
            fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
            with os.fdopen(fd, "rb") as handle:
                raw = handle.read(4096)  # a key is 44 characters; never followed through a link
        except FileNotFoundError:
            raise VaultError("no key file") from None
        except OSError as err:
            raise VaultError(f"key file cannot be read: {err.strerror or err}") from None
        key = raw.strip()
        try:
            if len(base64.urlsafe_b64decode(key)) != 32:
                raise VaultError("key file does not hold a 32-byte key")
        except (binascii.Error, ValueError):
            raise VaultError("key file does not hold a key") from None
        return key

    def _create_key(self) -> bytes:
        """Write a new key atomically and return the key that is in place afterwards (ours, or the
        one another process wrote a moment earlier)."""
        key = base64.urlsafe_b64encode(os.urandom(32))
        fd, tmp = tempfile.mkstemp(prefix=KEY_TEMP_PREFIX, suffix=TEMP_SUFFIX, dir=self.data_dir)  # O_CREAT|O_EXCL
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(key + b"\n")
                fh.flush()
                os.fsync(fh.fileno())
            try:
                os.link(tmp, self.path)  # atomic, and fails if the name exists
            except FileExistsError:
                return self._read_key()
            except OSError:
                # a file system without hard links: create the name exclusively instead
                return self._create_key_exclusive(key)
        finally:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
        _fsync_dir(self.data_dir)
        return key

    def _create_key_exclusive(self, key: bytes) -> bytes:
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return self._read_key()
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), 0o600)
            fh.write(key + b"\n")
            fh.flush()
            os.fsync(fh.fileno())
        _fsync_dir(self.data_dir)
        return key

    def _keep_aside(self) -> Path:
        aside = aside_path(self.data_dir, "secret.damaged", ".key")
        os.replace(self.path, aside)
        return aside

    def _fernet_for(self, key: bytes) -> Any:
        # The key file is read on every use (45 bytes), so a key replaced by another process is
        # never used stale; only the Fernet object is cached.
        if key not in self._fernets:
            from cryptography.fernet import Fernet  # lazy: ~25 ms, only when a secret is used

            self._fernets[key] = Fernet(key)
        return self._fernets[key]

    def _for_decrypt(self) -> Any:
        return self._fernet_for(self._read_key())

    def _key_for_writing(self) -> bytes:
        try:
            return self._read_key()
        except VaultError:
            if self.path.exists() or self.path.is_symlink():
                self._keep_aside()
            return self._create_key()

    def _for_encrypt(self) -> Any:
        return self._fernet_for(self._key_for_writing())

    def macer(self, purpose: str, *, create: bool = False) -> Callable[[str], str]:
        """A function giving the HMAC-SHA256 of a text under a key derived from this directory's
        key for ``purpose``: the key file is read once, for a batch of records (see
        :mod:`wizard.seal`). Without secret.key nobody can compute or check it (a short code is not
        brute-forced from it, a hand-edited record cannot be given a valid one). ``create``: make
        the key if there is none; else VaultError without a usable key."""
        key = self._key_for_writing() if create else self._read_key()
        derived = hmac.new(base64.urlsafe_b64decode(key), f"iqies-onboard:{purpose}".encode(), hashlib.sha256).digest()
        return lambda text: hmac.new(derived, text.encode("utf-8"), hashlib.sha256).hexdigest()

    def mac(self, purpose: str, text: str, *, create: bool = False) -> str:
        """HMAC-SHA256 of ``text`` for ``purpose`` (see :meth:`macer`)."""
        return self.macer(purpose, create=create)(text)

    @property
    def has_key(self) -> bool:
        try:
            self._read_key()
        except VaultError:
            return False
        return True

    # --- secrets ------------------------------------------------------------------------------

    def encrypt(self, text: str) -> str:
        """A Fernet token (AES-128-CBC + HMAC-SHA256) for ``text``; creates the key if needed."""
        return self._for_encrypt().encrypt(text.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        """The text of ``token``; VaultError if the key is missing or damaged, or the token was
        altered or made with another key."""
        from cryptography.fernet import InvalidToken

        fernet = self._for_decrypt()
        try:
            return fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError, ValueError, TypeError):
            raise VaultError("the secret cannot be decrypted with this key") from None
