"""Migrations of the store from schema version N to N + 1. Each works on the raw TinyDB data of
``onboarding.json`` (the caller writes it back in one atomic write) and must be safe to run twice:
a crash between a migration's own writes and the caller's write re-runs it from the old data.
The list of versions is in :mod:`wizard.store`'s docstring."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from wizard.storage import (
    DEFAULT_PRACTICE_ACCOUNT, ENCRYPTED, PRACTICE_ACCOUNT_KEY, PRACTICE_ACCOUNT_PATTERN, PRACTICE_ACCOUNTS_DIR, USERS_NAME, AtomicJSONStorage,
    USERS_PRACTICE_ACCOUNT_KEY, CorruptDatabase,
)
from wizard.vault import Vault

def _migrate_1_to_2(data: dict[str, Any], vault: Vault, data_dir: Path) -> None:
    """Encrypt every clear TOTP secret."""
    for doc in data.get("accounts", {}).values():
        factor = doc.get("factor")
        if isinstance(factor, dict) and isinstance(factor.get("totp_secret"), str):
            factor["totp_secret"] = {ENCRYPTED: vault.encrypt(factor["totp_secret"])}


def _migrate_2_to_3(data: dict[str, Any], vault: Vault, data_dir: Path) -> None:
    """The single account (and its outbox) becomes practice account ``default``."""
    for name in ("accounts", "outbox"):
        for doc in data.get(name, {}).values():
            doc.setdefault(PRACTICE_ACCOUNT_KEY, DEFAULT_PRACTICE_ACCOUNT)


def _migrate_3_to_4(data: dict[str, Any], vault: Vault, data_dir: Path) -> None:
    """Accounts and outboxes move to one file per practice account; User IDs get an index. Writes the new
    files (each atomically) before the caller rewrites the shared file, so it is safe to re-run."""
    practice_accounts: dict[str, dict[str, Any]] = {}
    for doc in data.pop("accounts", {}).values():
        owner = doc.pop(PRACTICE_ACCOUNT_KEY, DEFAULT_PRACTICE_ACCOUNT)
        practice_accounts.setdefault(owner, {"accounts": {}, "outbox": {}})["accounts"] = {"1": doc}
    for doc in data.pop("outbox", {}).values():
        owner = doc.pop(PRACTICE_ACCOUNT_KEY, DEFAULT_PRACTICE_ACCOUNT)
        outbox = practice_accounts.setdefault(owner, {"accounts": {}, "outbox": {}})["outbox"]
        outbox[str(len(outbox) + 1)] = doc
    users: dict[str, dict[str, Any]] = {}
    for owner, content in practice_accounts.items():
        if not PRACTICE_ACCOUNT_PATTERN.fullmatch(owner):
            continue  # not a name a file may have; nothing a user could have typed as --practice-account
        AtomicJSONStorage(data_dir / PRACTICE_ACCOUNTS_DIR / f"{owner}.json").write(content)
        for doc in content["accounts"].values():
            if doc.get("user_id"):
                users[str(len(users) + 1)] = {"user_id": doc["user_id"], "key": str(doc["user_id"]).casefold(), USERS_PRACTICE_ACCOUNT_KEY: owner}
    AtomicJSONStorage(data_dir / USERS_NAME).write({"users": users})


def _migrate_4_to_5(data: dict[str, Any], vault: Vault, data_dir: Path) -> None:
    """Seal what a hand edit could forge (see :mod:`wizard.seal`): every role request with its
    decisions, every sign-in time, every entry of the User ID index. What was in the files before
    this version is taken as it is: the seal protects what is written from now on."""
    from wizard import seal

    users_path = data_dir / USERS_NAME
    try:
        users = AtomicJSONStorage(users_path).read()
    except CorruptDatabase:
        users = None  # the store rebuilds (and seals) it from the practice account files
    if users is not None:
        entries = users.get("users") if isinstance(users.get("users"), dict) else {}
        sealer = seal.Sealer(vault, seal.USER_ID, create=True)
        AtomicJSONStorage(users_path).write({"users": {k: sealer.seal(u) for k, u in entries.items()}})
    for table, purpose in (("requests", seal.REQUEST), ("sign_ins", seal.SIGN_IN)):
        docs = data.get(table)
        if docs:
            sealer = seal.Sealer(vault, purpose, create=True)
            data[table] = {k: sealer.seal(doc) for k, doc in docs.items()}


# from version N to N + 1; each works on the raw TinyDB data and must be safe to run twice
MIGRATIONS: dict[int, Callable[[dict[str, Any], Vault, Path], None]] = {
    1: _migrate_1_to_2, 2: _migrate_2_to_3, 3: _migrate_3_to_4, 4: _migrate_4_to_5,
}

