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
  each account and outbox document carries the ``profile_name`` it belongs to (``--profile NAME``;
  version 2's single account becomes profile ``default``). Emails go to the Maildir in ``mail/``
  (:mod:`wizard.mail`); text and voice messages stay in the profile's outbox, encrypted.
- 4: each profile's account and outbox move to their own file, ``profiles/<profile>.json`` (same
  TinyDB layout, same atomic writes), and ``users.json`` indexes User IDs to profiles. A step's
  save then rewrites one small file, however many trainees share the directory; ``onboarding.json``
  keeps what everyone shares (role requests, sign-ins). The migration writes the profile files and
  the index first and the shared file last, so a crash in between re-runs it from the old data.
"""

from __future__ import annotations

import errno
import json
import os
import re
import stat
import time
from pathlib import Path
from typing import Any, Callable, Iterator

from filelock import FileLock, Timeout
from tinydb import TinyDB
from tinydb.storages import Storage

from wizard.files import replace_privately
from wizard.vault import KEY_NAME, KEY_TEMP_PREFIX, TEMP_SUFFIX, Vault, VaultError, aside_path

DB_NAME = "onboarding.json"
LOCK_NAME = ".onboarding.lock"
MAX_STORE_BYTES = 64_000_000  # a file of the store larger than this is kept aside, not parsed
WIZARD_LOCK_NAME = ".wizard.lock"
CODE_MESSAGE_KINDS = frozenset({"sms", "voice"})
TEMP_PREFIX = ".onboarding."  # + random + TEMP_SUFFIX
SCHEMA_VERSION = 4
PROFILES_DIR = "profiles"
USERS_NAME = "users.json"
DEFAULT_PROFILE = "default"
OWNER = "profile_name"  # the key naming the profile an account or outbox document belongs to
PROFILE_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,39}")
MAIL_DIR_NAME = "mail"
CLOCK_NAME = "sandbox-clock.json"
ENCRYPTED = "fernet"  # {"fernet": "<token>"} stands for an encrypted string

SECRET_LOST_NOTICE = (
    f"Your authenticator app's secret could not be unlocked ({KEY_NAME} in the data directory is "
    "missing or damaged), so set up two-factor authentication again."
)


class DataDirError(Exception):
    """The data directory cannot be used; ``str(err)`` is a one-line message for the user."""


class CorruptDatabase(Exception):
    pass


class UserIdTaken(Exception):
    """Another profile in this data directory created an account with the same User ID first."""


def check_profile_name(name: str) -> str:
    """A profile name is part of file names: letters, digits, ``. _ -``, up to 40 characters."""
    if not isinstance(name, str) or not PROFILE_PATTERN.fullmatch(name):
        raise DataDirError(
            f"profile name {name!r} is not usable: use 1 to 40 letters, digits, dots, dashes or "
            "underscores, starting with a letter or digit (for example --profile trainee1)"
        )
    return name


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
    _refuse_foreign_or_linked(path)
    for name in (LOCK_NAME, WIZARD_LOCK_NAME):  # lock files made by older versions were 0644
        lock_file = path / name
        if lock_file.is_file() and lock_file.stat().st_mode & 0o077:  # links were refused above
            try:
                os.chmod(lock_file, 0o600)
            except OSError:
                pass
    return path


def _refuse_foreign_or_linked(path: Path) -> None:
    """A data directory someone else owns, or whose files or folders are symbolic links, would
    have this app write (append, chmod) through them to places outside it: refused in one line,
    before anything in it is read or written."""
    from wizard.log import LOG_NAME

    if hasattr(os, "getuid") and path.stat().st_uid != os.getuid():
        raise DataDirError(f"data directory {path} belongs to another user; use a directory of your own")
    names = [DB_NAME, KEY_NAME, LOCK_NAME, WIZARD_LOCK_NAME, LOG_NAME, PROFILES_DIR, MAIL_DIR_NAME, CLOCK_NAME]
    try:
        names += [entry.name for entry in os.scandir(path) if entry.name.startswith(".wizard.")]
        profiles = path / PROFILES_DIR
        if profiles.is_dir() and not profiles.is_symlink():
            names += [f"{PROFILES_DIR}/{entry.name}" for entry in os.scandir(profiles)]
    except OSError:
        pass
    for name in names:
        candidate = path / name
        if candidate.is_symlink():
            raise DataDirError(
                f"data directory {path} holds a symbolic link ({name}); the app writes only real files "
                "of its own there: remove the link, or use another --data-dir"
            )
        if candidate.exists() and hasattr(os, "getuid") and candidate.lstat().st_uid != os.getuid():
            raise DataDirError(f"data directory {path} holds {name}, which belongs to another user")


class AtomicJSONStorage(Storage):
    """TinyDB storage: whole-file writes via temp file + fsync + os.replace, mode 0600."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def read(self) -> dict[str, Any] | None:
        """The file's data, None when it is missing or empty; :class:`CorruptDatabase` when it is
        not a regular file, larger than MAX_STORE_BYTES, nested deeper than Python can parse, or
        not JSON of the right shape (so the caller keeps it aside instead of failing on it)."""
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
        except FileNotFoundError:
            return None
        except OSError as err:
            if err.errno == errno.ELOOP:
                raise CorruptDatabase("a symbolic link, not a file") from None
            raise
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise CorruptDatabase("not a regular file")
            raw = handle.read(MAX_STORE_BYTES + 1)
        if len(raw) > MAX_STORE_BYTES:
            raise CorruptDatabase(f"larger than {MAX_STORE_BYTES // 1_000_000} MB")
        if not raw.strip():
            return None
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise CorruptDatabase(str(err)) from None
        except RecursionError:
            raise CorruptDatabase("nested too deeply") from None
        except ValueError as err:  # a number longer than Python converts
            raise CorruptDatabase(str(err)[:100]) from None
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
        replace_privately(self.path, payload, prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX)
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


def _newer_profile_message(path: Path, version: int) -> str:
    return (
        f"the practice profile {path.stem} in {path.parent.parent} was written by a newer "
        f"iqies-onboard (schema version {version}; this one knows up to {SCHEMA_VERSION}); update "
        "iqies-onboard, or use --profile NAME for another practice profile"
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


def _migrate_1_to_2(data: dict[str, Any], vault: Vault, data_dir: Path) -> None:
    """Encrypt every clear TOTP secret."""
    for doc in data.get("accounts", {}).values():
        factor = doc.get("factor")
        if isinstance(factor, dict) and isinstance(factor.get("totp_secret"), str):
            factor["totp_secret"] = {ENCRYPTED: vault.encrypt(factor["totp_secret"])}


def _migrate_2_to_3(data: dict[str, Any], vault: Vault, data_dir: Path) -> None:
    """The single account (and its outbox) becomes profile ``default``."""
    for name in ("accounts", "outbox"):
        for doc in data.get(name, {}).values():
            doc.setdefault(OWNER, DEFAULT_PROFILE)


def _migrate_3_to_4(data: dict[str, Any], vault: Vault, data_dir: Path) -> None:
    """Accounts and outboxes move to one file per profile; User IDs get an index. Writes the new
    files (each atomically) before the caller rewrites the shared file, so it is safe to re-run."""
    profiles: dict[str, dict[str, Any]] = {}
    for doc in data.pop("accounts", {}).values():
        owner = doc.pop(OWNER, DEFAULT_PROFILE)
        profiles.setdefault(owner, {"accounts": {}, "outbox": {}})["accounts"] = {"1": doc}
    for doc in data.pop("outbox", {}).values():
        owner = doc.pop(OWNER, DEFAULT_PROFILE)
        outbox = profiles.setdefault(owner, {"accounts": {}, "outbox": {}})["outbox"]
        outbox[str(len(outbox) + 1)] = doc
    users: dict[str, dict[str, Any]] = {}
    for owner, content in profiles.items():
        if not PROFILE_PATTERN.fullmatch(owner):
            continue  # not a name a file may have; nothing a user could have typed as --profile
        AtomicJSONStorage(data_dir / PROFILES_DIR / f"{owner}.json").write(content)
        for doc in content["accounts"].values():
            if doc.get("user_id"):
                users[str(len(users) + 1)] = {"user_id": doc["user_id"], "key": str(doc["user_id"]).casefold(), "profile": owner}
    AtomicJSONStorage(data_dir / USERS_NAME).write({"users": users})


# from version N to N + 1; each works on the raw TinyDB data and must be safe to run twice
MIGRATIONS: dict[int, Callable[[dict[str, Any], Vault, Path], None]] = {
    1: _migrate_1_to_2, 2: _migrate_2_to_3, 3: _migrate_3_to_4,
}


class Store:
    """All persistent state of one data directory. Safe to share between processes."""

    def __init__(
        self,
        data_dir: Path,
        lock_timeout: float = 10.0,
        profile: str = DEFAULT_PROFILE,
        smtp: tuple[str, int] | None = None,
        claim_wizard: bool = False,
    ) -> None:
        self.profile = check_profile_name(profile)
        self.smtp = smtp
        self.data_dir = prepare_data_dir(data_dir)
        self._wizard_claim = None
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
        profiles = self.data_dir / PROFILES_DIR
        profiles.mkdir(mode=0o700, exist_ok=True)
        os.chmod(profiles, 0o700)
        self.db = TinyDB(self.path, storage=AtomicJSONStorage)
        self._profile_data()  # a newer profile file is refused now, in one line; a corrupt one kept aside
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
                        f"{PROFILES_DIR}/{TEMP_PREFIX}*{TEMP_SUFFIX}"):
            for orphan in self.data_dir.glob(pattern):
                try:
                    orphan.unlink()
                except OSError:
                    pass

    def sibling(self, profile: str) -> "Store":
        """The same data directory seen as another profile (the console signs PSOs in)."""
        other = object.__new__(Store)
        other.__dict__.update(self.__dict__)
        other.profile = check_profile_name(profile)
        other.notice = None
        other._wizard_claim = None
        return other

    def claim_wizard(self) -> None:
        """One wizard per profile: a second window would overwrite the first's progress.
        The claim lasts as long as this process (the OS drops the lock if it dies)."""
        name = WIZARD_LOCK_NAME if self.profile == DEFAULT_PROFILE else f".wizard.{self.profile}.lock"
        lock = FileLock(str(self.data_dir / name), timeout=0, mode=0o600)
        try:
            lock.acquire()
        except Timeout:
            other = "" if self.profile == DEFAULT_PROFILE else f" --profile {self.profile}"
            raise DataDirError(
                f"the wizard{other} is already open on {self.data_dir} in another window; close it "
                "there, or use --profile NAME for another trainee's practice account"
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

    # --- this profile's file: its account and outbox -------------------------------------------

    @property
    def account_path(self) -> Path:
        return self.data_dir / PROFILES_DIR / f"{self.profile}.json"

    def _profile_data(self, profile: str | None = None) -> dict[str, Any]:
        """A profile's file, ``{}`` if it has none. A file that cannot be read is moved aside
        (under the lock, never overwritten) and the profile starts fresh, saying so."""
        path = self.data_dir / PROFILES_DIR / f"{profile or self.profile}.json"
        try:
            data = AtomicJSONStorage(path).read() or {}
            if _declared_version(data) > SCHEMA_VERSION:
                if profile is not None and profile != self.profile:
                    return {}  # someone else's: its owner is told
                raise DataDirError(_newer_profile_message(path, _declared_version(data)))
            return data
        except CorruptDatabase:
            if profile is not None and profile != self.profile:
                return {}  # someone else's: its owner keeps it aside, and is told so
            with self.lock:
                try:
                    return AtomicJSONStorage(path).read() or {}  # another process may have mended it
                except CorruptDatabase:
                    aside = aside_path(self.data_dir, f"{path.stem}.corrupt", ".json")
                    os.replace(path, aside)
            if profile is None or profile == self.profile:
                self.notice = (
                    f"Your saved progress could not be read, so it was kept aside as {aside.name} "
                    "and the app started fresh."
                )
            return {}

    def _write_profile(self, data: dict[str, Any]) -> None:
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
        """This profile's account document with its TOTP secret decrypted. If the secret cannot
        be decrypted (key file missing or damaged), the document comes without its ``factor``
        (the user sets up two-factor authentication again) and :attr:`notice` says so."""
        docs = list((self._profile_data().get("accounts") or {}).values())
        return self._decrypted_account(docs[0], note=True) if docs else None

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
        """Store ``doc`` as this profile's account (replacing the previous one whole, in one
        write of this profile's file only); its clear TOTP secret is encrypted before anything is
        written. A User ID that another profile's account already has raises
        :class:`UserIdTaken` and writes nothing."""
        with self.lock:
            stored = dict(doc)
            factor = stored.get("factor")
            if isinstance(factor, dict) and isinstance(factor.get("totp_secret"), str):
                stored["factor"] = {**factor, "totp_secret": {ENCRYPTED: self.vault.encrypt(factor["totp_secret"])}}
            data = self._profile_data()
            before = next(iter((data.get("accounts") or {}).values()), {})
            if stored.get("user_id") != before.get("user_id"):
                self._index_user_id(stored.get("user_id"))
            data["accounts"] = {"1": stored}
            self._write_profile(data)

    # --- User IDs across profiles ----------------------------------------------------------------

    def _users(self) -> dict[str, dict[str, Any]]:
        """The User ID index; rebuilt from the profile files if it is missing or damaged."""
        try:
            data = AtomicJSONStorage(self.data_dir / USERS_NAME).read()
        except CorruptDatabase:
            data = None
        if data is None:
            return self._rebuild_users()
        users = data.get("users")
        if not isinstance(users, dict):
            return self._rebuild_users()
        # an edited index: only entries whose fields are all text count
        return {k: u for k, u in users.items() if isinstance(u, dict)
                and all(isinstance(u.get(f), str) for f in ("user_id", "key", "profile"))}

    def _rebuild_users(self) -> dict[str, dict[str, Any]]:
        """The index from the profile files themselves (a lost or damaged users.json)."""
        users: dict[str, dict[str, Any]] = {}
        for path in sorted((self.data_dir / PROFILES_DIR).glob("*.json")):
            for doc in (self._profile_data(path.stem).get("accounts") or {}).values():
                if doc.get("user_id"):
                    users[str(len(users) + 1)] = {
                        "user_id": doc["user_id"], "key": str(doc["user_id"]).casefold(), "profile": path.stem,
                    }
        return users

    def _index_user_id(self, user_id: str | None) -> None:
        """Give this profile ``user_id`` in the index (None: drop its entry); the caller holds the lock."""
        users = self._held_users()
        key = str(user_id).casefold() if user_id else None
        if key and any(u.get("key") == key and u.get("profile") != self.profile for u in users.values()):
            raise UserIdTaken(user_id)
        if key and any(str(doc.get("user_id") or "").casefold() == key
                       for profile, doc in self.accounts() if profile != self.profile):
            raise UserIdTaken(user_id)  # an index edited by hand does not let two accounts share one
        kept = [u for u in users.values() if u.get("profile") != self.profile]
        if key:
            kept.append({"user_id": user_id, "key": key, "profile": self.profile})
        self._refuse_if_newer()
        AtomicJSONStorage(self.data_dir / USERS_NAME).write({"users": {str(i): u for i, u in enumerate(kept, 1)}})

    def _held_users(self) -> dict[str, dict[str, Any]]:
        """The index entries whose profile file really holds that User ID: one kept aside (or
        deleted, or edited by hand) releases its User ID."""
        held: dict[str, dict[str, Any]] = {}
        for k, entry in self._users().items():
            profile = str(entry.get("profile"))
            if not PROFILE_PATTERN.fullmatch(profile):
                continue
            if profile == self.profile:
                docs = list((self._own_profile_data_quiet().get("accounts") or {}).values())
            else:
                docs = list((self._profile_data(profile).get("accounts") or {}).values())
            if docs and str(docs[0].get("user_id") or "").casefold() == entry.get("key"):
                held[k] = entry
        return held

    def _own_profile_data_quiet(self) -> dict[str, Any]:
        path = self.account_path
        try:
            return AtomicJSONStorage(path).read() or {}
        except CorruptDatabase:
            return {}

    def user_ids(self) -> list[str]:
        """Every User ID held in this data directory, by any profile (one whose file was kept
        aside holds none)."""
        return [u["user_id"] for u in self._held_users().values() if u.get("user_id")]

    def account_for_user_id(self, user_id: str) -> tuple[str, dict[str, Any]] | None:
        """(profile, account) of the account with this User ID (case-insensitive), if any."""
        wanted = user_id.casefold()
        for entry in self._users().values():
            if wanted and entry.get("key") == wanted and PROFILE_PATTERN.fullmatch(str(entry.get("profile"))):
                docs = list((self._profile_data(entry["profile"]).get("accounts") or {}).values())
                if docs and str(docs[0].get("user_id") or "").casefold() == wanted:
                    return entry["profile"], self._decrypted_account(docs[0])
        return None

    def accounts(self) -> list[tuple[str, dict[str, Any]]]:
        """(profile, account) for every profile with an account."""
        out = []
        for path in sorted((self.data_dir / PROFILES_DIR).glob("*.json")):
            if not PROFILE_PATTERN.fullmatch(path.stem):
                continue
            docs = list((self._profile_data(path.stem).get("accounts") or {}).values())
            if docs:
                out.append((path.stem, self._decrypted_account(docs[0])))
        return out

    def reset(self) -> None:
        """Forget this profile's progress: its account, outbox, User ID and requests (the meta
        table, the key and other profiles stay)."""
        with self.lock:
            before = next(iter((self._profile_data().get("accounts") or {}).values()), {})
            self._write_profile({})
            self._index_user_id(None)
            user_id = before.get("user_id")
            if user_id:
                data = self.db.storage.read() or {}
                requests = data.get("requests", {})
                for key in [k for k, d in requests.items() if d.get("user_id") == user_id]:
                    del requests[key]
                self.db.storage.write(data)

    # --- outbox ---------------------------------------------------------------------------

    @property
    def mailer(self):
        if self._mailer is None:
            from wizard.mail import Mailer

            self._mailer = Mailer(self.data_dir / MAIL_DIR_NAME, smtp=self.smtp)
        return self._mailer

    def add_message(self, message: dict[str, Any]) -> None:
        """An email goes to the Maildir (and over SMTP when set up); a text or voice message to
        this profile's outbox, its body (a live security code) never in clear on disk."""
        if message.get("kind") == "email":
            self.mailer.deliver(message)
            return
        message = {**message, "seq": time.time_ns()}
        if message.get("kind") in CODE_MESSAGE_KINDS and isinstance(message.get("body"), str):
            message["body"] = {ENCRYPTED: self.vault.encrypt(message["body"])}
        with self.lock:
            data = self._profile_data()
            outbox = data.setdefault("outbox", {})
            next_id = max((int(k) for k in outbox if str(k).isdigit()), default=0) + 1
            outbox[str(next_id)] = message
            self._write_profile(data)

    def messages(self, address: str | None = None) -> list[dict[str, Any]]:
        """This profile's messages, oldest first: its text and voice messages, and the emails
        in the Maildir sent to ``address``."""
        found: list[tuple[int, dict[str, Any]]] = []
        outbox = self._profile_data().get("outbox") or {}
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

    # --- role requests --------------------------------------------------------------------

    def add_request(self, request: dict[str, Any]) -> None:
        with self.lock:
            self.table("requests").insert(request)

    def requests(self) -> list[dict[str, Any]]:
        return [dict(d) for d in self.table("requests").all()]

    def update_request(self, request_id: str, change: Callable[[dict[str, Any]], None]) -> dict[str, Any] | None:
        """Apply ``change`` to the request with this id under the lock (read, change, write in
        one go, so a wizard and a console deciding at once lose nothing); the changed request,
        or None if there is no such request."""
        from tinydb import Query

        with self.lock:
            table = self.table("requests")
            found = table.get(Query().id == request_id)
            if found is None:
                return None
            doc = dict(found)
            change(doc)

            def replace(current: dict[str, Any]) -> None:
                current.clear()
                current.update(doc)

            table.update(replace, doc_ids=[found.doc_id])
            return doc

    def record_sign_in(self, user_id: str, when: str) -> None:
        """The last time ``user_id`` signed in to iQIES (roles lapse after 60 days without)."""
        from tinydb import Query

        key = user_id.casefold()
        with self.lock:
            self.table("sign_ins").upsert({"user_id": key, "at": when}, Query().user_id == key)

    def sign_ins(self) -> dict[str, str]:
        return {d["user_id"]: d["at"] for d in self.table("sign_ins").all() if "user_id" in d and "at" in d}

    def iter_requests_for(self, ccn: str) -> Iterator[dict[str, Any]]:
        for req in self.requests():
            if any(o["ccn"] == ccn for o in req.get("organizations", [])):
                yield req

    def provider_has_active_pso(self, ccn: str) -> bool:
        return bool(self.active_psos(ccn))

    def active_psos(self, ccn: str, requests: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
        """The provider's active PSOs: approved PSO requests for it (not removed, not lapsed),
        as {user_id, requester, email, request_id}, one per User ID."""
        out: dict[str, dict[str, Any]] = {}
        for req in requests if requests is not None else self.requests():
            if req.get("role") != "pso":
                continue
            for org in req.get("organizations", []):
                if org.get("ccn") == ccn and org.get("status") == "approved":
                    uid = req.get("user_id") or req.get("id")
                    out.setdefault(
                        uid,
                        {"user_id": req.get("user_id"), "requester": req.get("requester"),
                         "email": req.get("email"), "request_id": req.get("id")},
                    )
        return list(out.values())

    def shared_stamp(self) -> tuple[int, int, int, int]:
        """Changes whenever the shared requests (or the sandbox clock) may have: a page that
        polls for decisions made elsewhere re-reads only then."""
        try:
            st = self.path.stat()
            seen = (st.st_mtime_ns, st.st_size, st.st_ino)
        except OSError:
            seen = (0, 0, 0)
        return (*seen, self.clock_offset_days())
