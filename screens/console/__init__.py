"""The approver console (``iqies-onboard approve``): where the sandbox's CMS reviewer and the
providers' Provider Security Officials approve or reject the role requests trainees submit in the
wizard, and where a trainer moves the sandbox clock.

Routing, decisions, sign-in and the clock are the domain's (wizard/approvals.py, wizard/signin.py);
these screens only show them and pass on what was pressed. Every stored or typed text is shown
through :func:`plain` / :func:`styled` (sanitised, never markup-parsed): a requester's name may
hold ``[/]`` or control characters.

One module per page: :mod:`.sign_in`, :mod:`.queue`, :mod:`.detail`, :mod:`.reject`, :mod:`.psos`,
:mod:`.access` (a PSO's Manage access) and :mod:`.remove` (its reason dialog);
what they share is in :mod:`.base`, the app in :mod:`.app`, the help text in
``data/console_help.md``.
"""

from __future__ import annotations

from screens.console.access import AccessScreen, AccessTable
from screens.console.app import ApproverConsoleApp
from screens.console.base import (
    EMPTY_QUEUE, HELP_TITLE, REFRESH_SECONDS, SERVICE_CENTER_NOTE, ConsoleBar, ConsoleHelpScreen, ConsoleScreen,
    help_body,
)
from screens.console.detail import DetailScreen
from screens.console.psos import PsoScreen
from screens.console.queue import QueueScreen, QueueTable
from screens.console.reject import RejectScreen
from screens.console.remove import RemoveRoleScreen
from screens.console.sign_in import SignInScreen

__all__ = [
    "AccessScreen", "AccessTable", "RemoveRoleScreen", "EMPTY_QUEUE", "HELP_TITLE", "REFRESH_SECONDS", "SERVICE_CENTER_NOTE", "ApproverConsoleApp", "ConsoleBar",
    "ConsoleHelpScreen", "ConsoleScreen", "DetailScreen", "PsoScreen", "QueueScreen", "QueueTable",
    "RejectScreen", "SignInScreen", "help_body",
]
