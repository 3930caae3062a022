"""Every page's title is shown whole at 80x24 (step 2's "User ID, Password and Challenge
Question" was cut); where the line is short, the real page's address gives way instead."""

from __future__ import annotations

import pytest

from tests.factory import make_app
from tests.states import advance_to
from tests.test_terminal_sizes import screen_text
from wizard.steps import Step


@pytest.mark.parametrize("step", [Step.ACCOUNT, Step.PROFILE, Step.ORGANIZATIONS], ids=lambda s: s.key)
async def test_the_title_is_whole_at_80x24(data_dir, step):
    flow = advance_to(data_dir, step)
    app = make_app(data_dir, flow.clock, signed_in=step >= Step.WELCOME)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        title_line = screen_text(app).split("\n")[1]
    assert step.info.real_page in title_line
