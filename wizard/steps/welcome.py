"""Step: Welcome to iQIES (the home page; Request User Role goes on)."""

from __future__ import annotations

from wizard.steps.spec import StepSpec

SPEC = StepSpec(
    key="welcome",
    system="iQIES",
    real_page="Welcome to iQIES",
    real_address="iqies.cms.gov",
    label="Welcome to iQIES",
    no_back="This is the iQIES home page; use Request User Role to continue.",
    submit=lambda flow, form: flow.request_role(),
)
