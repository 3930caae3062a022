"""Typed records of the shared store: role requests, their per-organization decisions, the
decision status (which carries its own label) and the User ID value type.

Every reader (the approver console, the wizard's Pending Requests, the runner, the report, plain
mode) gets these from :meth:`wizard.store.Store.requests`; a stored document that does not
validate never reaches them (the store logs and ignores it). A record keeps every field it was
stored with (``extra="allow"``) and is written back with exactly the fields it has, so an older
or newer app's additions are not lost.

:class:`UserId` owns case folding: two User IDs are equal (and hash alike) when their case-folded
forms are, and a User ID shows as it was typed. HARP User IDs are not case-sensitive.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, GetCoreSchemaHandler
from pydantic_core import core_schema


class UserId(str):
    """A HARP User ID: compared and hashed case-folded, shown as typed."""

    __slots__ = ()

    @property
    def key(self) -> str:
        """The case-folded form: what an index or a comparison uses."""
        return str.casefold(self)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            return str.casefold(self) == str.casefold(other)
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    def __hash__(self) -> int:
        return hash(str.casefold(self))

    def __repr__(self) -> str:
        return f"UserId({str.__repr__(self)})"

    @classmethod
    def of(cls, value: Any) -> "UserId | None":
        """``value`` as a User ID; None for nothing, or for anything that is not text."""
        if isinstance(value, str) and value:
            return value if isinstance(value, UserId) else cls(value)
        return None

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(
            cls, core_schema.str_schema(min_length=1, max_length=200),
            serialization=core_schema.plain_serializer_function_ser_schema(str),
        )


def same_user(a: Any, b: Any) -> bool:
    """Whether two stored User IDs (either may be missing) name one user."""
    left, right = UserId.of(a), UserId.of(b)
    return left is not None and left == right


class Status(StrEnum):
    """Where one organization of a role request stands. ``label`` is the word every front end shows."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    REMOVED = "removed"
    LAPSED = "lapsed"

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def is_open(self) -> bool:
        """Pending or approved: a second request for the same role and provider is refused."""
        return self in (Status.PENDING, Status.APPROVED)


_LABELS = {
    Status.PENDING: "Pending", Status.APPROVED: "Active", Status.REJECTED: "Rejected",
    Status.REMOVED: "Removed", Status.LAPSED: "Lapsed",
}


class _Stored(BaseModel):
    """Common to the stored records: read by attribute (``rec.status``, ``rec.ccn``); fields an
    older or newer app added are attributes too (``extra="allow"``)."""

    model_config = ConfigDict(extra="allow", validate_assignment=True, use_enum_values=False)

    def stored(self) -> dict[str, Any]:
        """The record as it is written to the store: exactly the fields it has."""
        return self.model_dump(mode="json", exclude_unset=True)


class OrgDecision(_Stored):
    """One organization of a role request and the decision on it."""

    ccn: str = Field(min_length=1, max_length=40)
    facility_id: str | None = None
    name: str | None = None
    city: str | None = None
    state: str | None = None
    status: Status
    approver: str | None = None  # the route's kind at submission: "cms", "pso" or "none"
    decided_at: str | None = None
    decided_by: str | None = None
    decided_by_name: str | None = None
    reason: str | None = None
    removed_at: str | None = None
    removed_by: str | None = None  # a PSO's User ID (Manage access); none: the iQIES Service Center
    removed_by_name: str | None = None
    lapsed_at: str | None = None
    reminded: str | None = None
    warned_for: str | None = None

    @property
    def label(self) -> str:
        """As emails, the console and the runner name it: "NAME (CCN 015009)"."""
        return f"{self.name or 'Unknown provider'} (CCN {self.ccn})"


class RoleRequest(_Stored):
    """A submitted iQIES role request: who asks for which role at which organizations."""

    id: str = Field(min_length=1, max_length=100)
    user_id: UserId | None = None
    requester: str | None = None
    email: str | None = None
    category: str | None = None
    role: str | None = None
    relationship: str | None = None
    organizations: list[OrgDecision] = Field(default_factory=list, max_length=200)
    submitted_at: str | None = None

    def org(self, ccn: str) -> OrgDecision | None:
        return next((o for o in self.organizations if o.ccn == ccn), None)

    def is_by(self, user_id: Any) -> bool:
        """Whether ``user_id`` (any case) asked for this request."""
        return same_user(self.user_id, user_id)
