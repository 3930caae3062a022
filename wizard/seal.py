"""Seals: an HMAC under a key derived from the data directory's key (``secret.key``, see
:mod:`wizard.vault`) over each record a hand edit could use to forge state: role requests and
their decisions, the User ID index, sign-in times.

A sealed document carries ``"seal": "<hex>"``, the HMAC of its other fields as canonical JSON
(sorted keys, no spaces). A document whose seal is missing or wrong, and every sealed document
once ``secret.key`` is deleted or replaced, is ignored by the store and logged once per process;
it stays in the file, untouched, for whoever wants to look at it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any, Callable

from wizard.log import event
from wizard.vault import Vault, VaultError

SEAL = "seal"
REQUEST = "request"  # a role request, its decisions included
USER_ID = "user-id"  # an entry of the User ID index (users.json)
SIGN_IN = "sign-in"  # the last iQIES sign-in of a User ID (roles lapse after 60 days without)

_reported: set[tuple[str, str, str]] = set()  # what was logged already: a console re-reads every 2 seconds


def canonical(doc: dict[str, Any]) -> str:
    body = {k: v for k, v in doc.items() if k != SEAL}
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


class Sealer:
    """Seals and checks the documents of one kind (``purpose``) for one batch: the key file is
    read once. ``create``: a sealer for writing makes the key if there is none."""

    def __init__(self, vault: Vault, purpose: str, *, create: bool = False) -> None:
        self.purpose = purpose
        self._vault = vault
        self._create = create
        self._loaded = False
        self._mac: Callable[[str], str] | None = None

    def _macer(self) -> Callable[[str], str] | None:
        """The key is read (or, for writing, made) at the first seal: nothing to seal, no key."""
        if not self._loaded:
            try:
                self._mac = self._vault.macer(self.purpose, create=self._create)
            except VaultError:
                if self._create:
                    raise
                self._mac = None  # no key: nothing sealed can be checked, so nothing sealed counts
            self._loaded = True
        return self._mac

    def seal(self, doc: dict[str, Any]) -> dict[str, Any]:
        mac = self._macer()
        assert mac is not None
        return {**{k: v for k, v in doc.items() if k != SEAL}, SEAL: mac(canonical(doc))}

    def valid(self, doc: Any) -> bool:
        mac = self._macer() if isinstance(doc, dict) else None
        if mac is None:
            return False
        seal = doc.get(SEAL)
        return isinstance(seal, str) and hmac.compare_digest(seal, mac(canonical(doc)))

    def unsealed(self, doc: Any, where: str) -> dict[str, Any] | None:
        """``doc`` without its seal if the seal holds; else None, logged once."""
        if self.valid(doc):
            return {k: v for k, v in doc.items() if k != SEAL}
        ignored(where, "no key" if self._loaded and self._mac is None else "seal", doc)
        return None


def ignored(where: str, why: str, doc: Any) -> None:
    """Log (once per process and document) that a stored record was not used; names only."""
    try:
        digest = hashlib.sha256(repr(doc).encode("utf-8", "replace")).hexdigest()[:12]
    except (RecursionError, ValueError):
        digest = "unprintable"
    if (where, why, digest) in _reported:
        return
    _reported.add((where, why, digest))
    event("record_ignored", table=where, why=why, record=digest)
