"""The shared part of the store: role requests (with their decisions) and sign-in times, in
``onboarding.json``, each document sealed (:mod:`wizard.seal`) and handed out as a typed record
(:mod:`wizard.records`). A document that fails its seal or does not validate is ignored and
logged, never shown and never a traceback."""

from __future__ import annotations

import os
from typing import Any, Callable, Iterator

from pydantic import ValidationError

from wizard import seal
from wizard.records import RoleRequest, Status, UserId, _Stored
from wizard.seal import Sealer


class ActivePso(_Stored):
    """An active PSO of one provider: from an approved PSO request (not removed, not lapsed)."""

    user_id: UserId | None = None
    requester: str | None = None
    email: str | None = None
    request_id: str


def _as_record(request: RoleRequest | dict[str, Any]) -> RoleRequest:
    return request if isinstance(request, RoleRequest) else RoleRequest.model_validate(request)


class SharedRecords:
    """Mixed into :class:`wizard.store.Store`: needs ``lock``, ``vault``, ``table()``."""

    # --- role requests --------------------------------------------------------------------

    def add_request(self, request: RoleRequest | dict[str, Any]) -> RoleRequest:
        """Store a new request, sealed; ValidationError (nothing written) if it is not one."""
        record = _as_record(request)
        with self.lock:
            self.table("requests").insert(Sealer(self.vault, seal.REQUEST, create=True).seal(record.stored()))
        return record

    def _valid_requests(self, docs: Any, bodies: list | None = None) -> Iterator[tuple[int | None, RoleRequest]]:
        """(doc id, record) for each document that holds its seal and validates, first of each
        id; ``bodies`` collects the checked documents (for :meth:`requests`' cache)."""
        sealer = Sealer(self.vault, seal.REQUEST)
        seen: set[str] = set()
        for doc in docs:
            body = sealer.unsealed(doc, "requests")
            if body is None:
                continue
            try:
                record = RoleRequest.model_validate(body)
            except ValidationError:
                seal.ignored("requests", "invalid", doc)
                continue
            if record.id in seen:  # a sealed document copied by hand: the first counts
                seal.ignored("requests", "duplicate", doc)
                continue
            seen.add(record.id)
            if bodies is not None:
                bodies.append(body)
            yield getattr(doc, "doc_id", None), record

    def requests(self) -> list[RoleRequest]:
        """Every role request in the data directory that holds its seal, oldest first (new
        records on every call). The seals are checked again only when onboarding.json or
        secret.key changed since the last call: a console polls every 2 seconds."""
        cached = self._cached_bodies()
        if cached is not None:
            return [RoleRequest.model_validate(body) for body in cached]
        return self._read_requests()

    def _cached_bodies(self) -> list[dict[str, Any]] | None:
        """The checked documents of the last read, if neither file changed since."""
        stamp = self._requests_stamp()
        cached = getattr(self, "_requests_cache", None)
        if stamp is not None and cached is not None and cached[0] == stamp:
            return cached[1]
        return None

    def _read_requests(self) -> list[RoleRequest]:
        stamp = self._requests_stamp()
        bodies: list[dict[str, Any]] = []
        records = [record for _, record in self._valid_requests(self.table("requests").all(), bodies)]
        if stamp is not None and stamp == self._requests_stamp():  # not changed while we read
            self._requests_cache = (stamp, bodies)
        return records

    def _request_bodies(self) -> list[dict[str, Any]]:
        cached = self._cached_bodies()
        if cached is None:
            return [r.stored() for r in self._read_requests()]
        return cached

    def has_request(self, user_id: Any, request_id: Any) -> bool:
        """Whether a sealed request ``request_id`` of ``user_id`` (any case) is stored: cheap,
        since every save of the wizard asks (see :meth:`wizard.store.Store.load_account`)."""
        wanted = UserId.of(user_id)
        if wanted is None:
            return False
        bodies = self._request_bodies()
        index = getattr(self, "_request_index", None)
        if index is None or index[0] is not bodies:
            pairs = {(b.get("id"), UserId(b["user_id"]).key) for b in bodies if isinstance(b.get("user_id"), str) and b["user_id"]}
            index = self._request_index = (bodies, pairs)
        return (request_id, wanted.key) in index[1]

    def _requests_stamp(self) -> tuple | None:
        try:
            stamps = []
            for path in (self.path, self.vault.path):
                st = os.stat(path, follow_symlinks=False)
                stamps.append((st.st_mtime_ns, st.st_size, st.st_ino))
            return tuple(stamps)
        except OSError:
            return None

    def request(self, request_id: str) -> RoleRequest | None:
        return next((r for r in self.requests() if r.id == request_id), None)

    def requests_of(self, user_id: Any) -> list[RoleRequest]:
        """The requests ``user_id`` (any case) submitted."""
        wanted = UserId.of(user_id)
        if wanted is None:
            return []
        return [RoleRequest.model_validate(b) for b in self._request_bodies() if UserId.of(b.get("user_id")) == wanted]

    def update_request(self, request_id: str, change: Callable[[RoleRequest], None]) -> RoleRequest | None:
        """Apply ``change`` to the request with this id under the lock (read, change, write in
        one go, so a wizard and a console deciding at once lose nothing), and seal it again; the
        changed request, or None if there is no such request (or none that holds its seal)."""
        with self.lock:
            table = self.table("requests")
            found = next(((doc_id, r) for doc_id, r in self._valid_requests(table.all()) if r.id == request_id), None)
            if found is None:
                return None
            doc_id, record = found
            record = record.model_copy(deep=True)
            change(record)
            record = RoleRequest.model_validate(record.stored())  # what is written is a valid record
            sealed = Sealer(self.vault, seal.REQUEST, create=True).seal(record.stored())

            def replace(current: dict[str, Any]) -> None:
                current.clear()
                current.update(sealed)

            table.update(replace, doc_ids=[doc_id])
            return record

    def drop_requests_of(self, user_id: Any) -> None:
        """Forget every request of ``user_id`` (a reset practice account); the caller holds the lock."""
        data = self.db.storage.read() or {}
        requests = data.get("requests", {})
        for key in [k for k, d in requests.items() if isinstance(d, dict) and UserId.of(d.get("user_id")) == UserId.of(user_id)]:
            del requests[key]
        self.db.storage.write(data)

    # --- sign-in times ----------------------------------------------------------------------

    def record_sign_in(self, user_id: str, when: str) -> None:
        """The last time ``user_id`` signed in to iQIES (roles lapse after 60 days without)."""
        from tinydb import Query

        key = UserId(user_id).key
        with self.lock:
            doc = Sealer(self.vault, seal.SIGN_IN, create=True).seal({"user_id": key, "at": when})
            self.table("sign_ins").upsert(doc, Query().user_id == key)

    def sign_ins(self) -> dict[str, str]:
        """Case-folded User ID -> last sign-in time, from the sign-ins that hold their seal."""
        sealer = Sealer(self.vault, seal.SIGN_IN)
        out: dict[str, str] = {}
        for doc in self.table("sign_ins").all():
            body = sealer.unsealed(doc, "sign_ins")
            if body and isinstance(body.get("user_id"), str) and isinstance(body.get("at"), str):
                out[body["user_id"]] = body["at"]
        return out

    # --- who is PSO where ---------------------------------------------------------------------

    def iter_requests_for(self, ccn: str) -> Iterator[RoleRequest]:
        for req in self.requests():
            if req.org(ccn) is not None:
                yield req

    def provider_has_active_pso(self, ccn: str) -> bool:
        return bool(self.active_psos(ccn))

    def active_psos(self, ccn: str, requests: list[RoleRequest] | None = None) -> list[ActivePso]:
        """The provider's active PSOs: approved PSO requests for it (not removed, not lapsed),
        one per User ID (any case)."""
        from wizard.rules import PSO_ROLE

        out: dict[Any, ActivePso] = {}
        for req in requests if requests is not None else self.requests():
            if req.role != PSO_ROLE:
                continue
            org = req.org(ccn)
            if org is not None and org.status == Status.APPROVED:
                out.setdefault(
                    req.user_id or req.id,
                    ActivePso(user_id=req.user_id, requester=req.requester, email=req.email, request_id=req.id),
                )
        return list(out.values())
