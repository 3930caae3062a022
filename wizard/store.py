"""The store: TinyDB in the data directory, written crash-safely and shared between processes.

Stock TinyDB rewrites its JSON file in place, so a kill mid-save can leave half a file, and two
processes can interleave. Here every write goes to a temporary file that is fsynced and then
``os.replace``d over the database, under a file lock; the directory is 0700 and the files 0600.
A database that cannot be read is moved aside (never overwritten) and the app starts clean.
"""

from __future__ import annotations

import json
import os
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

from filelock import FileLock, Timeout
from tinydb import TinyDB
from tinydb.storages import Storage

DB_NAME = "onboarding.json"
LOCK_NAME = ".onboarding.lock"
SCHEMA_VERSION = 1


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
        payload = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        fd, tmp = tempfile.mkstemp(prefix=".onboarding.", suffix=".tmp", dir=self.path.parent)
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


class Store:
    """All persistent state of one data directory. Safe to share between processes."""

    def __init__(self, data_dir: Path, lock_timeout: float = 10.0) -> None:
        self.data_dir = prepare_data_dir(data_dir)
        self.path = self.data_dir / DB_NAME
        self.lock = FileLock(str(self.data_dir / LOCK_NAME), timeout=lock_timeout)
        self.notice: str | None = None  # one sentence for the user when something was recovered
        try:
            with self.lock:
                self._open()
        except Timeout:
            raise DataDirError(
                f"data directory {self.data_dir} is locked by another process that does not let go"
            ) from None
        except PermissionError:
            raise DataDirError(f"the database in {self.data_dir} cannot be read (permission denied)") from None

    def _open(self) -> None:
        storage_probe = AtomicJSONStorage(self.path)
        try:
            data = storage_probe.read()
        except CorruptDatabase:
            stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
            aside = self.path.with_name(f"onboarding.corrupt-{stamp}.json")
            n = 1
            while aside.exists():
                aside = self.path.with_name(f"onboarding.corrupt-{stamp}-{n}.json")
                n += 1
            os.replace(self.path, aside)
            self.notice = (
                f"Your saved progress could not be read, so it was kept aside as {aside.name} "
                "and the app started fresh."
            )
            data = None
        self.db = TinyDB(self.path, storage=AtomicJSONStorage)
        if data is None:
            self.db.table("meta", cache_size=0).insert({"schema_version": SCHEMA_VERSION})
        elif self.path.exists():
            os.chmod(self.path, 0o600)

    def claim_wizard(self) -> None:
        """One wizard per data directory: a second window would overwrite the first's progress.
        The claim lasts as long as this process (the OS drops the lock if it dies)."""
        lock = FileLock(str(self.data_dir / ".wizard.lock"), timeout=0)
        try:
            lock.acquire()
        except Timeout:
            raise DataDirError(
                f"the wizard is already open on {self.data_dir} in another window; close it "
                "there, or use --data-dir DIR for a separate practice profile"
            ) from None
        self._wizard_claim = lock

    def table(self, name: str):
        # cache_size=0: another process may have changed the file since our last read.
        return self.db.table(name, cache_size=0)

    # --- accounts -------------------------------------------------------------------------

    def load_account(self) -> dict[str, Any] | None:
        docs = self.table("accounts").all()
        return dict(docs[0]) if docs else None

    def save_account(self, doc: dict[str, Any]) -> None:
        with self.lock:
            table = self.table("accounts")
            existing = table.all()
            if existing:
                table.update(doc, doc_ids=[existing[0].doc_id])
                # update() merges; drop keys the new doc no longer has
                stale = set(existing[0]) - set(doc)
                if stale:
                    table.update(lambda d: [d.pop(k, None) for k in stale], doc_ids=[existing[0].doc_id])
            else:
                table.insert(doc)

    def user_ids(self) -> list[str]:
        return [d["user_id"] for d in self.table("accounts").all() if d.get("user_id")]

    def reset(self) -> None:
        with self.lock:
            for name in ("accounts", "outbox", "requests"):
                self.db.drop_table(name)

    # --- outbox ---------------------------------------------------------------------------

    def add_message(self, message: dict[str, Any]) -> None:
        with self.lock:
            self.table("outbox").insert(message)

    def messages(self) -> list[dict[str, Any]]:
        return [dict(d) for d in self.table("outbox").all()]

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
