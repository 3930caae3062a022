"""Snapshots of trainer mode (``iqies-onboard demo``) with the presenter notes open: at 120x40
(the step list, the form and the notes side by side) and at 100x30, a projector's large font
(the step list gives way to the notes), in the default and the high-contrast theme. Clock, codes
and cursor blink are frozen, and the console command shown is the one without --data-dir, so a
change in a snapshot is a change on screen."""

from __future__ import annotations

from tests.test_demo import demo_app
from wizard.steps import Step

WIDE = (120, 40)
PROJECTOR = (100, 30)


def jumped(step: Step):
    async def run_before(pilot):
        await pilot.pause()
        pilot.app.jump_to(step)
        await pilot.pause()

    return run_before


def test_profile_with_notes_at_120x40(snap_compare, data_dir):
    """Step 1 of "the only PSO has left": filled from Luis, the setup and the console named."""
    assert snap_compare(demo_app(data_dir, "only-pso-left"), terminal_size=WIDE)


def test_role_with_notes_at_120x40(snap_compare, data_dir):
    """A vendor's PSO request, jumped to step 9 from an empty profile."""
    assert snap_compare(demo_app(data_dir, "vendor-asks-for-pso"), terminal_size=WIDE,
                        run_before=jumped(Step.ROLE))


def test_vendor_refused_with_notes_at_120x40(snap_compare, data_dir):
    """Next on step 9: the refusal names the role a vendor asks for."""
    async def run_before(pilot):
        await jumped(Step.ROLE)(pilot)
        await pilot.press("ctrl+n")
        await pilot.pause()

    assert snap_compare(demo_app(data_dir, "vendor-asks-for-pso"), terminal_size=WIDE, run_before=run_before)


def removed_ellen_then_jumped(step: Step):
    async def run_before(pilot):
        from tests.test_demo import flow_of
        from wizard.approvals import CMS_REVIEWER, Approvals

        await pilot.pause()
        store = pilot.app.store
        ellen = flow_of(store, "ellen")
        Approvals(store, pilot.app.flow.clock).remove_pso(CMS_REVIEWER, "015010", ellen.record.user_id)
        pilot.app.jump_to(step)
        await pilot.pause()

    return run_before


def test_await_approval_with_notes_at_120x40(snap_compare, data_dir):
    """Step 12 of "the only PSO has left", Ellen removed in the console first: Luis's request
    waits for CMS, the script says what to do in the console."""
    assert snap_compare(demo_app(data_dir, "only-pso-left"), terminal_size=WIDE,
                        run_before=removed_ellen_then_jumped(Step.AWAIT_APPROVAL))


def test_jump_warning_at_80x24(snap_compare, data_dir):
    """Ctrl+P to step 11 before Ellen is removed: the demo says so before it jumps."""
    assert snap_compare(demo_app(data_dir, "only-pso-left"), terminal_size=(80, 24),
                        run_before=jumped(Step.REVIEW))


def test_organizations_with_notes_at_80x24(snap_compare, data_dir):
    """80x24 with the notes open: the form keeps its room, the step list gives way."""
    assert snap_compare(demo_app(data_dir, "only-pso-left"), terminal_size=(80, 24),
                        run_before=jumped(Step.ORGANIZATIONS))


def test_picker_at_80x24(snap_compare):
    """All six scenarios show at 80x24, one line each; the highlighted one's summary below."""
    from screens.demo import DemoPickerApp

    assert snap_compare(DemoPickerApp(), terminal_size=(80, 24))


def test_organizations_with_notes_at_100x30(snap_compare, data_dir):
    """A projector's large font: the notes keep their room, the step list gives way."""
    assert snap_compare(demo_app(data_dir, "only-pso-left"), terminal_size=PROJECTOR,
                        run_before=jumped(Step.ORGANIZATIONS))


def test_high_contrast_at_100x30(snap_compare, data_dir):
    assert snap_compare(demo_app(data_dir, "happy-path"), terminal_size=PROJECTOR, press=["f6"])


def test_reset_confirmation_at_100x30(snap_compare, data_dir):
    assert snap_compare(demo_app(data_dir, "happy-path"), terminal_size=PROJECTOR, press=["f8"])


def test_picker_at_100x30(snap_compare):
    from screens.demo import DemoPickerApp

    assert snap_compare(DemoPickerApp(), terminal_size=PROJECTOR)
