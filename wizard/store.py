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
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, Callable, Iterator

from filelock import FileLock, Timeout
from tinydb import TinyDB
from tinydb.storages import Storage

from wizard.vault import KEY_NAME, KEY_TEMP_PREFIX, TEMP_SUFFIX, Vault, VaultError, aside_path

DB_NAME = "onboarding.json"
LOCK_NAME = ".onboarding.lock"
WIZARD_LOCK_NAME = ".wizard.lock"
CODE_MESSAGE_KINDS = frozenset({"sms", "voice"})
TEMP_PREFIX = ".onboarding."  # + random + TEMP_SUFFIX
SCHEMA_VERSION = 2
ENCRYPTED = "fernet"  # {"fernet": "<token>"} stands for an encrypted string

SECRET_LOST_NOTICE = (
    f"Your authenticator app's secret could not be unlocked ({KEY_NAME} in the data directory is "
    "missing or damaged), so set up two-factor authentication again."
)


class DataDirError(Exception):
    """The data directory cannot be used; ``str(err)`` is a one-line message for the user."""


class CorruptDatabase(Exception):
    pass


def default_data_dir() -> Path:
    env = os.environ.get("IQIES_ONBOARD_HOME")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("iqies-onboard", appauthor=False))


def prepare_data_dir(path: Path) -> Path:
    """Create the directory (0700) or explain in one line why it cannot be used."""
    path = Path(path).expanduser()
    if path.exists() and not path.is_dir():
        raise DataDirError(f"data directory {path} is a file, not a directory")
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(path, 0o700)
    except PermissionError:
        raise DataDirError(f"data directory {path} cannot be created or changed (permission denied)") from None
    except OSError as err:
        raise DataDirError(f"data directory {path} cannot be used: {err.strerror or err}") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise DataDirError(f"data directory {path} is not writable")
    for name in (LOCK_NAME, WIZARD_LOCK_NAME):  # lock files made by older versions were 0644
        lock_file = path / name
        if lock_file.is_file() and lock_file.stat().st_mode & 0o077:
            try:
                os.chmod(lock_file, 0o600)
            except OSError:
                pass
    return path


class AtomicJSONStorage(Storage):
    """TinyDB storage: whole-file writes via temp file + fsync + os.replace, mode 0600."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def read(self) -> dict[str, Any] | None:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None
        if not raw.strip():
            return None
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise CorruptDatabase(str(err)) from None
        if not isinstance(data, dict) or not all(
            isinstance(table, dict) and all(isinstance(doc, dict) for doc in table.values())
            for table in data.values()
        ):
            raise CorruptDatabase("not a TinyDB document")
        return data

    def write(self, data: dict[str, Any]) -> None:
        # A newer app may have migrated the file while this one was running: TinyDB writes back
        # what it has just read, meta included, so this is where such a file would be overwritten.
        if _declared_version(data) > SCHEMA_VERSION:
            raise DataDirError(_newer_message(self.path.parent, _declared_version(data)))
        payload = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX, dir=self.path.parent)
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(payload)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            raise
        dir_fd = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    def close(self) -> None:
        pass


# --- schema versions and migrations ---------------------------------------------------------------


def schema_version(data: dict[str, Any]) -> int:
    """The version a database says it has: its first meta document's ``schema_version``, 1 when
    there is none. A version that is not a positive whole number makes the file corrupt."""
    meta = data.get("meta") or {}
    for _, doc in sorted(meta.items(), key=lambda item: (len(item[0]), item[0])):
        if "schema_version" in doc:
            version = doc["schema_version"]
            if isinstance(version, bool) or not isinstance(version, int) or version < 1:
                raise CorruptDatabase(f"schema_version {version!r} is not a version")
            return version
    return 1


def _declared_version(data: dict[str, Any]) -> int:
    try:
        return schema_version(data)
    except CorruptDatabase:
        return 0


def _newer_message(data_dir: Path, version: int) -> str:
    return (
        f"the database in {data_dir} was written by a newer iqies-onboard (schema version "
        f"{version}; this one knows up to {SCHEMA_VERSION}); update iqies-onboard, or use "
        "--data-dir DIR for a separate practice profile"
    )


def _set_schema_version(data: dict[str, Any], version: int) -> None:
    meta = data.setdefault("meta", {})
    for _, doc in sorted(meta.items(), key=lambda item: (len(item[0]), item[0])):
        if "schema_version" in doc:
            doc["schema_version"] = version
            return
    next_id = max((int(k) for k in meta if k.isdigit()), default=0) + 1
    meta[str(next_id)] = {"schema_version": version}


def _is_encrypted(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {ENCRYPTED}


def _migrate_1_to_2(data: dict[str, Any], vault: Vault) -> None:
    """Encrypt every clear TOTP secret."""
    for doc in data.get("accounts", {}).values():
        factor = doc.get("factor")
        if isinstance(factor, dict) and isinstance(factor.get("totp_secret"), str):
            factor["totp_secret"] = {ENCRYPTED: vault.encrypt(factor["totp_secret"])}


# from version N to N + 1; each works on the raw TinyDB data and must be safe to run twice
MIGRATIONS: dict[int, Callable[[dict[str, Any], Vault], None]] = {1: _migrate_1_to_2}


class Store:
    """All persistent state of one data directory. Safe to share between processes."""

    def __init__(self, data_dir: Path, lock_timeout: float = 10.0) -> None:
        self.data_dir = prepare_data_dir(data_dir)
        self.path = self.data_dir / DB_NAME
        self.lock = FileLock(str(self.data_dir / LOCK_NAME), timeout=lock_timeout, mode=0o600)
        self.vault = Vault(self.data_dir)
        self.notice: str | None = None  # one sentence for the user when something was recovered
        self.migrated_from: int | None = None  # the schema version this store migrated, if any
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
        self.db = TinyDB(self.path, storage=AtomicJSONStorage)
        if data is None:
            storage_probe.write({"meta": {"1": {"schema_version": SCHEMA_VERSION}}})
            return
        if version < SCHEMA_VERSION:
            for step in range(version, SCHEMA_VERSION):
                MIGRATIONS[step](data, self.vault)
            _set_schema_version(data, SCHEMA_VERSION)
            storage_probe.write(data)  # one atomic write: a crash leaves the old or the new file
            self.migrated_from = version
        os.chmod(self.path, 0o600)
        if self.vault.path.is_file():
            os.chmod(self.vault.path, 0o600)

    def _remove_orphaned_temp_files(self) -> None:
        """Temporary files left by a process killed mid-write. Every writer holds the lock while its
        temporary file exists, and we hold it now, so any such file is an orphan."""
        for pattern in (f"{TEMP_PREFIX}*{TEMP_SUFFIX}", f"{KEY_TEMP_PREFIX}*{TEMP_SUFFIX}"):
            for orphan in self.data_dir.glob(pattern):
                try:
                    orphan.unlink()
                except OSError:
                    pass

    def claim_wizard(self) -> None:
        """One wizard per data directory: a second window would overwrite the first's progress.
        The claim lasts as long as this process (the OS drops the lock if it dies)."""
        lock = FileLock(str(self.data_dir / WIZARD_LOCK_NAME), timeout=0, mode=0o600)
        try:
            lock.acquire()
        except Timeout:
            raise DataDirError(
                f"the wizard is already open on {self.data_dir} in another window; close it "
                "there, or use --data-dir DIR for a separate practice profile"
            ) from None
        self._wizard_claim = lock

    def release_wizard(self) -> None:
        claim = getattr(self, "_wizard_claim", None)
        if claim is not None:
            claim.release()
            self._wizard_claim = None

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

    def load_account(self) -> dict[str, Any] | None:
        """The account document with its TOTP secret decrypted. If the secret cannot be decrypted
        (key file missing or damaged), the document comes without its ``factor`` (the user sets up
        two-factor authentication again) and :attr:`notice` says so."""
        docs = self.table("accounts").all()
        if not docs:
            return None
        doc = dict(docs[0])
        factor = doc.get("factor")
        if isinstance(factor, dict) and _is_encrypted(factor.get("totp_secret")):
            token = factor["totp_secret"][ENCRYPTED]
            try:
                if not isinstance(token, str):
                    raise VaultError("not a token")
                doc["factor"] = {**factor, "totp_secret": self.vault.decrypt(token)}
            except VaultError:
                del doc["factor"]
                self.notice = SECRET_LOST_NOTICE
        return doc

    def save_account(self, doc: dict[str, Any]) -> None:
        """Store ``doc`` as the account (replacing the previous one whole, in one write); its clear
        TOTP secret is encrypted before anything is written."""
        with self.lock:
            stored = dict(doc)
            factor = stored.get("factor")
            if isinstance(factor, dict) and isinstance(factor.get("totp_secret"), str):
                stored["factor"] = {**factor, "totp_secret": {ENCRYPTED: self.vault.encrypt(factor["totp_secret"])}}
            table = self.table("accounts")
            existing = table.all()
            if existing:

                def replace(current: dict[str, Any]) -> None:
                    current.clear()
                    current.update(stored)

                table.update(replace, doc_ids=[existing[0].doc_id])
            else:
                table.insert(stored)

    def user_ids(self) -> list[str]:
        return [d["user_id"] for d in self.table("accounts").all() if d.get("user_id")]

    def reset(self) -> None:
        """Forget all progress (the meta table and the key stay), in one write."""
        with self.lock:
            data = self.db.storage.read()
            if data is None:
                return
            for name in ("accounts", "outbox", "requests"):
                data.pop(name, None)
            self.db.storage.write(data)

    # --- outbox ---------------------------------------------------------------------------

    def add_message(self, message: dict[str, Any]) -> None:
        if message.get("kind") in CODE_MESSAGE_KINDS and isinstance(message.get("body"), str):
            # a text or voice message carries a live security code: never in clear on disk
            message = {**message, "body": {ENCRYPTED: self.vault.encrypt(message["body"])}}
        with self.lock:
            self.table("outbox").insert(message)

    def messages(self) -> list[dict[str, Any]]:
        out = []
        for doc in self.table("outbox").all():
            message = dict(doc)
            body = message.get("body")
            if isinstance(body, dict) and ENCRYPTED in body:
                try:
                    message["body"] = self.vault.decrypt(body[ENCRYPTED])
                except VaultError:
                    message["body"] = "(This message cannot be read: the sandbox's key file is missing.)"
            out.append(message)
        return out

    # --- role requests --------------------------------------------------------------------

    def add_request(self, request: dict[str, Any]) -> None:
        with self.lock:
            self.table("requests").insert(request)

    def requests(self) -> list[dict[str, Any]]:
        return [dict(d) for d in self.table("requests").all()]

    def iter_requests_for(self, ccn: str) -> Iterator[dict[str, Any]]:
        for req in self.requests():
            if any(o["ccn"] == ccn for o in req.get("organizations", [])):
                yield req

    def provider_has_active_pso(self, ccn: str) -> bool:
        for req in self.iter_requests_for(ccn):
            if req.get("role") == "pso":
                for org in req["organizations"]:
                    if org["ccn"] == ccn and org.get("status") == "approved":
                        return True
        return False
