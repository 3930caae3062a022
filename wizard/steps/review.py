"""Step: iQIES Review and Submit Request."""

from __future__ import annotations

from wizard.steps.spec import StepSpec, submit_with

SPEC = StepSpec(
    key="review",
    system="iQIES",
    real_page="Review and Submit Request",
    real_address="iqies.cms.gov",
    label="Review & submit",
    done=lambda flow: flow.record.last_submitted_request is not None,
    back=True,
    submit=submit_with("submit_review"),
)
