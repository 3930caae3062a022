"""The onboarding state machine: ordered steps, each transition guarded by validation and facts.

Screens, plain mode and the headless runner drive the same :class:`OnboardingFlow`. What each
step is (its facts, Back, point of no return, Submit) lives in its spec (:mod:`wizard.steps`);
the flow applies them. The current step is never trusted from storage: on load it is re-derived
from the steps' facts (profile valid, account set up, identity proofed, second factor verified,
signed in...), so an edited database cannot skip a step. Second-factor methods are in
:mod:`wizard.two_factor`, the role request's in :mod:`wizard.role_request`.
"""

from __future__ import annotations

import contextlib

import secrets
import sys
import threading
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Callable

from pydantic import ValidationError

from wizard import otp, rules
from wizard.catalogue import catalogue, challenge_questions
from wizard.hashing import hash_secret, verify_secret  # noqa: F401  (their old home)
from wizard.log import event
from wizard.models import HarpAccountSetup, HarpProfile, validate_form
from wizard.outcome import StepOutcome
from wizard.record import AccountRecord, RequestDraft  # noqa: F401  (their old home)
from wizard.role_request import RoleRequestMixin
from wizard.steps import Step
from wizard.store import Store
from wizard.two_factor import TwoFactorMixin

if TYPE_CHECKING:  # imported where a page needs them, not at start-up
    from wizard import proofing
    from wizard.approvals import Approvals
    from wizard.directory import ProviderDirectory

Clock = Callable[[], datetime]

# what the pages after the first need on first use (Next on Profile checks the phone and the
# email, the account hashes with argon2, the second factor encrypts with the vault, codes use
# pyotp, Submit routes): the first page needs none of them; warm_up() imports them after it
WARM_UP = ("phonenumbers", "email_validator", "argon2", "cryptography.fernet", "pyotp",
           "wizard.approvals", "wizard.directory")


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class OnboardingFlow(TwoFactorMixin, RoleRequestMixin):
    def __init__(
        self,
        store: Store,
        *,
        clock: Clock = utc_now,
        randbelow: Callable[[int], int] = secrets.randbelow,
        totp_secret_factory: Callable[[], str] = otp.new_totp_secret,
        directory: ProviderDirectory | None = None,
        seed_factory: Callable[[], str] = lambda: secrets.token_hex(8),
    ) -> None:
        self.store = store
        self.clock = clock
        # a draft is also saved from a worker thread (the screens' debounced save while typing)
        self._write_lock = threading.RLock()
        # within a submit, a draft is kept in the record and written by the submit's own save
        # (one write per Next, not two); _draft_unwritten: a draft not on disk yet
        self._drafts_held = False
        self._draft_unwritten = False
        self._profile_cache: tuple[Any, Any, HarpProfile | None] | None = None
        vault = store.vault
        self.factor_service = otp.SecondFactor(
            clock, randbelow,
            code_mac=lambda text: vault.mac("sms-code", text, create=True),
            check_mac=lambda text: vault.mac("sms-code", text),
        )
        self.totp_secret_factory = totp_secret_factory
        self._directory = directory
        raw = store.load_account()
        try:
            self.record = AccountRecord.model_validate(raw) if raw else AccountRecord()
        except ValidationError:
            self.record = AccountRecord()
            aside = store.keep_aside(raw, "account-invalid")
            store.notice = (
                f"Your saved progress did not make sense, so it was kept aside as {aside} "
                "and the app started fresh."
            )
            event("account_kept_aside", reason="invalid")
        if not self.record.proofing_seed:
            self.record.proofing_seed = seed_factory()
        self.signed_in = False  # a session fact: a relaunch signs in to iQIES again
        self.banner: str | None = None
        self._approvals: Approvals | None = None  # built on first use (see the property)
        self._approvals_clock = clock
        self._warm_up_left = WARM_UP
        self._saved_factor = self.record.factor  # what the store holds, as far as this process knows
        self._note_reopened_step()

    # --- facts -----------------------------------------------------------------------------

    @property
    def approvals(self) -> Approvals:
        """Routing and decisions of role requests (:mod:`wizard.approvals`), imported and built
        on first use: the first page needs neither them nor mail."""
        if self._approvals is None:
            from wizard.approvals import Approvals

            with self._write_lock:  # one instance, also when a worker thread asks first
                if self._approvals is None:
                    self._approvals = Approvals(self.store, self._approvals_clock)
        return self._approvals

    @property
    def directory(self) -> ProviderDirectory:
        if self._directory is None:
            from wizard.directory import default_directory  # the provider file: on first search

            self._directory = default_directory(self.store.data_dir)
        return self._directory

    def context(self, step: Step | None = None) -> dict[str, Any]:
        """What the validators need: what every step's get (today, the profile, the catalogue),
        plus the facts ``step``'s own spec declares (``spec.facts``: a database read only where
        it matters, since live checks run on every keystroke); without a step, the facts of the
        specs that give theirs by default (``spec.facts_by_default``)."""
        context: dict[str, Any] = {
            "today": self.clock().date(),
            "profile": self.profile,
            "challenge_questions": challenge_questions(),
            "catalogue": catalogue(),
        }
        specs = [step] if step is not None else [s for s in Step.ordered() if s.facts_by_default]
        for spec in specs:
            if spec.facts is not None:
                context.update(spec.facts(self))
        return context

    @property
    def profile(self) -> HarpProfile | None:
        """The stored profile, re-checked by the rules (an edited file cannot smuggle one in);
        the check runs once per stored profile and day, not on every call."""
        raw, today = self.record.profile, self.clock().date()
        cached = self._profile_cache
        if cached is not None and cached[0] is raw and cached[1] == today:
            return cached[2]
        result: HarpProfile | None = None
        if raw:
            try:
                result = HarpProfile.model_validate(raw, context={"today": today})
            except ValidationError:
                result = None
        self._profile_cache = (raw, today, result)
        return result

    def first_step_not_done(self, step: Step) -> Step | None:
        """The earliest step before ``step`` whose fact does not hold (so ``step`` may not
        open yet), or None if every earlier step is done."""
        for prior in Step.ordered():
            if prior >= step:
                return None
            if not prior.is_done(self):
                return prior
        return None

    @property
    def current_step(self) -> Step:
        """Where the user is: the stored position, never before a point of no return (account
        created, second factor verified) and never past the first step whose facts fail."""
        try:
            wanted = Step.from_key(self.record.position)
        except ValueError:
            wanted = Step.ordered()[0]
        for sealed in Step.ordered():
            if sealed.is_sealed(self) and wanted <= sealed and sealed.next is not None:
                wanted = sealed.next
        return self.first_step_not_done(wanted) or wanted

    def behind_point_of_no_return(self, step: Step) -> bool:
        """Whether ``step`` is done in the real system for good: it is (or comes before) a
        sealed step, one whose point of no return is passed (the HARP account exists; the
        second factor is verified)."""
        return any(sealed.is_sealed(self) and step <= sealed for sealed in Step.ordered())

    def _note_reopened_step(self) -> None:
        """A stored position whose facts do not hold (an edited or stale database) reopens at
        the first step that needs doing; signing in to iQIES is expected on every launch."""
        try:
            claimed = Step.from_key(self.record.position)
        except ValueError:
            event("step_reopened", claimed="unknown", reopened_at=self.current_step.key)
            return
        current = self.current_step
        if current < claimed and current != Step.IQIES_SIGN_IN:
            event("step_reopened", claimed=claimed.key, reopened_at=current.key)

    def warm_up(self, *, one: bool = False) -> bool:
        """Import now the modules later pages need on their first use (:data:`WARM_UP`), so
        that no Next waits for an import; with ``one``, only the next one not imported yet.
        True while some remain. The wizard calls it one module at a time once the first page
        is up, on its UI thread between frames (a thread of its own would get its own malloc
        arena: about 2 MB more peak RSS). Nothing is raised: an import that fails here fails
        again where it is really used. The provider file is not read here: resident during the
        sign-in's argon2id check, it would raise the peak RSS by about 4 MB."""
        import importlib

        for name in self._warm_up_left:
            self._warm_up_left = self._warm_up_left[1:]
            if name in sys.modules:
                continue
            try:
                importlib.import_module(name)
            except Exception:  # noqa: BLE001  (shown on first real use)
                pass
            if one:
                break
        return bool(self._warm_up_left)

    def can_open(self, step: Step) -> bool:
        return self.first_step_not_done(step) is None

    def back_target(self, step: Step) -> Step | None:
        if not step.back or step.is_sealed(self):
            return None
        return step.previous

    def back_refusal(self, step: Step) -> str:
        for sealed in Step.ordered():
            if sealed.is_sealed(self) and step <= sealed:
                return sealed.sealed_message
        return step.no_back

    # --- persistence -----------------------------------------------------------------------

    def save(self) -> None:
        """Write the account. The second factor may have been changed meanwhile by another
        process (the approver console signing this user in): a factor changed here gets the
        next revision; one unchanged here but newer on disk is taken from disk, never overwritten."""
        with self._write_lock, self.store.lock:
            disk = self._disk_factor()
            mine = self.record.factor
            if mine is not None and mine != self._saved_factor:
                newest = max(mine.revision, disk.revision if disk else 0)
                self.record.factor = mine.model_copy(update={"revision": newest + 1})
            elif disk is not None and (mine is None or disk.revision > mine.revision):
                self.record.factor = disk
            self.store.save_account(self.record.model_dump(mode="json"))
            self._saved_factor = self.record.factor
            self._draft_unwritten = False

    def go_to(self, step: Step) -> Step:
        """Move to ``step`` if its facts hold, else to the first step whose facts do not."""
        blocker = self.first_step_not_done(step)
        target = blocker or step
        if self.record.position != target.key:
            event("step", frm=self.record.position, to=target.key)
        self.record.position = target.key
        self.save()
        return target

    def draft(self, step: Step) -> dict[str, Any]:
        """What the page shows on opening: what was typed, else what HARP fills in itself
        (the User ID on its sign-in pages, the profile's phone for a text or voice device)."""
        draft = dict(self.record.drafts.get(step.key, {}))
        if step.draft_from is not None:
            for name, value in step.draft_from(self).items():
                draft.setdefault(name, value)
        return draft

    def save_draft(self, step: Step, form: dict[str, Any]) -> None:
        """Keep what was typed (never a secret) so Back, quit and relaunch lose nothing."""
        secret = set(step.never_saved)
        draft = {
            k: v for k, v in form.items() if k not in secret and isinstance(v, (str, bool, int, type(None)))
        }
        with self._write_lock:
            before = self.record.drafts.get(step.key)
            if before == draft and not self._draft_unwritten:
                return  # leaving a field without changing anything costs no write
            self.record.drafts[step.key] = draft
            if self._drafts_held:  # a submit: its own save, a moment later, writes it
                self._draft_unwritten = True
                return
            try:
                self.save()
            except BaseException:
                # not written: the next save of the same draft must try again, not think it done
                if before is None:
                    self.record.drafts.pop(step.key, None)
                else:
                    self.record.drafts[step.key] = before
                raise

    def back(self, step: Step, form: dict[str, Any] | None = None) -> StepOutcome:
        if form is not None:
            self.save_draft(step, form)
        target = self.back_target(step)
        if target is None or self.behind_point_of_no_return(target):
            return StepOutcome(False, message=self.back_refusal(target or step))
        return StepOutcome(True, next_step=self.go_to(target))

    # --- validation ------------------------------------------------------------------------

    def validate(self, step: Step, form: dict[str, Any]) -> dict[str, str]:
        """Field messages for ``form`` without side effects (for live checks)."""
        if step.model is None:
            return {}
        _, errors = validate_form(step.model, form, self.context(step))
        return errors

    def account_confirmation(self, form: dict[str, Any]) -> tuple[StepOutcome | None, str]:
        """Before the account is created the user confirms the User ID, which can never change.
        Returns the refusal if anything else is wrong, else the normalised User ID to confirm."""
        errors = self.validate(Step.ACCOUNT, {**form, "user_id_permanent_ok": True})
        if errors:
            self.save_draft(Step.ACCOUNT, form)
            labels = {name: HarpAccountSetup.label(name) for name in errors}
            return StepOutcome(False, errors=errors, labels=labels), ""
        return None, rules.check_user_id(form["user_id"])

    def user_id_warnings(self, user_id: str) -> list[str]:
        profile = self.profile
        if not profile or not user_id:
            return []
        words = rules.facility_words_in_user_id(user_id, profile.facility_name)
        if not words:
            return []
        return [
            f"Your User ID contains {', '.join(repr(w) for w in words)} from your facility's name. "
            "CMS advises against facility names: a User ID can never be changed, and you may move."
        ]

    # --- steps -----------------------------------------------------------------------------

    def submit(self, step: Step, form: dict[str, Any]) -> StepOutcome:
        """Next on ``step``: validate, apply, save, move on. Under the write lock, whole: the
        wizard submits from a worker thread while a draft save may come from another."""
        with self._write_lock:
            if not self.can_open(step):
                target = self.go_to(step)
                return StepOutcome(False, message=f"Finish {target.info.real_page} first.", next_step=target)
            if self.behind_point_of_no_return(step):
                return StepOutcome(False, message=self.back_refusal(step), next_step=self.current_step)
            self._drafts_held = True
            try:
                outcome: StepOutcome = step.apply(self, form)
            except BaseException:
                self._drafts_held = False
                if self._draft_unwritten:  # what was typed is kept even when the step failed
                    with contextlib.suppress(Exception):  # (a failing store: the next save)
                        self.save()
                raise
            self._drafts_held = False
            if outcome.ok and outcome.next_step:
                outcome.next_step = self.go_to(outcome.next_step)
            else:
                # field names only: what the user typed never reaches the log
                event("refused", step=step.key, fields=",".join(outcome.errors) or "-")
                self.save()
            return outcome

    def prepare(self, step: Step, form: dict[str, Any]) -> None:
        """Do the slow part of ``step``'s Next (argon2id) ahead, for ``form`` as typed so far: a
        page calls it from a worker thread when typing pauses. Only a head start: it changes
        nothing, and whatever goes wrong here, Next does the work itself."""
        if step.prepare is None:
            return
        try:
            step.prepare(self, dict(form))
        except Exception:  # noqa: BLE001
            return

    def validated(self, step: Step, form: dict[str, Any]) -> tuple[Any, StepOutcome | None]:
        """``step``'s model from ``form``, or the refusal naming each field to fix."""
        model_cls = step.model
        assert model_cls is not None
        model, errors = validate_form(model_cls, form, self.context(step))
        if errors:
            labels = {name: model_cls.label(name) for name in errors}
            return None, StepOutcome(False, errors=errors, labels=labels)
        return model, None

    # identity proofing

    @property
    def proofing_attempts_left(self) -> int:
        from wizard import proofing  # only the proofing page needs it: not imported at start-up

        return max(0, proofing.MAX_ATTEMPTS - self.record.proofing_attempts)

    @property
    def needs_manual_proofing(self) -> bool:
        profile = self.profile
        return self.record.manual_proofing or bool(profile and profile.ssn_choice == "manual_proofing")

    def proofing_questions(self) -> list[proofing.ProofingQuestion]:
        from wizard import proofing

        profile = self.profile
        if profile is None:
            return []
        return proofing.generate_questions(profile, self.record.proofing_seed, self.record.proofing_attempts)

    def complete_manual_proofing(self) -> StepOutcome:
        """Sandbox: continue the practice as if manual proofing had succeeded."""
        if self.record.identity_proofed:
            return StepOutcome(True, next_step=self.go_to(Step.PROOFING.next))
        if not self.needs_manual_proofing or self.profile is None or not self.record.user_id:
            return StepOutcome(False, message="Manual proofing applies only when online proofing is not possible.")
        self.record.identity_proofed = "manual"
        self._account_created_email()
        return StepOutcome(True, next_step=self.go_to(Step.PROOFING.next))

    def _account_created_email(self) -> None:
        profile = self.profile
        assert profile is not None
        self.send_message(
            "email", profile.email, "HARP: your account was created",
            f"Hello {profile.first_name},\n\nYour HARP account with the User ID {self.record.user_id} "
            "was created. Log in to complete setup: choose a device for two-factor authentication.\n\n"
            "(Practice sandbox: this email exists only on this computer.)",
        )

    # two-factor authentication

    # iQIES

    # --- reading ---------------------------------------------------------------------------

    def send_message(self, kind: str, to: str, subject: str, body: str, *, code: str | None = None) -> None:
        """To the simulated phone or mailbox; a security code also in its own entry (encrypted
        like a code's text), which is what :meth:`code_on_phone` reads."""
        message: dict[str, Any] = {"kind": kind, "to": to, "subject": subject, "body": body,
                                   "sent_at": self.clock().isoformat()}
        if code is not None:
            from wizard.store import ENCRYPTED

            message["code"] = {ENCRYPTED: self.store.vault.encrypt(code)}
        self.store.add_message(message)

    def messages(self) -> list[dict[str, Any]]:
        profile = self.profile
        address = profile.email if profile is not None else None
        return list(reversed(self.store.messages(address)))  # newest first, in the order sent

    def step_states(self) -> list[tuple[Step, str]]:
        """Each step with 'done', 'current' or 'todo', for the step list."""
        current = self.current_step
        try:
            reached = max(Step.from_key(self.record.position), current)
        except ValueError:
            reached = current
        out = []
        for step in Step.ordered():
            if step == current:
                out.append((step, "current"))
            elif step < reached:
                out.append((step, "done"))
            else:
                out.append((step, "todo"))
        return out

    def reset(self) -> None:
        self.store.reset()
        self.record = AccountRecord()
        self.signed_in = False
        self.banner = None
        self.save()
