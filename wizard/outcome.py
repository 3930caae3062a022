"""What a step's Submit (or Back, or an action on a page) says: :class:`StepOutcome`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from wizard.steps import Step


@dataclass
class StepOutcome:
    ok: bool
    errors: dict[str, str] = field(default_factory=dict)
    message: str = ""
    next_step: Step | None = None
    warnings: list[str] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)  # field name -> label the user sees

    @property
    def summary(self) -> str:
        if self.ok or not self.errors:
            return self.message
        if self.message:
            return self.message
        names = [self.labels.get(f, f.replace("_", " ")) for f in self.errors]
        if len(names) == 1:
            return f"Fix {names[0]} before you go on (see the message under it)."
        return f"Fix these {len(names)} fields before you go on: {', '.join(names)}."
