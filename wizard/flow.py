"""The onboarding state machine: ordered steps, each transition guarded by validation and facts.

Screens and the headless runner drive the same :class:`OnboardingFlow`. The current step is never
trusted from storage: on load it is re-derived from facts (profile valid, account set up, identity
proofed, second factor verified, signed in), so an edited database cannot skip a step.
"""

from __future__ import annotations

import re
import secrets
import threading
import uuid
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Callable, Literal

from pydantic import BaseModel, Field, SecretStr, ValidationError

from wizard import otp, rules
from wizard.approvals import Approvals
from wizard.log import event
from wizard.catalogue import catalogue, challenge_questions
from wizard.directory import Provider, ProviderDirectory, default_directory, find_organization
from wizard.models import (
    DEVICE_TYPES,
    HarpAccountSetup,
    HarpProfile,
    OrganizationRef,
    validate_form,
)
from wizard.outcome import StepOutcome
from wizard.steps import Step
from wizard.store import Store, UserIdTaken

if TYPE_CHECKING:  # imported where a proofing page needs it, not at start-up
    from wizard import proofing

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class RequestDraft(BaseModel):
    category: str | None = None
    relationship: str | None = None
    role: str | None = None
    organizations: list[OrganizationRef] = Field(default_factory=list)


class AccountRecord(BaseModel):
    """One HARP account's progress, as stored. Secrets only as hashes (and the TOTP secret)."""

    position: str = Step.PROFILE.key
    drafts: dict[str, dict[str, Any]] = Field(default_factory=dict)
    profile: dict[str, Any] | None = None
    user_id: str | None = None
    password_hash: str | None = None
    challenge_question: str | None = None
    challenge_answer_hash: str | None = None
    proofing_seed: str = ""
    proofing_attempts: int = 0
    identity_proofed: Literal["experian", "manual"] | None = None
    manual_proofing: bool = False
    factor: otp.FactorState | None = None
    login_throttle: otp.Throttle = Field(default_factory=otp.Throttle)
    request: RequestDraft = Field(default_factory=RequestDraft)
    last_submitted_request: str | None = None


_CODE_IN_MESSAGE = re.compile(r"code is ((?:[0-9] ?){6})")  # send_code's wording, spoken or not
_SIGN_IN_REFUSED = (
    "The User ID, password or code is not right. Check all three and try again "
    "(an authenticator code works once: wait for the next one)."
)
_LOGIN_REFUSED = "The User ID or password is not right. Check both and try again."


def _password_hasher():
    from argon2 import PasswordHasher

    # argon2id, t=5, 7 MiB: one of OWASP's equivalent minimum settings (as strong as t=2 at
    # 19 MiB), chosen for the smaller block: the wizard's peak memory is measured (bench/run.py).
    # Hashes made with the older setting carry their own parameters and still verify.
    return PasswordHasher(time_cost=5, memory_cost=7 * 1024, parallelism=1)


def hash_secret(value: str) -> str:
    return _password_hasher().hash(value)


def verify_secret(stored_hash: str | None, value: str) -> bool:
    if not stored_hash:
        return False
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return _password_hasher().verify(stored_hash, value)
    except (VerificationError, InvalidHashError):
        return False


class OnboardingFlow:
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
        self.approvals = Approvals(store, clock)
        self._saved_factor = self.record.factor  # what the store holds, as far as this process knows
        self._note_reopened_step()

    # --- facts -----------------------------------------------------------------------------

    @property
    def directory(self) -> ProviderDirectory:
        if self._directory is None:
            self._directory = default_directory(self.store.data_dir)
        return self._directory

    def context(self, step: Step | None = None) -> dict[str, Any]:
        """What the validators need; the taken User IDs (a database read) only where they
        matter, since live checks run on every keystroke."""
        context: dict[str, Any] = {
            "today": self.clock().date(),
            "profile": self.profile,
            "challenge_questions": challenge_questions(),
            "catalogue": catalogue(),
        }
        if step is None or step == Step.ACCOUNT:
            context["taken_user_ids"] = [u for u in self.store.user_ids() if u != self.record.user_id]
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

    def _disk_factor(self) -> otp.FactorState | None:
        raw = self.store.load_account()
        factor = raw.get("factor") if isinstance(raw, dict) else None
        if not isinstance(factor, dict):
            return None
        try:
            return otp.FactorState.model_validate(factor)
        except ValidationError:
            return None

    def _refresh_factor(self) -> None:
        """Before a code is sent or checked: the newest factor, if another process changed it.
        A factor changed here but not saved yet keeps its changes and takes the larger wrong-code
        count and lock from disk, so no failure counted elsewhere is lost."""
        mine = self.record.factor
        if mine is None:
            return
        disk = self._disk_factor()
        if disk is None:
            return
        if mine == self._saved_factor:
            if disk.revision > mine.revision:
                self.record.factor = self._saved_factor = disk
            return
        saved_revision = self._saved_factor.revision if self._saved_factor is not None else 0
        if disk.revision > saved_revision and disk.failures > mine.failures:
            self.record.factor = mine.model_copy(
                update={"failures": disk.failures, "locked_until": disk.locked_until}
            )

    def _update_factor(self, change: Callable[[otp.FactorState], tuple[Any, otp.FactorState]]) -> Any:
        """Read, change and write the second factor under the store lock: every wrong code and
        every lock is counted even when several processes (wizard, console, runner) check codes
        for one account at the same moment."""
        with self.store.lock:
            self._refresh_factor()
            assert self.record.factor is not None
            result, self.record.factor = change(self.record.factor)
            self.save()
        return result

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
            if self.record.drafts.get(step.key) == draft:
                return  # leaving a field without changing anything costs no write
            self.record.drafts[step.key] = draft
            self.save()

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
        """Next on ``step``: validate, apply, save, move on."""
        if not self.can_open(step):
            target = self.go_to(step)
            return StepOutcome(False, message=f"Finish {target.info.real_page} first.", next_step=target)
        if self.behind_point_of_no_return(step):
            return StepOutcome(False, message=self.back_refusal(step), next_step=self.current_step)
        outcome: StepOutcome = step.apply(self, form)
        if outcome.ok and outcome.next_step:
            outcome.next_step = self.go_to(outcome.next_step)
        else:
            # field names only: what the user typed never reaches the log
            event("refused", step=step.key, fields=",".join(outcome.errors) or "-")
            self.save()
        return outcome

    def _validated(self, step: Step, form: dict[str, Any]) -> tuple[Any, StepOutcome | None]:
        model_cls = step.model
        assert model_cls is not None
        model, errors = validate_form(model_cls, form, self.context(step))
        if errors:
            labels = {name: model_cls.label(name) for name in errors}
            return None, StepOutcome(False, errors=errors, labels=labels)
        return model, None

    def _submit_profile(self, form: dict[str, Any]) -> StepOutcome:
        self.save_draft(Step.PROFILE, form)
        model, refused = self._validated(Step.PROFILE, form)
        if refused:
            return refused
        self.record.profile = model.model_dump(mode="json")
        return StepOutcome(True, next_step=Step.ACCOUNT)

    def _submit_account(self, form: dict[str, Any]) -> StepOutcome:
        self.save_draft(Step.ACCOUNT, form)
        model, refused = self._validated(Step.ACCOUNT, form)
        if refused:
            return refused
        assert isinstance(model, HarpAccountSetup)
        self.record.user_id = model.user_id
        self.record.password_hash = hash_secret(model.password.get_secret_value())
        self.record.challenge_question = model.challenge_question
        self.record.challenge_answer_hash = hash_secret(
            rules.normalise_answer(model.challenge_answer.get_secret_value())
        )
        try:
            self.save()  # claims the User ID under the store's lock: another trainee may be quicker
        except UserIdTaken:
            self.record.user_id = self.record.password_hash = None
            self.record.challenge_question = self.record.challenge_answer_hash = None
            message = "This User ID was just taken by another account in this sandbox. Choose another."
            return StepOutcome(False, errors={"user_id": message}, message=message,
                               labels={"user_id": HarpAccountSetup.label("user_id")})
        return StepOutcome(True, next_step=Step.PROOFING, warnings=self.user_id_warnings(model.user_id))

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

    def _submit_proofing(self, form: dict[str, Any]) -> StepOutcome:
        if self.needs_manual_proofing:
            if form.get("manual_proofing_done"):  # sandbox: carry on as if it had succeeded
                return self.complete_manual_proofing()
            return StepOutcome(False, message="Identity proofing for you goes the manual way; see below.")
        model, refused = self._validated(Step.PROOFING, form)
        if refused:
            return refused
        if model.attempt is not None and model.attempt != self.record.proofing_attempts:
            return StepOutcome(
                False, message="These questions were replaced by new ones; answer the questions shown now."
            )
        questions = self.proofing_questions()
        self.record.proofing_attempts += 1
        from wizard import proofing

        passed = proofing.passed(questions, list(model.answers))
        event("proofing_attempt", attempt=self.record.proofing_attempts, passed=passed)
        if passed:
            self.record.identity_proofed = "experian"
            self._account_created_email()
            return StepOutcome(
                True, next_step=Step.TWO_FACTOR_SETUP,
                message="Identity verified. Your HARP account is created; the email is on your phone (F2).",
            )
        if self.proofing_attempts_left == 0:
            self.record.manual_proofing = True
            return StepOutcome(
                False,
                message="Your identity could not be verified online, and no attempts are left. "
                "HARP sends you to manual identity proofing; see below.",
            )
        return StepOutcome(
            False,
            message=f"Your identity could not be verified. You have {self.proofing_attempts_left} "
            "more attempt with new questions; answer carefully.",
        )

    def complete_manual_proofing(self) -> StepOutcome:
        """Sandbox: continue the practice as if manual proofing had succeeded."""
        if self.record.identity_proofed:
            return StepOutcome(True, next_step=self.go_to(Step.TWO_FACTOR_SETUP))
        if not self.needs_manual_proofing or self.profile is None or not self.record.user_id:
            return StepOutcome(False, message="Manual proofing applies only when online proofing is not possible.")
        self.record.identity_proofed = "manual"
        self._account_created_email()
        return StepOutcome(True, next_step=self.go_to(Step.TWO_FACTOR_SETUP))

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

    def _check_login(self, user_id: str, password: SecretStr) -> bool:
        return (
            bool(self.record.user_id)
            and user_id.casefold() == (self.record.user_id or "").casefold()
            and verify_secret(self.record.password_hash, password.get_secret_value())
        )

    def _submit_two_factor_setup(self, form: dict[str, Any]) -> StepOutcome:
        self.save_draft(Step.TWO_FACTOR_SETUP, form)
        model, refused = self._validated(Step.TWO_FACTOR_SETUP, form)
        if refused:
            return refused
        locked = self.factor_service.lock_message(self.record.login_throttle, "wrong passwords", "signing in")
        if locked:  # refused without counting
            return StepOutcome(False, errors={"password": locked}, message=locked)
        if not self._check_login(model.user_id, model.password):
            self.record.login_throttle = self.factor_service.record_failure(self.record.login_throttle)
            event("login_refused", where="harp", failures=self.record.login_throttle.failures)
            message = (
                self.factor_service.lock_message(self.record.login_throttle, "wrong passwords", "signing in")
                or _LOGIN_REFUSED
            )
            return StepOutcome(False, errors={"password": message}, message=message)
        self.record.login_throttle = otp.Throttle()
        old = self.record.factor
        keep = old is not None and old.device_type == model.device_type and old.phone == model.phone
        state = old if keep else otp.FactorState(device_type=model.device_type, phone=model.phone)
        if old is not None and not keep:
            # A new device keeps the wrong-code count: changing device must not reset throttling.
            state = state.model_copy(update={"failures": old.failures, "locked_until": old.locked_until})
        if state.is_authenticator:
            if not state.totp_secret:
                state = state.model_copy(update={"totp_secret": self.totp_secret_factory()})
            self.record.factor = state
            message = "Scan the QR code with your authenticator app, then type the code it shows."
        else:
            self.record.factor = state
            message = self.send_code()
        return StepOutcome(True, next_step=Step.TWO_FACTOR_VERIFY, message=message)

    def send_code(self) -> str:
        """Send Code: a new SMS/voice code to the outbox; the previous one stops working."""
        with self.store.lock:  # read, issue and write under the lock, like every factor change
            return self._send_code()

    def _send_code(self) -> str:
        self._refresh_factor()
        factor = self.record.factor
        if factor is None:
            return "Choose a device type and phone number first, then Send Code."
        if factor.is_authenticator:
            return "Authenticator apps make their own codes; open the app on your phone."
        locked = self.factor_service.lock_message(factor)
        if locked:
            return locked
        code, self.record.factor = self.factor_service.issue_code(factor)
        how = "Text message" if factor.device_type == "sms" else "Voice call"
        phone = rules.format_phone(factor.phone or "")
        spoken = " ".join(code) if factor.device_type == "voice" else code
        self.send_message(
            factor.device_type, phone, "HARP security code",
            f"Your HARP security code is {spoken}. It expires in 10 minutes. "
            "Do not share it with anyone.",
        )
        self.save()
        return f"{how} sent to {phone}. Open your phone with F2 to read the code."

    def code_on_phone(self) -> str | None:
        """The newest security code on this user's simulated phone (what F2 shows), as sent by
        :meth:`send_code`; a voice call's spoken digits joined up."""
        for message in self.messages():  # newest first
            if message.get("kind") in ("sms", "voice") and isinstance(message.get("body"), str):
                found = _CODE_IN_MESSAGE.search(message["body"])
                if found:
                    return found.group(1).replace(" ", "")
        return None

    def totp_uri(self) -> str | None:
        factor = self.record.factor
        if factor and factor.totp_secret and self.record.user_id:
            return otp.provisioning_uri(factor.totp_secret, self.record.user_id)
        return None

    def check_code(self, code: str) -> otp.CodeCheck:
        result = self._update_factor(lambda factor: self.factor_service.check(factor, code))
        if not result.ok:
            event("code_refused", failures=self.record.factor.failures, locked=result.locked)
        return result

    def _submit_two_factor_verify(self, form: dict[str, Any]) -> StepOutcome:
        model, refused = self._validated(Step.TWO_FACTOR_VERIFY, form)
        if refused:
            return refused
        result = self.check_code(model.code)
        if not result.ok:
            return StepOutcome(
                False, errors={"code": result.message}, labels={"code": "Security code"},
                message="This device is locked for now; see the message under the code."
                if result.locked else "The security code was not accepted; see the message under it.",
            )
        self.record.factor = self.record.factor.model_copy(update={"verified": True})
        device = DEVICE_TYPES[self.record.factor.device_type]
        return StepOutcome(
            True, next_step=Step.IQIES_SIGN_IN,
            message=f"Two-factor authentication is set up with {device}. HARP setup is complete.",
        )

    # iQIES

    def _submit_iqies_sign_in(self, form: dict[str, Any]) -> StepOutcome:
        self.save_draft(Step.IQIES_SIGN_IN, form)
        model, refused = self._validated(Step.IQIES_SIGN_IN, form)
        if refused:
            return refused
        refusal = self.verify_sign_in(model.user_id, model.password, model.code)
        if refusal:
            return StepOutcome(False, message=refusal)
        self.signed_in = True
        try:
            resume = Step.from_key(self.record.position)
        except ValueError:
            resume = Step.WELCOME
        target = resume if resume > Step.IQIES_SIGN_IN else Step.WELCOME
        return StepOutcome(True, next_step=target)

    def verify_sign_in(self, user_id: str, password: SecretStr, code: str) -> str:
        """iQIES sign-in: User ID, password and a code from the verified device, throttled like
        the codes; "" when it passes (and the sign-in is recorded), else the sentence to show.
        The approver console signs PSOs in with this too."""
        self._refresh_factor()
        factor = self.record.factor
        if factor is None or not factor.verified:
            return _SIGN_IN_REFUSED
        locked = self.factor_service.lock_message(factor)
        if locked:
            return locked
        login_ok = self._check_login(user_id, password)
        code_ok = self.check_code(code).ok if login_ok else False
        if not (login_ok and code_ok):
            if not login_ok:
                # a wrong password counts like a wrong code, so guessing is throttled too
                self._update_factor(lambda factor: (None, self.factor_service.record_failure(factor)))
            return self.factor_service.lock_message(self.record.factor) or _SIGN_IN_REFUSED
        if self.record.user_id:
            self.approvals.record_sign_in(self.record.user_id)
        return ""

    def request_role(self) -> StepOutcome:
        """Request User Role (button, or the user menu by the user's name)."""
        if not self.signed_in:
            return StepOutcome(False, message="Sign in to iQIES first.", next_step=self.go_to(Step.IQIES_SIGN_IN))
        if self.record.last_submitted_request:
            # a new request starts empty; the submitted one stays under Pending Requests
            self.record.request = RequestDraft()
            self.record.last_submitted_request = None
            for key in ("category", "role", "organizations"):
                self.record.drafts.pop(key, None)
        self.banner = None
        return StepOutcome(True, next_step=self.go_to(Step.CATEGORY))

    def _submit_welcome(self, form: dict[str, Any]) -> StepOutcome:
        return self.request_role()

    def _submit_category(self, form: dict[str, Any]) -> StepOutcome:
        self.save_draft(Step.CATEGORY, form)
        model, refused = self._validated(Step.CATEGORY, form)
        if refused:
            return refused
        if self.record.request.category != model.category:
            self.record.request = RequestDraft(category=model.category)
            for key in ("role", "organizations"):
                self.record.drafts.pop(key, None)
        return StepOutcome(True, next_step=Step.ROLE)

    def _submit_role(self, form: dict[str, Any]) -> StepOutcome:
        self.save_draft(Step.ROLE, form)
        model, refused = self._validated(Step.ROLE, form)
        if refused:
            return refused
        self.record.request.role = model.role
        self.record.request.relationship = model.relationship
        return StepOutcome(True, next_step=Step.ORGANIZATIONS)

    def find_organization(self, search_by: str, text: str) -> tuple[Provider | None, str]:
        """Search for: the provider found, or why none is (format, unknown)."""
        return find_organization(self.directory, search_by, text)

    def add_organization(self, search_by: str, text: str) -> StepOutcome:
        provider, problem = self.find_organization(search_by, text)
        field_name = "search_for"
        if provider is None:
            return StepOutcome(False, errors={field_name: problem}, message=problem)
        earlier = self.earlier_request_for(self.record.request.role, provider.ccn)
        if earlier is not None:
            status = earlier["status"]
            message = (
                f"You already asked for this role at {provider.name} (CCN {provider.ccn}); that "
                f"request is {status}. Choose another provider, or another role."
            )
            return StepOutcome(False, errors={field_name: message}, message=message)
        if any(o.ccn == provider.ccn for o in self.record.request.organizations):
            message = f"{provider.name} (CCN {provider.ccn}) is already added."
            return StepOutcome(False, errors={field_name: message}, message=message)
        if len(self.record.request.organizations) >= 50:
            message = "At most 50 organizations per request; submit these first."
            return StepOutcome(False, errors={field_name: message}, message=message)
        self.record.request.organizations.append(
            OrganizationRef(
                ccn=provider.ccn, facility_id=provider.facility_id, name=provider.name,
                city=provider.city, state=provider.state,
            )
        )
        self.save()
        return StepOutcome(True, message=f"Added {provider.name}, {provider.city}, {provider.state}.")

    def remove_organization(self, ccn: str) -> StepOutcome:
        before = len(self.record.request.organizations)
        self.record.request.organizations = [o for o in self.record.request.organizations if o.ccn != ccn]
        self.save()
        if len(self.record.request.organizations) == before:
            return StepOutcome(False, message=f"CCN {ccn} is not in the list.")
        return StepOutcome(True, message=f"Removed CCN {ccn}.")

    def _submit_organizations(self, form: dict[str, Any]) -> StepOutcome:
        self.save_draft(Step.ORGANIZATIONS, form)
        for org in self.record.request.organizations:
            earlier = self.earlier_request_for(self.record.request.role, org.ccn)
            if earlier is not None:  # the role changed after the organization was added
                message = (
                    f"You already asked for this role at {org.name} (CCN {org.ccn}); that request "
                    f"is {earlier['status']}. Remove it, or go back and choose another role."
                )
                return StepOutcome(False, errors={"search_for": message}, message=message)
        orgs = [o.model_dump() for o in self.record.request.organizations]
        model, refused = self._validated(Step.ORGANIZATIONS, {"organizations": orgs})
        if refused:
            # shown under Search for: that is where the user acts
            message = refused.errors["organizations"]
            return StepOutcome(False, errors={"search_for": message}, message=message)
        return StepOutcome(True, next_step=Step.REVIEW)

    def earlier_request_for(self, role_id: str | None, ccn: str) -> dict[str, Any] | None:
        """This user's pending or approved request for the same role and provider, if any."""
        for req in self.my_requests():
            if req.get("role") != role_id:
                continue
            for org in req.get("organizations", []):
                if org.get("ccn") == ccn and org.get("status") in ("pending", "approved"):
                    return org
        return None

    def approver_for(self, role_id: str, ccn: str) -> rules.Approver:
        """Who would decide this user's request for ``role_id`` at ``ccn``, now."""
        return self.approvals.route_for({"role": role_id, "user_id": self.record.user_id}, ccn)

    def _submit_review(self, form: dict[str, Any]) -> StepOutcome:
        if self.record.last_submitted_request:  # a second Submit press: already sent
            return StepOutcome(True, next_step=Step.AWAIT_APPROVAL)
        req = self.record.request
        for org in req.organizations:
            earlier = self.earlier_request_for(req.role, org.ccn)
            if earlier is not None:
                message = (
                    f"You already asked for this role at {org.name} (CCN {org.ccn}); that request "
                    f"is {earlier['status']}. Remove it from the organizations, or choose another role."
                )
                return StepOutcome(False, message=message, next_step=self.go_to(Step.ORGANIZATIONS))
        for key in ("category", "role", "organizations"):
            if not Step.from_key(key).is_done(self):
                return StepOutcome(False, message="The request is incomplete.", next_step=self.go_to(Step.from_key(key)))
        profile = self.profile
        assert profile is not None and req.role is not None
        request_id = uuid.uuid4().hex[:12]
        organizations = []
        requests = self.store.requests()
        for org in req.organizations:
            approver = self.approvals.route_for({"role": req.role, "user_id": self.record.user_id}, org.ccn, requests)
            # who approves is stored as the route's kind at submit; the text shown for it is
            # derived when shown (approvals.route_for), never stored, so it cannot go stale
            organizations.append({**org.model_dump(), "status": "pending", "approver": approver.kind})
        request = {
            "id": request_id,
            "user_id": self.record.user_id,
            "requester": profile.display_name,
            "email": profile.email,
            "category": req.category,
            "role": req.role,
            "relationship": req.relationship,
            "organizations": organizations,
            "submitted_at": self.approvals.now().isoformat(),
        }
        self.store.add_request(request)
        self.approvals.announce(request)
        self.record.last_submitted_request = request_id
        self.banner = "Role Request Submitted"
        event("request_submitted", role=req.role, organizations=len(organizations))
        return StepOutcome(True, next_step=Step.AWAIT_APPROVAL)

    # --- reading ---------------------------------------------------------------------------

    def my_requests(self) -> list[dict[str, Any]]:
        uid = self.record.user_id
        return [r for r in self.store.requests() if uid and r.get("user_id") == uid]

    def send_message(self, kind: str, to: str, subject: str, body: str) -> None:
        self.store.add_message(
            {"kind": kind, "to": to, "subject": subject, "body": body, "sent_at": self.clock().isoformat()}
        )

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
