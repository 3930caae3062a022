"""The side pages a step page opens by a key (they are not onboarding steps): Forgot User ID /
Forgot password from the sign-in pages, the HARP account page after signing in."""

from __future__ import annotations

from typing import Any


class SidePages:
    """Mixed into StepScreen: the actions its views bind (``ctrl+f``, ``ctrl+t``)."""

    app: Any
    flow: Any

    def action_forgot(self) -> None:
        """Ctrl+F on a sign-in page: Forgot User ID / Forgot password (screens/recovery.py)."""
        from screens.recovery import RecoveryScreen  # the page imports the step views' parts

        self.app.push_screen(RecoveryScreen(self.flow))

    def action_harp_account(self) -> None:
        """Ctrl+T after signing in: the HARP account page (screens/harp_account.py)."""
        from screens.harp_account import HarpAccountScreen

        self.app.push_screen(HarpAccountScreen(self.flow))
