"""The store's files: the data directory (0700, refused when someone else owns it or it holds
links), and :class:`AtomicJSONStorage`, TinyDB's storage written crash-safely (temporary file,
fsync, ``os.replace``, mode 0600) and read with a size and depth bound. Also the schema version
helpers shared by the store and its migrations (:mod:`wizard.migrations`)."""

from __future__ import annotations

import errno
import json
import os
import re
import stat
from pathlib import Path
from typing import Any, Mapping

from tinydb.storages import Storage

from wizard.files import replace_privately
from wizard.vault import KEY_NAME, TEMP_SUFFIX

DB_NAME = "onboarding.json"
LOCK_NAME = ".onboarding.lock"
MAX_STORE_BYTES = 64_000_000  # a file of the store larger than this is kept aside, not parsed
WIZARD_LOCK_NAME = ".wizard.lock"
CODE_MESSAGE_KINDS = frozenset({"sms", "voice"})
TEMP_PREFIX = ".onboarding."  # + random + TEMP_SUFFIX
SCHEMA_VERSION = 5
PRACTICE_ACCOUNTS_DIR = "profiles"  # on disk: the folder of the practice accounts' files (name kept)
USERS_NAME = "users.json"
DEFAULT_PRACTICE_ACCOUNT = "default"
PRACTICE_ACCOUNT_ENV = "IQIES_ONBOARD_PRACTICE_ACCOUNT"
PRACTICE_ACCOUNT_ENV_ALIAS = "IQIES_ONBOARD_PROFILE"  # its older name, still read (the new one wins)
PRACTICE_ACCOUNT_KEY = "profile_name"  # on disk: the practice account's name in account and outbox documents
USERS_PRACTICE_ACCOUNT_KEY = "profile"  # on disk: the practice account's name in a users.json entry
PRACTICE_ACCOUNT_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,39}")
MAIL_DIR_NAME = "mail"
CLOCK_NAME = "sandbox-clock.json"
CONSOLE_LOCK_PREFIX = ".console."  # + case-folded User ID digest + ".lock": a console's claim
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
    """Another practice account in this data directory created an account with the same User ID first."""


def chosen_practice_account(option: str | None, environ: Mapping[str, str]) -> str:
    """The practice account a command runs on: ``--practice-account``/``--profile``, else
    ``$IQIES_ONBOARD_PRACTICE_ACCOUNT``, else its older name ``$IQIES_ONBOARD_PROFILE``, else
    ``default``."""
    if option is not None:
        return option
    return environ.get(PRACTICE_ACCOUNT_ENV) or environ.get(PRACTICE_ACCOUNT_ENV_ALIAS) or DEFAULT_PRACTICE_ACCOUNT


def check_practice_account_name(name: str) -> str:
    """A practice account name is part of file names: letters, digits, ``. _ -``, up to 40 characters."""
    if not isinstance(name, str) or not PRACTICE_ACCOUNT_PATTERN.fullmatch(name):
        raise DataDirError(
            f"practice account name {name!r} is not usable: use 1 to 40 letters, digits, dots, dashes or "
            "underscores, starting with a letter or digit (for example --practice-account trainee1)"
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
    names = [DB_NAME, KEY_NAME, LOCK_NAME, WIZARD_LOCK_NAME, LOG_NAME, PRACTICE_ACCOUNTS_DIR, MAIL_DIR_NAME, CLOCK_NAME]
    try:
        names += [entry.name for entry in os.scandir(path)
                  if entry.name.startswith((".wizard.", CONSOLE_LOCK_PREFIX))]
        practice_accounts = path / PRACTICE_ACCOUNTS_DIR
        if practice_accounts.is_dir() and not practice_accounts.is_symlink():
            names += [f"{PRACTICE_ACCOUNTS_DIR}/{entry.name}" for entry in os.scandir(practice_accounts)]
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
        "--data-dir DIR for a separate practice account"
    )


def _newer_practice_account_message(path: Path, version: int) -> str:
    return (
        f"the practice account {path.stem} in {path.parent.parent} was written by a newer "
        f"iqies-onboard (schema version {version}; this one knows up to {SCHEMA_VERSION}); update "
        "iqies-onboard, or use --practice-account NAME for another practice account"
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

