"""iQIES pages (simulated iqies.cms.gov): sign in, welcome, category, role, organizations, review."""

from __future__ import annotations

import re
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Static

from screens.ahead import REFILLED_ON_SHOW
from screens.base import StepScreen, note, section, view
from screens.form import Button, FieldRow, Select, choice_options
from screens.text import one_line, plain
from wizard import rules
from wizard.catalogue import catalogue
from wizard.models import DEVICE_TYPES, WORK_RELATIONSHIPS
from wizard.records import RoleRequest
from wizard.sanitize import clean_line, clean_text
from wizard.steps import Step



@view
class IqiesSignInScreen(StepScreen):
    """The spec's fields; Send code for a phone, and where the code comes from under it."""

    STEP = Step.IQIES_SIGN_IN
    NEXT_LABEL = "Sign in"
    INTRO = "HARP setup is done. Now sign in to iQIES with your HARP User ID, password and a code."
    BINDINGS = [Binding("ctrl+f", "forgot", "Forgot")]

    def compose_form(self) -> ComposeResult:
        factor = self.flow.record.factor
        yield self.field_row("user_id")
        yield self.field_row("password")
        if factor and not factor.is_authenticator:
            yield Button("Send code to my phone", id="send-code", compact=True)
            hint = "Press Send code, then read it on your phone (F2)."
        else:
            device = DEVICE_TYPES[factor.device_type] if factor else "your app"
            hint = f"Type the code {device} shows now."
        yield self.field_row("code", note=hint)  # where the code comes from depends on the device

    @on(Button.Pressed, "#send-code")
    def _send(self, event: Button.Pressed) -> None:
        event.stop()
        self.show_message(self.flow.send_code(), "info")
        self.focus_field("code")


REFRESH_SECONDS = 2.0  # how often Pending Requests looks for decisions made elsewhere


@view
class WelcomeScreen(StepScreen):
    """iQIES's home page: the user menu and Pending Requests, refreshed as decisions come."""

    STEP = Step.WELCOME
    NEXT_LABEL = "Request User Role"
    BINDINGS = [Binding("ctrl+t", "harp_account", "HARP")]
    REFRESH_SECONDS = REFRESH_SECONDS  # a class attribute, so a test can look every few ms instead

    def compose_form(self) -> ComposeResult:
        profile = self.flow.profile
        name = profile.display_name if profile else (self.flow.record.user_id or "")
        with Horizontal(id="welcome-head"):
            yield Static(Text("Welcome to iQIES", style="bold"), id="welcome-title")
            yield Button(one_line(f"{name} ▾"), id="user-menu", compact=True)
        with Vertical(id="user-menu-items"):
            yield Button("Request User Role", id="menu-request-role", compact=True)
            yield Button("My HARP account", id="menu-harp-account", compact=True)
        # filled as the page is shown (on_mount): the Review's Next has just set it
        yield Static("", id="banner", classes=REFILLED_ON_SHOW)
        yield from self.compose_requests()
        if self.STEP == Step.WELCOME:
            yield note(
                "To ask for the PSO role, press Request User Role. A user who already has an iQIES "
                "role uses the menu by their name (top right), then Request User Role."
            )

    def compose_requests(self) -> ComposeResult:
        yield section("Pending Requests")
        with Vertical(id="requests", classes=REFILLED_ON_SHOW):  # refilled as it is shown, too
            yield from self._request_rows(self._requests_now())

    def _requests_now(self) -> tuple[list[RoleRequest], list[RoleRequest]]:
        everyone = self.flow.store.requests()
        mine = [r for r in everyone if r.is_by(self.flow.record.user_id)]
        return mine, everyone

    def _request_texts(self, found: tuple[list[RoleRequest], list[RoleRequest]]) -> list[tuple[Text, str]]:
        mine, everyone = found
        cat = catalogue()
        rows = []
        for req in mine:
            role = cat.role(req.role or "")
            for org in req.organizations:
                text = Text()
                text.append(role.name if role else str(req.role), style="bold")
                text.append(f" · {org.status.label}\n")
                text.append(f"{org.name} (CCN {org.ccn}), {org.city}, {org.state}\n")
                text.append(self.flow.approvals.status_line(req, org, everyone))
                rows.append((text, org.status.value))
        return rows

    def _request_rows(self, found: tuple[list[RoleRequest], list[RoleRequest]]) -> list[Static]:
        rows = self._request_texts(found)
        self._requests_fingerprint = repr([(t.plain, s) for t, s in rows])
        if not rows:
            return [Static("No requests yet.", classes="request", markup=False)]
        # stored text: sanitised by plain()
        return [Static(plain(text), classes=f"request status-{status}") for text, status in rows]

    def _refresh_requests(self) -> None:
        """Decisions made in the approver console (another process) show up while this page is
        open. Cheap when nothing changed: a stat of the shared file and the sandbox date."""
        if getattr(self.app, "checking_page", None) is not None:
            return  # a side page's check is writing the flow from its thread: the next tick looks
        stamp = (self.flow.store.shared_stamp(), self.flow.approvals.now().date())
        if stamp == getattr(self, "_requests_stamp", None):
            return
        self._refill_requests(stamp)

    def _refill_requests(self, stamp: tuple[Any, Any] | None = None) -> None:
        stamp = stamp or (self.flow.store.shared_stamp(), self.flow.approvals.now().date())
        self.flow.approvals.sweep()
        self._requests_stamp = (self.flow.store.shared_stamp(), stamp[1])
        found = self._requests_now()
        if repr([(t.plain, s) for t, s in self._request_texts(found)]) == getattr(self, "_requests_fingerprint", None):
            return
        box = self.query_one("#requests", Vertical)
        with self.app.batch_update():
            box.remove_children()
            box.mount_all(self._request_rows(found))

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#user-menu-items").display = False
        banner = self.query_one("#banner", Static)
        banner.display = bool(self.flow.banner)
        if self.flow.banner:
            banner.update(plain(f"✓ {self.flow.banner}", style="bold"))
        if self.built_ahead:  # its requests were read when it was built: as they are now (the
            self._refill_requests()  # check that moved here has ended: no thread writes now)
        self.set_interval(self.REFRESH_SECONDS, self._refresh_requests)

    @on(Button.Pressed, "#user-menu")
    def _menu(self, event: Button.Pressed) -> None:
        event.stop()
        items = self.query_one("#user-menu-items")
        items.display = not items.display
        if items.display:
            self.query_one("#menu-request-role", Button).focus()

    @on(Button.Pressed, "#menu-harp-account")
    def _menu_account(self, event: Button.Pressed) -> None:
        event.stop()
        self.query_one("#user-menu-items").display = False
        self.action_harp_account()

    @on(Button.Pressed, "#menu-request-role")
    def _menu_request(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_next()

    def action_next(self) -> None:
        self.apply(self.flow.request_role())


@view
class AwaitApprovalScreen(WelcomeScreen):
    """Pending Requests, what happens now, and Ctrl+R's readiness report."""

    STEP = Step.AWAIT_APPROVAL
    BINDINGS = [Binding("ctrl+r", "report", "Report")]

    def compose_form(self) -> ComposeResult:
        from wizard.approvals import SERVICE_CENTER  # approvals (and mail) load on first need

        yield from super().compose_form()
        yield section("What happens now")
        yield note(
            "CMS approves the first PSO of a provider; after that, the provider's PSOs approve "
            "everyone else. You get an email when your role is approved. Decisions can take up to "
            "24 hours to show, approvals several days. No news after several days? Ask whoever "
            f"approves it (named above), or the {SERVICE_CENTER}. Press F1 for more."
        )

    def action_report(self) -> None:
        """Ctrl+R: the readiness report for the real run (Markdown and printable HTML), written
        to the data directory."""
        from wizard.report import ReportUnavailable, ReportWriteError, write_report

        try:
            md_path, html_path = write_report(self.flow)
        except (ReportUnavailable, ReportWriteError) as err:
            self.notify(clean_text(str(err)), title="No report", severity="error", markup=False)
            return
        self.notify(clean_text(f"{md_path}\n{html_path}"), title="Readiness report written",
                    timeout=15, markup=False)


@view
class CategoryScreen(StepScreen):
    """The categories as radio buttons, and the chosen one's note."""

    STEP = Step.CATEGORY
    INTRO = "Choose the kind of organization you work for."

    def compose_form(self) -> ComposeResult:
        yield self.field_row("category", radio=True)
        yield Static("", id="category-note", classes="note", markup=False)

    def fill(self, draft: dict[str, Any]) -> None:
        draft = dict(draft)
        draft.setdefault("category", self.flow.record.request.category)
        super().fill(draft)

    def on_form_changed(self) -> None:
        chosen = catalogue().category(self.collect().get("category") or "")
        self.query_one("#category-note", Static).update(plain(chosen.note if chosen else ""))


@view
class RoleScreen(StepScreen):
    """Relationship and role as radio buttons, and what the chosen role lets you do."""

    STEP = Step.ROLE
    INTRO = "Choose the role you need. For a nursing home's security official: Provider Security Official."

    def compose_form(self) -> ComposeResult:
        yield self.field_row("relationship", radio=True)
        yield self.field_row("role", radio=True)
        yield Static("", id="role-description", classes="note", markup=False)

    def fill(self, draft: dict[str, Any]) -> None:
        draft = dict(draft)
        draft.setdefault("role", self.flow.record.request.role)
        draft.setdefault("relationship", self.flow.record.request.relationship)
        super().fill(draft)

    def on_form_changed(self) -> None:
        role = catalogue().role(self.collect().get("role") or "")
        text = ""
        if role:
            text = f"{role.name}: {role.what_it_lets_you_do}"
            if role.id == rules.PSO_ROLE:
                text += " A vendor cannot be one."
        self.query_one("#role-description", Static).update(plain(text))


@view
class OrganizationsScreen(StepScreen):
    """Search (live preview), Add, and the list of organizations added, each with Remove."""

    STEP = Step.ORGANIZATIONS
    INTRO = "Add each provider you need this role for. Search by CCN or Facility ID, then Add."

    def compose_form(self) -> ComposeResult:
        search_by = choice_options(self.field_spec("search_by"), self.flow)
        # never blank: the first way to search is chosen, as on the real page
        yield self.field_row("search_by", Select(search_by, value=search_by[0][1], allow_blank=False, compact=True))
        yield self.field_row("search_for")
        yield Static(self.idle_preview(), id="search-preview", classes="note", markup=False)
        yield Button("Add", id="add-org", compact=True, variant="primary")
        yield section("Organizations added")
        yield Vertical(id="org-list")

    def on_mount(self) -> None:
        super().on_mount()
        self.refresh_orgs()

    def idle_preview(self) -> str:
        """Before a search: which CMS release an imported directory is (``iqies-onboard
        directory import``); the shipped one is named by a search that finds nothing."""
        directory = self.flow.directory
        return clean_line(f"Provider directory: {directory.release}") if directory.imported else ""

    def collect(self) -> dict[str, Any]:
        return super().collect()

    def recheck(self) -> None:
        # Organizations are checked by Search/Add, not as a whole form. A refused Add's message
        # was about the text as it was: once it is edited, the live preview speaks for the new
        # text, and the old refusal (above the form and under the field) would contradict it.
        self.show_errors({})
        if self.summary_shown:
            self.show_message("")
        self.on_form_changed()

    def on_form_changed(self) -> None:
        form = self.collect()
        text = (form.get("search_for") or "").strip()
        preview = self.query_one("#search-preview", Static)
        if not text:
            idle = self.idle_preview()
            preview.update(idle)
            if idle:
                preview.set_classes("note")
            return
        provider, problem = self.flow.find_organization(form.get("search_by") or "ccn", text)
        if provider:
            preview.update(plain(f"Found: {provider.name}, {provider.city}, {provider.state} "
                                 f"(CCN {provider.ccn}, Facility ID {provider.facility_id}). Press Add."))
            preview.set_classes("note found")
        else:
            preview.update(plain(problem))
            preview.set_classes("note")

    def refresh_orgs(self) -> None:
        container = self.query_one("#org-list", Vertical)
        container.remove_children()
        orgs = self.flow.record.request.organizations
        if not orgs:
            container.mount(Static("None yet.", classes="org", markup=False))
            return
        for org in orgs:
            row = Horizontal(classes="org-row")
            container.mount(row)
            row.mount(Static(plain(f"{org.name}\nCCN {org.ccn} · {org.city}, {org.state}"), classes="org"))
            # the CCN names the button; an id only when it is a safe one (an edited file could
            # hold anything, and a bad id would stop the page)
            safe_id = f"remove-{org.ccn}" if re.fullmatch(r"[A-Za-z0-9_-]+", org.ccn or "") else None
            row.mount(Button("Remove", id=safe_id, name=org.ccn, compact=True, classes="remove"))

    @on(Button.Pressed, "#add-org")
    def _add(self, event: Button.Pressed) -> None:
        event.stop()
        self.add()

    def add(self) -> None:
        form = self.collect()
        outcome = self.flow.add_organization(form.get("search_by") or "ccn", form.get("search_for") or "")
        self.show_errors(outcome.errors)
        self.show_message(outcome.message, "info" if outcome.ok else "error")
        if outcome.ok:
            self.query_one("#field-search_for", FieldRow).control.value = ""  # type: ignore[attr-defined]
            self.refresh_orgs()
        elif outcome.errors:
            # the error under the field now says what the preview said: once is enough on 24 lines
            self.query_one("#search-preview", Static).update(self.idle_preview())
        self.focus_field("search_for")  # to type the next one, or to correct this one

    def enter_pressed(self, field: Input) -> None:
        """Enter in Search for means Add, as on the real page."""
        self.add()

    def action_next(self) -> None:
        """Next with an organization found but not added adds it and says so, staying on the
        page so the list can be checked: a found organization is never silently left out."""
        if not self.may_check():
            return
        form = self.collect()
        text = (form.get("search_for") or "").strip()
        if text:
            provider, _ = self.flow.find_organization(form.get("search_by") or "ccn", text)
            added = {org.ccn for org in self.flow.record.request.organizations}
            if provider and provider.ccn not in added:
                self.add()
                if provider.ccn in {org.ccn for org in self.flow.record.request.organizations}:
                    self.query_one("#search-preview", Static).update("")
                    self.show_message(
                        f"Added {provider.name} (CCN {provider.ccn}): it was found but not yet "
                        "added. Check the list, then press Next again.", "info")
                return
        super().action_next()

    @on(Button.Pressed, ".remove")
    def _remove(self, event: Button.Pressed) -> None:
        event.stop()
        ccn = event.button.name or ""
        outcome = self.flow.remove_organization(ccn)
        self.show_message(outcome.message, "info")
        self.refresh_orgs()
        self.focus_field("search_for")


@view
class ReviewScreen(StepScreen):
    """The request as it will be sent, with who approves each organization."""

    STEP = Step.REVIEW
    NEXT_LABEL = "Submit Request"
    INTRO = "Check your request. Submit Request sends it for approval."

    def compose_form(self) -> ComposeResult:
        # refilled as the page is shown: a page built ahead was composed before the last
        # organization was added on the page before
        yield Static(self._summary(), id="review-summary", classes=REFILLED_ON_SHOW)
        yield section("Organizations")
        with Vertical(id="review-orgs", classes=REFILLED_ON_SHOW):
            yield from self._org_rows()

    def on_mount(self) -> None:
        super().on_mount()
        if self.built_ahead:
            self.query_one("#review-summary", Static).update(self._summary())
            box = self.query_one("#review-orgs", Vertical)
            box.remove_children()
            box.mount_all(self._org_rows())

    def _summary(self) -> Text:
        req = self.flow.record.request
        cat = catalogue()
        profile = self.flow.profile
        role = cat.role(req.role or "")
        category = cat.category(req.category or "")
        summary = Text()
        summary.append("Requester: ", style="bold")
        summary.append(f"{profile.display_name if profile else ''} ({self.flow.record.user_id})\n")
        # each answer under the label its own page gave it (the specs')
        summary.append(f"{Step.CATEGORY.field_label('category')}: ", style="bold")
        summary.append(f"{category.name if category else req.category}\n")
        summary.append(f"{Step.ROLE.field_label('role')}: ", style="bold")
        summary.append(f"{role.name if role else req.role}\n")
        summary.append(f"{Step.ROLE.field_label('relationship')}: ", style="bold")
        summary.append(WORK_RELATIONSHIPS.get(req.relationship or "", ""))
        return plain(summary)  # stored text: sanitised

    def _org_rows(self) -> list[Static]:
        req = self.flow.record.request
        rows = []
        for org in req.organizations:
            approver = self.flow.approver_for(req.role or "", org.ccn)
            text = Text()
            text.append(f"{org.name}\n", style="bold")
            text.append(f"CCN {org.ccn} · Facility ID {org.facility_id} · {org.city}, {org.state}\n")
            text.append(f"Will be approved by: {approver.description}")
            rows.append(Static(plain(text), classes="request"))
        return rows
