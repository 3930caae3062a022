"""Step: iQIES Welcome to iQIES: Pending Requests (the request waits for its approvers)."""

from __future__ import annotations

from wizard.steps.spec import StepSpec

SPEC = StepSpec(
    key="await_approval",
    system="iQIES",
    real_page="Welcome to iQIES: Pending Requests",
    real_address="iqies.cms.gov",
    label="Await approval",
    no_back="Your request is submitted; use Request User Role for another role or provider.",
)
