"""The store: TinyDB in the data directory, written crash-safely and shared between processes.

Stock TinyDB rewrites its JSON file in place, so a kill mid-save can leave half a file, and two
processes can interleave. Here every write goes to a temporary file that is fsynced and then
``os.replace``d over the database, under a file lock; the directory is 0700 and the files 0600.
A database that cannot be read is moved aside (never overwritten) and the app starts clean.

Schema versions: the ``meta`` table holds ``schema_version``; a database without it is version 1.
Opening a store migrates an older database in place (under the lock, in one atomic write), and
refuses, without touching it, a database written by a newer version of the app.

- 1: the first layout.
- 2: the TOTP secret (``accounts[*].factor.totp_secret``) is encrypted at rest with the key in
  ``secret.key`` (see :mod:`wizard.vault`), stored as ``{"fernet": "<token>"}``. The store encrypts
  in :meth:`Store.save_account` and decrypts in :meth:`Store.load_account`, so callers only ever
  see the clear secret, and the clear secret never reaches a file (not even a temporary one).
- 3: several accounts share one data directory (a training room's trainees and their approvers):
  each account and outbox document carries the ``profile_name`` it belongs to (``--practice-account NAME``;
  version 2's single account becomes practice account ``default``). Emails go to the Maildir in ``mail/``
  (:mod:`wizard.mail`); text and voice messages stay in the practice account's outbox, encrypted.
- 4: each practice account's account and outbox move to their own file, ``profiles/<name>.json`` (same
  TinyDB layout, same atomic writes), and ``users.json`` indexes User IDs to practice accounts. A step's
  save then rewrites one small file, however many trainees share the directory; ``onboarding.json``
  keeps what everyone shares (role requests, sign-ins). The migration writes the practice account files and
  the index first and the shared file last, so a crash in between re-runs it from the old data.
- 5: what a hand edit could forge is sealed (:mod:`wizard.seal`): each role request with its
  decisions, each sign-in time and each User ID index entry carries an HMAC under a key derived
  from ``secret.key``; a record that fails it is ignored and logged. The migration seals what is
  there.

The store is split by concern: the files (:mod:`wizard.storage`), the migrations
(:mod:`wizard.migrations`), the User ID index (:mod:`wizard.store_users`), the shared records
(:mod:`wizard.store_requests`); this module is the :class:`Store` that joins them.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout
from tinydb import TinyDB

from wizard.log import event
from wizard.migrations import MIGRATIONS
from wizard.records import UserId
from wizard.storage import (  # noqa: F401  (names other modules import from here)
    CLOCK_NAME, CODE_MESSAGE_KINDS, CONSOLE_LOCK_PREFIX, DB_NAME, DEFAULT_PRACTICE_ACCOUNT, ENCRYPTED, LOCK_NAME,
    MAIL_DIR_NAME, MAX_STORE_BYTES, PRACTICE_ACCOUNT_KEY, PRACTICE_ACCOUNT_PATTERN, PRACTICE_ACCOUNTS_DIR, SCHEMA_VERSION, TEMP_PREFIX,
    USERS_NAME, WIZARD_LOCK_NAME, AtomicJSONStorage, CorruptDatabase, DataDirError, _declared_version,
    _is_encrypted, _newer_message, _newer_practice_account_message, _set_schema_version, check_practice_account_name,
    default_data_dir, prepare_data_dir, schema_version,
)
from wizard.store_requests import ActivePso, SharedRecords  # noqa: F401
from wizard.store_users import UserIdTaken, UserIndex  # noqa: F401
from wizard.vault import KEY_NAME, KEY_TEMP_PREFIX, TEMP_SUFFIX, Vault, VaultError, aside_path  # noqa: F401

SECRET_LOST_NOTICE = (
    f"Your authenticator app's secret could not be unlocked ({KEY_NAME} in the data directory is "
    "missing or damaged), so set up two-factor authentication again."
)


class AccountClaimed(DataDirError):
    """Another approver console has this account signed in; ``str(err)`` says so in one line."""


class Store(UserIndex, SharedRecords):
    """All persistent state of one data directory. Safe to share between processes."""

    def __init__(
        self,
        data_dir: Path,
        lock_timeout: float = 10.0,
        practice_account: str = DEFAULT_PRACTICE_ACCOUNT,
        smtp: tuple[str, int] | None = None,
        claim_wizard: bool = False,
    ) -> None:
        self.practice_account = check_practice_account_name(practice_account)
        self.smtp = smtp
        self.data_dir = prepare_data_dir(data_dir)
        self._wizard_claim = None
        self._account_claim = None
        if claim_wizard:
            # before anything is read or migrated: a refused second window changes nothing
            self.claim_wizard()
        self.path = self.data_dir / DB_NAME
        self.lock = FileLock(str(self.data_dir / LOCK_NAME), timeout=lock_timeout, mode=0o600)
        self.vault = Vault(self.data_dir)
        self.notice: str | None = None  # one sentence for the user when something was recovered
        self.migrated_from: int | None = None  # the schema version this store migrated, if any
        self._clock_cache: tuple[tuple[int, int, int], int] | None = None
        self._shared_seen: tuple[int, int, int] | None = None  # onboarding.json last checked
        self._mailer = None
        try:
            with self.lock:
                self._open()
        except Timeout:
            raise DataDirError(
                f"data directory {self.data_dir} is locked by another process that does not let go"
            ) from None
        except PermissionError:
            raise DataDirError(f"the database in {self.data_dir} cannot be read (permission denied)") from None
        except OSError as err:
            raise DataDirError(f"the database in {self.data_dir} cannot be used: {err.strerror or err}") from None
        if smtp is not None:  # emails an earlier run could not send are tried again (off this thread)
            self.mailer.sender.resume()

    def _open(self) -> None:
        self._remove_orphaned_temp_files()
        storage_probe = AtomicJSONStorage(self.path)
        try:
            data = storage_probe.read()
            version = schema_version(data) if data is not None else SCHEMA_VERSION
        except CorruptDatabase:
            aside = aside_path(self.data_dir, "onboarding.corrupt", ".json")
            os.replace(self.path, aside)
            self.notice = (
                f"Your saved progress could not be read, so it was kept aside as {aside.name} "
                "and the app started fresh."
            )
            data = None
            version = SCHEMA_VERSION
        if version > SCHEMA_VERSION:
            raise DataDirError(_newer_message(self.data_dir, version))
        practice_accounts = self.data_dir / PRACTICE_ACCOUNTS_DIR
        practice_accounts.mkdir(mode=0o700, exist_ok=True)
        os.chmod(practice_accounts, 0o700)
        self.db = TinyDB(self.path, storage=AtomicJSONStorage)
        self._practice_account_data()  # a newer practice account file is refused now, in one line; a corrupt one kept aside
        if data is None:
            storage_probe.write({"meta": {"1": {"schema_version": SCHEMA_VERSION}}})
            return
        if version < SCHEMA_VERSION:
            for step in range(version, SCHEMA_VERSION):
                MIGRATIONS[step](data, self.vault, self.data_dir)
            _set_schema_version(data, SCHEMA_VERSION)
            storage_probe.write(data)  # one atomic write: a crash leaves the old or the new file
            self.migrated_from = version
        os.chmod(self.path, 0o600)
        if self.vault.path.is_file():
            os.chmod(self.vault.path, 0o600)

    def _remove_orphaned_temp_files(self) -> None:
        """Temporary files left by a process killed mid-write. Every writer holds the lock while its
        temporary file exists, and we hold it now, so any such file is an orphan."""
        for pattern in (f"{TEMP_PREFIX}*{TEMP_SUFFIX}", f"{KEY_TEMP_PREFIX}*{TEMP_SUFFIX}",
                        f"{PRACTICE_ACCOUNTS_DIR}/{TEMP_PREFIX}*{TEMP_SUFFIX}"):
            for orphan in self.data_dir.glob(pattern):
                try:
                    orphan.unlink()
                except OSError:
                    pass

    def sibling(self, practice_account: str) -> "Store":
        """The same data directory seen as another practice account (the console signs PSOs in)."""
        other = object.__new__(Store)
        other.__dict__.update(self.__dict__)
        other.practice_account = check_practice_account_name(practice_account)
        other.notice = None
        other._wizard_claim = None
        other._account_claim = None
        return other

    def claim_wizard(self) -> None:
        """One wizard per practice account: a second window would overwrite the first's progress.
        The claim lasts as long as this process (the OS drops the lock if it dies)."""
        name = WIZARD_LOCK_NAME if self.practice_account == DEFAULT_PRACTICE_ACCOUNT else f".wizard.{self.practice_account}.lock"
        lock = FileLock(str(self.data_dir / name), timeout=0, mode=0o600)
        try:
            lock.acquire()
        except Timeout:
            other = "" if self.practice_account == DEFAULT_PRACTICE_ACCOUNT else f" --practice-account {self.practice_account}"
            raise DataDirError(
                f"the wizard{other} is already open on {self.data_dir} in another window; close it "
                "there, or use --practice-account NAME for another trainee's practice account"
            ) from None
        self._wizard_claim = lock

    def release_wizard(self) -> None:
        claim = getattr(self, "_wizard_claim", None)
        if claim is not None:
            claim.release()
            self._wizard_claim = None

    # --- an approver console's claim on a signed-in account ------------------------------------

    def claim_account(self, user_id: str) -> None:
        """A console signing ``user_id`` in claims the account, so a second console cannot sign
        the same user in at once; :class:`AccountClaimed` if another one has it. The claim is an
        OS lock on a file of its own, taken under the store lock: released on sign-out or exit,
        and by the OS when the process dies (a kill -9 never locks the account for good)."""
        self.release_account()
        digest = hashlib.sha256(UserId(user_id).key.encode("utf-8")).hexdigest()[:16]
        lock = FileLock(str(self.data_dir / f"{CONSOLE_LOCK_PREFIX}{digest}.lock"), timeout=0, mode=0o600)
        with self.lock:
            try:
                lock.acquire()
            except Timeout:
                raise AccountClaimed(
                    f"{user_id} is already signed in to an approver console in another window; sign "
                    "out there first (or close it), then sign in here"
                ) from None
        self._account_claim = lock

    def release_account(self) -> None:
        claim = getattr(self, "_account_claim", None)
        if claim is not None:
            claim.release(force=True)
            self._account_claim = None

    def keep_aside(self, doc: dict[str, Any], what: str) -> str:
        """Write a document we cannot use next to the database (0600), never dropping it."""
        aside = aside_path(self.data_dir, f"onboarding.{what}", ".json")
        fd = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(doc, fh, ensure_ascii=False, default=str)
        return aside.name

    def table(self, name: str):
        """A fresh TinyDB table on every call: cache_size=0 because another process may have
        changed the file since our last read, and a new Table object because TinyDB's Table also
        caches the next document id, which another process's insert makes stale (the insert would
        then fail with "Document with ID n already exists"). Every operation re-reads the file."""
        return self.db.table_class(self.db.storage, name, cache_size=0)

    # --- accounts -------------------------------------------------------------------------

    # --- this practice account's file: its account and outbox -------------------------------------------

    @property
    def account_path(self) -> Path:
        return self.data_dir / PRACTICE_ACCOUNTS_DIR / f"{self.practice_account}.json"

    def _practice_account_data(self, practice_account: str | None = None) -> dict[str, Any]:
        """A practice account's file, ``{}`` if it has none. A file that cannot be read is moved aside
        (under the lock, never overwritten) and the practice account starts fresh, saying so."""
        path = self.data_dir / PRACTICE_ACCOUNTS_DIR / f"{practice_account or self.practice_account}.json"
        try:
            data = AtomicJSONStorage(path).read() or {}
            if _declared_version(data) > SCHEMA_VERSION:
                if practice_account is not None and practice_account != self.practice_account:
                    return {}  # someone else's: its owner is told
                raise DataDirError(_newer_practice_account_message(path, _declared_version(data)))
            return data
        except CorruptDatabase:
            if practice_account is not None and practice_account != self.practice_account:
                return {}  # someone else's: its owner keeps it aside, and is told so
            with self.lock:
                try:
                    return AtomicJSONStorage(path).read() or {}  # another process may have mended it
                except CorruptDatabase:
                    aside = aside_path(self.data_dir, f"{path.stem}.corrupt", ".json")
                    os.replace(path, aside)
            if practice_account is None or practice_account == self.practice_account:
                self.notice = (
                    f"Your saved progress could not be read, so it was kept aside as {aside.name} "
                    "and the app started fresh."
                )
            return {}

    def _write_practice_account(self, data: dict[str, Any]) -> None:
        self._refuse_if_newer()
        AtomicJSONStorage(self.account_path).write(data)

    def _refuse_if_newer(self) -> None:
        """A newer app may have migrated the directory while this one runs: its version is in
        onboarding.json, re-read only when that file changed (a step's save stays one small write)."""
        try:
            st = self.path.stat()
        except OSError:
            return
        seen = (st.st_mtime_ns, st.st_size, st.st_ino)
        if seen == self._shared_seen:
            return
        try:
            data = AtomicJSONStorage(self.path).read()
        except CorruptDatabase:
            return  # the next open keeps it aside; this write touches another file
        if data is not None and _declared_version(data) > SCHEMA_VERSION:
            raise DataDirError(_newer_message(self.data_dir, _declared_version(data)))
        self._shared_seen = seen

    def load_account(self) -> dict[str, Any] | None:
        """This practice account's account document with its TOTP secret decrypted. If the secret cannot
        be decrypted (key file missing or damaged), the document comes without its ``factor``
        (the user sets up two-factor authentication again) and :attr:`notice` says so.

        What a hand edit of the practice account file could forge is checked against sealed records: an
        account naming a User ID that the sealed index gives to another practice account is kept aside
        (two accounts never hold one User ID), and ``last_submitted_request`` counts only when
        a sealed request of this User ID has that id."""
        docs = list((self._practice_account_data().get("accounts") or {}).values())
        if not docs:
            return None
        if self.claims_foreign_user_id(docs[0]):
            with self.lock:
                aside = aside_path(self.data_dir, f"{self.practice_account}.forged", ".json")
                os.replace(self.account_path, aside)
            event("record_ignored", table="profile", why="user_id_of_another_account")
            self.notice = (
                f"Your saved progress names a User ID that another practice account holds, so it was "
                f"kept aside as {aside.name} and the app started fresh."
            )
            return None
        doc = self._decrypted_account(docs[0], note=True)
        wanted = doc.get("last_submitted_request")
        if wanted is not None and not self.has_request(doc.get("user_id"), wanted):
            event("record_ignored", table="profile", why="last_submitted_request_not_sealed")
            doc["last_submitted_request"] = None
        return doc

    def _decrypted_account(self, stored: dict[str, Any], note: bool = False) -> dict[str, Any]:
        doc = dict(stored)
        factor = doc.get("factor")
        if isinstance(factor, dict) and _is_encrypted(factor.get("totp_secret")):
            token = factor["totp_secret"][ENCRYPTED]
            try:
                if not isinstance(token, str):
                    raise VaultError("not a token")
                doc["factor"] = {**factor, "totp_secret": self.vault.decrypt(token)}
            except VaultError:
                if factor.get("failures") or factor.get("locked_until"):
                    # deleting secret.key must not reset a locked factor's wrong-code count: the
                    # device is set up again (no secret, not verified), its count and lock kept
                    doc["factor"] = {**factor, "totp_secret": None, "verified": False, "last_totp_step": None}
                else:
                    del doc["factor"]
                if note:
                    self.notice = SECRET_LOST_NOTICE
        return doc

    def save_account(self, doc: dict[str, Any]) -> None:
        """Store ``doc`` as this practice account's account (replacing the previous one whole, in one
        write of this practice account's file only); its clear TOTP secret is encrypted before anything is
        written. A User ID that another practice account's account already has raises
        :class:`UserIdTaken` and writes nothing."""
        with self.lock:
            stored = dict(doc)
            factor = stored.get("factor")
            if isinstance(factor, dict) and isinstance(factor.get("totp_secret"), str):
                stored["factor"] = {**factor, "totp_secret": {ENCRYPTED: self.vault.encrypt(factor["totp_secret"])}}
            data = self._practice_account_data()
            before = next(iter((data.get("accounts") or {}).values()), {})
            if stored.get("user_id") != before.get("user_id"):
                self._index_user_id(stored.get("user_id"))
            data["accounts"] = {"1": stored}
            self._write_practice_account(data)

    def reset(self) -> None:
        """Forget this practice account's progress: its account, outbox, User ID and requests (the meta
        table, the key and other practice accounts stay)."""
        with self.lock:
            before = next(iter((self._practice_account_data().get("accounts") or {}).values()), {})
            self._write_practice_account({})
            self._index_user_id(None)
            if UserId.of(before.get("user_id")) is not None and not self.claims_foreign_user_id(before):
                self.drop_requests_of(before["user_id"])

    # --- outbox ---------------------------------------------------------------------------

    @property
    def mailer(self):
        if self._mailer is None:
            from wizard.mail import Mailer

            self._mailer = Mailer(self.data_dir / MAIL_DIR_NAME, smtp=self.smtp)
        return self._mailer

    def add_message(self, message: dict[str, Any]) -> None:
        """An email goes to the Maildir (and over SMTP when set up); a text or voice message to
        this practice account's outbox, its body (a live security code) never in clear on disk."""
        if message.get("kind") == "email":
            self.mailer.deliver(message)
            return
        message = {**message, "seq": time.time_ns()}
        if message.get("kind") in CODE_MESSAGE_KINDS and isinstance(message.get("body"), str):
            message["body"] = {ENCRYPTED: self.vault.encrypt(message["body"])}
        with self.lock:
            data = self._practice_account_data()
            outbox = data.setdefault("outbox", {})
            next_id = max((int(k) for k in outbox if str(k).isdigit()), default=0) + 1
            outbox[str(next_id)] = message
            self._write_practice_account(data)

    def messages(self, address: str | None = None) -> list[dict[str, Any]]:
        """This practice account's messages, oldest first: its text and voice messages, and the emails
        in the Maildir sent to ``address``."""
        found: list[tuple[int, dict[str, Any]]] = []
        outbox = self._practice_account_data().get("outbox") or {}
        for key in sorted(outbox, key=lambda k: (len(k), k)):
            doc = outbox[key]
            seq = doc.get("seq")
            message = {k: v for k, v in doc.items() if k != "seq"}
            body = message.get("body")
            if isinstance(body, dict) and ENCRYPTED in body:
                try:
                    message["body"] = self.vault.decrypt(body[ENCRYPTED])
                except VaultError:
                    message["body"] = "(This message cannot be read: the sandbox's key file is missing.)"
            found.append((seq if isinstance(seq, int) else 0, message))
        if address:
            found += [(m["seq"], m) for m in self.mailer.messages(to=address)]
        # in the order written (the sandbox clock may have moved between two messages)
        found.sort(key=lambda pair: pair[0])
        return [m for _, m in found]

    # --- the sandbox clock ----------------------------------------------------------------

    def clock_offset_days(self) -> int:
        """Days the trainer moved the sandbox clock forward (shared by every process)."""
        path = self.data_dir / CLOCK_NAME
        try:
            st = path.stat()
        except OSError:
            return 0
        mtime = (st.st_mtime_ns, st.st_ino, st.st_size)  # a replaced file is a new inode
        if self._clock_cache is not None and self._clock_cache[0] == mtime:
            return self._clock_cache[1]
        try:
            days = json.loads(path.read_text(encoding="utf-8")).get("offset_days", 0)
            days = days if isinstance(days, int) and not isinstance(days, bool) and 0 <= days <= 3650 else 0
        except (OSError, ValueError, AttributeError):
            days = 0
        self._clock_cache = (mtime, days)
        return days

    def add_clock_offset_days(self, days: int) -> int:
        """Move the sandbox clock ``days`` further, read and written under the lock (two
        trainers pressing the key at once both count); the new offset."""
        with self.lock:
            self._clock_cache = None
            total = self.clock_offset_days() + days
            self.set_clock_offset_days(total)
            return total

    def set_clock_offset_days(self, days: int) -> None:
        with self.lock:  # the same atomic, private write as every other file of the store
            AtomicJSONStorage(self.data_dir / CLOCK_NAME).write({"offset_days": int(days)})
        self._clock_cache = None


    def shared_stamp(self) -> tuple[int, int, int, int]:
        """Changes whenever the shared requests (or the sandbox clock) may have: a page that
        polls for decisions made elsewhere re-reads only then."""
        try:
            st = self.path.stat()
            seen = (st.st_mtime_ns, st.st_size, st.st_ino)
        except OSError:
            seen = (0, 0, 0)
        return (*seen, self.clock_offset_days())

