"""User IDs across the practice accounts of one data directory: ``users.json`` indexes each (case-folded)
User ID to the practice account that created it, each entry sealed (:mod:`wizard.seal`). An entry counts
only while it holds its seal and its practice account's file really holds that User ID, so a hand-edited
index, or a practice account file edited to name another account's User ID, never lets two accounts hold
one; a practice account kept aside releases its User ID."""

from __future__ import annotations

import os
from typing import Any

from wizard import seal
from wizard.records import UserId
from wizard.seal import Sealer
from wizard.storage import (
    PRACTICE_ACCOUNT_PATTERN, PRACTICE_ACCOUNTS_DIR, USERS_NAME, USERS_PRACTICE_ACCOUNT_KEY, AtomicJSONStorage,
    CorruptDatabase,
)


class UserIdTaken(Exception):
    """Another practice account in this data directory created an account with the same User ID first."""


def _entry(user_id: str, practice_account: str) -> dict[str, str]:
    return {"user_id": str(user_id), "key": UserId(user_id).key, USERS_PRACTICE_ACCOUNT_KEY: practice_account}


class UserIndex:
    """Mixed into :class:`wizard.store.Store`: needs ``data_dir``, ``practice_account``, ``vault``,
    ``_practice_account_data()``, ``_decrypted_account()``, ``_refuse_if_newer()``."""

    def _users(self, key: str | None = None) -> dict[str, dict[str, Any]]:
        """The index entries that hold their seal (only those for ``key``, if given); rebuilt from
        the practice account files if the index is missing or damaged, or if secret.key is gone (so no
        seal can be checked). The seals are checked again only when users.json or secret.key
        changed: the account page's live check reads every User ID on each keystroke."""
        stamp = self._users_stamp()
        cached = getattr(self, "_users_cache", None)
        if stamp is not None and cached is not None and cached[0] == stamp:
            if key is None:
                return dict(cached[1])
            return {k: cached[1][k] for k in cached[2].get(key, ())}
        try:
            data = AtomicJSONStorage(self.data_dir / USERS_NAME).read()
        except CorruptDatabase:
            data = None
        users = data.get("users") if data is not None else None
        if not isinstance(users, dict) or not self.vault.has_key:
            return self._rebuild_users()
        sealer = Sealer(self.vault, seal.USER_ID)
        out: dict[str, dict[str, Any]] = {}
        for k, u in users.items():
            body = sealer.unsealed(u, "users")
            if body is not None and all(isinstance(body.get(f), str) for f in ("user_id", "key", USERS_PRACTICE_ACCOUNT_KEY)):
                out[k] = body
        if stamp is not None and stamp == self._users_stamp():  # not changed while we read
            by_key: dict[str, list[str]] = {}
            for k, u in out.items():
                by_key.setdefault(u["key"], []).append(k)
            self._users_cache = (stamp, out, by_key)
        return {k: u for k, u in out.items() if key is None or u.get("key") == key}

    def _users_stamp(self) -> tuple | None:
        try:
            stamps = []
            for path in (self.data_dir / USERS_NAME, self.vault.path):
                st = os.stat(path, follow_symlinks=False)
                stamps.append((st.st_mtime_ns, st.st_size, st.st_ino))
            return tuple(stamps)
        except OSError:
            return None

    def _rebuild_users(self, stored: list[tuple[str, dict[str, Any]]] | None = None) -> dict[str, dict[str, Any]]:
        """The index from the practice account files themselves; a User ID that two files name (one of
        them edited by hand) belongs to neither."""
        found: dict[str, list[dict[str, str]]] = {}
        for practice_account, doc in stored if stored is not None else self._stored_accounts():
            if isinstance(doc.get("user_id"), str) and doc["user_id"]:
                entry = _entry(doc["user_id"], practice_account)
                found.setdefault(entry["key"], []).append(entry)
        unique = [entries[0] for entries in found.values() if len(entries) == 1]
        return {str(i): e for i, e in enumerate(unique, 1)}

    def _stored_accounts(self) -> list[tuple[str, dict[str, Any]]]:
        out = []
        try:
            names = sorted(n[:-5] for n in os.listdir(self.data_dir / PRACTICE_ACCOUNTS_DIR) if n.endswith(".json"))
        except OSError:
            names = []
        for stem in names:
            if not PRACTICE_ACCOUNT_PATTERN.fullmatch(stem):
                continue
            if stem == self.practice_account:
                docs = list((self._own_practice_account_data_quiet().get("accounts") or {}).values())
            else:
                docs = list((self._practice_account_data(stem).get("accounts") or {}).values())
            if docs and isinstance(docs[0], dict):
                out.append((stem, docs[0]))
        return out

    def _write_users(self, entries: list[dict[str, Any]]) -> None:
        self._refuse_if_newer()
        sealer = Sealer(self.vault, seal.USER_ID, create=True)
        AtomicJSONStorage(self.data_dir / USERS_NAME).write(
            {"users": {str(i): sealer.seal(u) for i, u in enumerate(entries, 1)}})

    def _index_user_id(self, user_id: str | None) -> None:
        """Give this practice account ``user_id`` in the index (None: drop its entry); the caller holds the lock."""
        users = self._held_users()
        key = UserId(user_id).key if user_id else None
        if key and any(u.get("key") == key and u.get(USERS_PRACTICE_ACCOUNT_KEY) != self.practice_account for u in users.values()):
            raise UserIdTaken(user_id)
        if key and any(UserId.of(doc.get("user_id")) == key
                       for practice_account, doc in self._stored_accounts() if practice_account != self.practice_account):
            raise UserIdTaken(user_id)  # an index edited by hand does not let two accounts share one
        kept = [u for u in users.values() if u.get(USERS_PRACTICE_ACCOUNT_KEY) != self.practice_account]
        if key:
            kept.append(_entry(str(user_id), self.practice_account))
        self._write_users(kept)

    def _held_users(self) -> dict[str, dict[str, Any]]:
        """The index entries whose practice account file really holds that User ID: one kept aside (or
        deleted, or edited by hand) releases its User ID. Read again only when one of the files it
        reads changed (:meth:`_held_stamp`): the account page's live check asks on each keystroke,
        and reading every practice account's file took 112 ms at 1,000 accounts (bench/run.py)."""
        stamp = self._held_stamp()
        cached = getattr(self, "_held_cache", None)
        if stamp is not None and cached is not None and cached[0] == stamp:
            return dict(cached[1])
        held = self._read_held_users()
        if stamp is not None:
            self._held_cache = (stamp, held)
        return dict(held)

    def _held_stamp(self) -> tuple | None:
        """What :meth:`_read_held_users` reads, as it stands on disk: users.json and secret.key, and
        every practice account file (each written whole under a new name, so a new inode; a hand
        edit in place changes its time or size)."""
        users = self._users_stamp()
        if users is None:
            return None
        try:
            with os.scandir(self.data_dir / PRACTICE_ACCOUNTS_DIR) as entries:
                files = []
                for entry in entries:
                    if entry.name.endswith(".json"):
                        st = entry.stat(follow_symlinks=False)
                        files.append((entry.name, st.st_mtime_ns, st.st_size, st.st_ino))
        except OSError:
            return None
        return (users, self.practice_account, tuple(sorted(files)))

    def _read_held_users(self) -> dict[str, dict[str, Any]]:
        held: dict[str, dict[str, Any]] = {}
        stored = self._stored_accounts()
        accounts = dict(stored)
        for k, entry in self._users().items():
            doc = accounts.get(str(entry.get(USERS_PRACTICE_ACCOUNT_KEY)))
            if doc is not None and UserId.of(doc.get("user_id")) == entry.get("key"):
                held[k] = entry
        # an account no sealed entry covers (secret.key replaced, an entry edited away) still
        # holds its User ID when it is the only practice account file naming it
        keys, practice_accounts = {e["key"] for e in held.values()}, {e[USERS_PRACTICE_ACCOUNT_KEY] for e in held.values()}
        for entry in self._rebuild_users(stored).values():
            if entry["key"] not in keys and entry[USERS_PRACTICE_ACCOUNT_KEY] not in practice_accounts:
                held[f"file:{entry[USERS_PRACTICE_ACCOUNT_KEY]}"] = entry
        return held

    def _own_practice_account_data_quiet(self) -> dict[str, Any]:
        try:
            return AtomicJSONStorage(self.account_path).read() or {}
        except CorruptDatabase:
            return {}

    def user_id_holder(self, user_id: str) -> str | None:
        """The practice account that holds ``user_id`` (any case), by the sealed index."""
        key = UserId(user_id).key
        return next((u[USERS_PRACTICE_ACCOUNT_KEY] for u in self._held_users().values() if u.get("key") == key), None)

    def claims_foreign_user_id(self, doc: dict[str, Any]) -> bool:
        """Whether this practice account's account ``doc`` names a User ID that the sealed index gives to
        another practice account (this file was edited by hand to take it)."""
        user_id = UserId.of(doc.get("user_id"))
        if user_id is None:
            return False
        # cheap, since every wizard start asks: only the sealed entries for this User ID, and
        # only the practice account files they name
        for entry in self._users(user_id.key).values():
            practice_account = entry.get(USERS_PRACTICE_ACCOUNT_KEY)
            if practice_account == self.practice_account:
                return False
            if isinstance(practice_account, str) and PRACTICE_ACCOUNT_PATTERN.fullmatch(practice_account):
                docs = list((self._practice_account_data(practice_account).get("accounts") or {}).values())
                if docs and isinstance(docs[0], dict) and UserId.of(docs[0].get("user_id")) == user_id:
                    return True
        return False

    def user_ids(self) -> list[str]:
        """Every User ID held in this data directory, by any practice account (one whose file was kept
        aside holds none)."""
        return [u["user_id"] for u in self._held_users().values() if u.get("user_id")]

    def account_for_user_id(self, user_id: str) -> tuple[str, dict[str, Any]] | None:
        """(practice account name, account) of the account with this User ID (case-insensitive), if any."""
        if not user_id:
            return None
        practice_account = self.user_id_holder(user_id)
        if practice_account is None or not PRACTICE_ACCOUNT_PATTERN.fullmatch(practice_account):
            return None
        docs = list((self._practice_account_data(practice_account).get("accounts") or {}).values())
        return (practice_account, self._decrypted_account(docs[0])) if docs else None

    def accounts(self) -> list[tuple[str, dict[str, Any]]]:
        """(practice account name, account) for every practice account with an account."""
        return [(practice_account, self._decrypted_account(doc)) for practice_account, doc in self._stored_accounts()]
