"""wizard/vault.py, and the store keeping the TOTP secret encrypted at rest (DESIGN.md section 3:
secrets never sit anywhere in clear)."""

from __future__ import annotations

import base64
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FIXED_TOTP_SECRET
from tests.factory import CHALLENGE_ANSWER, PASSWORD
from wizard import store as store_module
from wizard import vault as vault_module
from wizard.store import DB_NAME, SECRET_LOST_NOTICE, Store
from wizard.vault import KEY_NAME, Vault, VaultError

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def vault(data_dir: Path) -> Vault:
    data_dir.mkdir(mode=0o700)
    return Vault(data_dir)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# -- the vault ------------------------------------------------------------------------------------


def test_round_trip_and_tokens_hide_the_text(vault):
    token = vault.encrypt(FIXED_TOTP_SECRET)
    assert FIXED_TOTP_SECRET not in token
    assert vault.decrypt(token) == FIXED_TOTP_SECRET
    assert vault.encrypt(FIXED_TOTP_SECRET) != token  # a fresh IV every time
    assert vault.decrypt(vault.encrypt("naïve ✓")) == "naïve ✓"


def test_key_is_created_on_first_use_only_private_and_32_bytes(vault, data_dir):
    assert not (data_dir / KEY_NAME).exists()
    assert not vault.has_key
    old = os.umask(0o000)
    try:
        vault.encrypt("x")
    finally:
        os.umask(old)
    key_file = data_dir / KEY_NAME
    assert mode(key_file) == 0o600
    assert len(base64.urlsafe_b64decode(key_file.read_bytes().strip())) == 32
    assert vault.has_key
    assert [p.name for p in data_dir.iterdir()] == [KEY_NAME]  # no temporary file left


def test_existing_key_is_used_never_replaced(vault, data_dir):
    token = vault.encrypt("x")
    key = (data_dir / KEY_NAME).read_bytes()
    other = Vault(data_dir)
    assert other.decrypt(token) == "x"
    other.encrypt("y")
    assert (data_dir / KEY_NAME).read_bytes() == key


def test_racing_creators_end_with_one_key(vault, data_dir, monkeypatch):
    """Another process writes its key between our temp file and our link: we use its key."""
    rival = Vault(data_dir)
    real_link = os.link

    def link_after_rival(src, dst):
        monkeypatch.setattr(vault_module.os, "link", real_link)
        rival_token = rival.encrypt("rival")  # creates the key first
        link_after_rival.rival_token = rival_token
        return real_link(src, dst)

    monkeypatch.setattr(vault_module.os, "link", link_after_rival)
    mine = vault.encrypt("mine")
    assert rival.decrypt(mine) == "mine"
    assert vault.decrypt(link_after_rival.rival_token) == "rival"
    assert sorted(p.name for p in data_dir.iterdir()) == [KEY_NAME]


def test_without_hard_links_the_key_is_created_exclusively(vault, data_dir, monkeypatch):
    def no_links(src, dst):
        raise OSError(1, "Operation not permitted")

    monkeypatch.setattr(vault_module.os, "link", no_links)
    token = vault.encrypt("x")
    monkeypatch.undo()
    assert mode(data_dir / KEY_NAME) == 0o600
    assert Vault(data_dir).decrypt(token) == "x"
    assert sorted(p.name for p in data_dir.iterdir()) == [KEY_NAME]


def test_missing_key_cannot_decrypt(vault, data_dir):
    token = vault.encrypt("x")
    (data_dir / KEY_NAME).unlink()
    with pytest.raises(VaultError):
        Vault(data_dir).decrypt(token)
    with pytest.raises(VaultError):
        vault.decrypt(token)  # no stale key kept in memory


@pytest.mark.parametrize("damage", [b"", b"not a key\n", base64.urlsafe_b64encode(b"short") + b"\n", b"\xff\xfe"])
def test_damaged_key_cannot_decrypt_and_is_kept_aside_on_next_encrypt(vault, data_dir, damage):
    token = vault.encrypt("x")
    (data_dir / KEY_NAME).write_bytes(damage)
    with pytest.raises(VaultError):
        Vault(data_dir).decrypt(token)
    new_token = Vault(data_dir).encrypt("y")
    asides = list(data_dir.glob("secret.damaged-*.key"))
    assert len(asides) == 1 and asides[0].read_bytes() == damage
    assert Vault(data_dir).decrypt(new_token) == "y"
    with pytest.raises(VaultError):
        Vault(data_dir).decrypt(token)  # made with the lost key


def test_altered_or_foreign_tokens_are_refused(vault, tmp_path):
    token = vault.encrypt("x")
    altered = token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]
    for bad in (altered, "", "gAAAA", "not base64 !", token[:20]):
        with pytest.raises(VaultError):
            vault.decrypt(bad)
    elsewhere = tmp_path / "other"
    elsewhere.mkdir()
    with pytest.raises(VaultError):
        vault.decrypt(Vault(elsewhere).encrypt("x"))


def test_cryptography_is_imported_only_when_a_secret_is_used(tmp_path):
    code = (
        "import sys; from pathlib import Path\n"
        "from wizard.store import Store\n"
        "s = Store(Path(sys.argv[1]))\n"
        "s.save_account({'position': 'two_factor_verify', 'factor': {'device_type': 'sms'}})\n"
        "s.load_account(); s.add_message({'subject': 'x'})\n"
        "print('cryptography' in sys.modules)\n"
        "s.save_account({'position': 'two_factor_verify', 'factor': {'totp_secret': 'ABC'}})\n"
        "print('cryptography' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "data")], capture_output=True, text=True, cwd=ROOT, timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "True"]


# -- the store encrypts the TOTP secret -----------------------------------------------------------


def _account(secret: str | None = FIXED_TOTP_SECRET) -> dict:
    return {
        "position": "two_factor_verify",
        "user_id": "jdoe_pso",
        "factor": {"device_type": "google_authenticator", "totp_secret": secret, "verified": False},
    }


def test_store_encrypts_on_save_and_decrypts_on_load(store, data_dir):
    doc = _account()
    store.save_account(doc)
    assert doc == _account()  # the caller's document is not changed
    raw = store.account_path.read_bytes()
    assert FIXED_TOTP_SECRET.encode() not in raw
    stored = json.loads(raw)["accounts"]["1"]["factor"]["totp_secret"]
    assert set(stored) == {"fernet"}
    assert Store(data_dir).load_account() == _account()
    assert store.load_account() == _account()


def test_store_without_secret_makes_no_key(store, data_dir):
    store.save_account({**_account(secret=None), "user_id": None})
    store.save_account({"position": "profile"})
    assert store.load_account() == {"position": "profile"}
    assert not (data_dir / KEY_NAME).exists()
    # a User ID is a sealed entry of the index (schema 5, wizard/seal.py): that makes the key
    store.save_account({"position": "account", "user_id": "jdoe_pso"})
    assert (data_dir / KEY_NAME).exists() and store.user_ids() == ["jdoe_pso"]


def test_clear_secret_never_reaches_a_write(store, monkeypatch):
    """Not the database, not its temporary file: every payload written is checked."""
    written: list[bytes] = []
    real_dumps = store_module.json.dumps

    def spy(*args, **kwargs):
        out = real_dumps(*args, **kwargs)
        written.append(out.encode())
        return out

    monkeypatch.setattr(store_module.json, "dumps", spy)
    store.save_account(_account())
    store.save_account({**_account(), "position": "iqies_sign_in"})
    assert written and all(FIXED_TOTP_SECRET.encode() not in w for w in written)


@pytest.mark.parametrize("damage", ["missing", "garbage", "other-key", "bad-token"])
def test_unusable_secret_drops_the_factor_with_a_notice(data_dir, damage):
    Store(data_dir).save_account({**_account(), "login_throttle": {"failures": 2}})
    key_file = data_dir / KEY_NAME
    if damage == "missing":
        key_file.unlink()
    elif damage == "garbage":
        key_file.write_bytes(b"garbage\n")
    elif damage == "other-key":
        key_file.unlink()
        Vault(data_dir).encrypt("make a new key")
    else:
        path = Store(data_dir).account_path
        data = json.loads(path.read_bytes())
        data["accounts"]["1"]["factor"]["totp_secret"] = {"fernet": 42}
        path.write_bytes(json.dumps(data).encode())
    s = Store(data_dir)
    assert s.notice is None  # the database itself is fine
    doc = s.load_account()
    assert doc == {"position": "two_factor_verify", "user_id": "jdoe_pso", "login_throttle": {"failures": 2}}
    assert s.notice == SECRET_LOST_NOTICE
    assert "\n" not in s.notice
    # setting up the authenticator again works, with a key that is usable again
    s.save_account(_account(secret="NEWSECRETNEWSECRETNEWSECRETNEWS2"))
    assert Store(data_dir).load_account() == _account(secret="NEWSECRETNEWSECRETNEWSECRETNEWS2")
    if damage == "garbage":
        assert [p.read_bytes() for p in data_dir.glob("secret.damaged-*.key")] == [b"garbage\n"]


def test_lost_key_sends_the_flow_back_to_two_factor_setup(data_dir):
    from tests.states import advance_to, new_flow
    from wizard.steps import Step

    advance_to(data_dir, Step.CATEGORY, device="google_authenticator")
    (data_dir / KEY_NAME).unlink()
    flow = new_flow(data_dir)
    assert flow.record.factor is None
    assert flow.current_step == Step.TWO_FACTOR_SETUP
    assert flow.store.notice == SECRET_LOST_NOTICE
    assert flow.record.user_id == "jdoe_pso" and flow.record.identity_proofed


# -- no secret in clear anywhere in the data directory --------------------------------------------


def test_no_secret_in_any_file_after_the_happy_path(data_dir):
    from tests.states import advance_to
    from wizard.steps import Step

    flow = advance_to(data_dir, Step.REVIEW, device="google_authenticator")
    assert flow.submit(Step.REVIEW, {}).ok
    assert flow.record.factor.totp_secret == FIXED_TOTP_SECRET  # in memory, in clear, as needed
    secrets = {
        "TOTP secret": FIXED_TOTP_SECRET,
        "password": PASSWORD,
        "challenge answer": CHALLENGE_ANSWER,
    }
    files = [p for p in data_dir.rglob("*") if p.is_file()]
    assert {p.name for p in files} >= {DB_NAME, KEY_NAME}
    for path in files:
        content = path.read_bytes()
        for what, secret in secrets.items():
            for form in {secret, secret.lower(), secret.upper()}:
                assert form.encode() not in content, f"{what} in clear in {path.name}"
            assert json.dumps(secret).encode()[1:-1] not in content, f"{what} (JSON-escaped) in {path.name}"
