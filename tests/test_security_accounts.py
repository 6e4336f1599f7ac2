"""Optional accounts for intranet serving: hashed passwords, a township role, off by default."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from streamlit.testing.v1 import AppTest

from childplan.accounts import (
    AccountsError,
    add_account,
    load_accounts,
    restrict_to_township,
    verify,
)
from tests.conftest import REPO

TOWN = "500109102"  # 澄江镇, a township of the demo county 北碚区


@pytest.fixture
def accounts(tmp_path):
    path = tmp_path / "accounts.toml"
    add_account(path, "wang", "county-pass-1", role="county")
    add_account(path, "li", "township-pass-1", role="township", township=TOWN)
    return path


def test_passwords_are_hashed_and_checked(accounts):
    text = accounts.read_text(encoding="utf-8")
    assert "county-pass-1" not in text and "township-pass-1" not in text
    assert text.count("$argon2id$") == 2
    assert (accounts.stat().st_mode & 0o777) == 0o600
    users = load_accounts(accounts)
    assert verify(users, "wang", "county-pass-1").role == "county"
    li = verify(users, "li", "township-pass-1")
    assert (li.role, li.township) == ("township", TOWN)
    assert verify(users, "wang", "township-pass-1") is None
    assert verify(users, "nobody", "county-pass-1") is None
    assert verify(users, "li", "") is None


def test_bad_accounts_are_refused(tmp_path):
    with pytest.raises(AccountsError, match="9-digit"):
        add_account(tmp_path / "a.toml", "x", "long-enough", role="township", township="12")
    with pytest.raises(AccountsError, match="8 characters"):
        add_account(tmp_path / "a.toml", "x", "short")
    (tmp_path / "b.toml").write_text('[users.x]\nrole = "admin"\npassword_hash = "h"\n')
    with pytest.raises(AccountsError, match="incomplete"):
        load_accounts(tmp_path / "b.toml")


def test_a_township_sees_only_its_rows():
    from geo.layers import demo_sources, load_demo

    data = load_demo("500109")
    one = restrict_to_township(data, TOWN)
    # counted independently from the demo files
    src = demo_sources("500109")
    vill = json.loads(src["villages"].read_text(encoding="utf-8"))["features"]
    fac = json.loads(src["facilities"].read_text(encoding="utf-8"))["features"]
    n_v = sum(f["properties"]["village_code"].startswith(TOWN) for f in vill)
    n_f = sum(str(f["properties"].get("township_code")) == TOWN for f in fac)
    assert 0 < len(one.villages) == n_v and len(one.facilities) == n_f
    assert set(one.townships["township_code"]) == {TOWN}
    assert one.villages["village_code"].str.startswith(TOWN).all()
    assert (one.roster["township_code"] == TOWN).all() and len(one.roster)
    assert len(data.villages) > len(one.villages)  # the county itself is untouched
    with pytest.raises(AccountsError):
        restrict_to_township(data, "500109999")


def _app(monkeypatch, tmp_path, accounts=None):
    monkeypatch.setenv("CHILDPLAN_STORE", str(tmp_path / "store.gpkg"))
    if accounts is None:
        monkeypatch.delenv("CHILDPLAN_ACCOUNTS", raising=False)
    else:
        monkeypatch.setenv("CHILDPLAN_ACCOUNTS", str(accounts))
    monkeypatch.chdir(REPO)
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=180)
    at.run()
    assert not at.exception, [str(e.value)[:300] for e in at.exception]
    return at


def test_no_login_when_accounts_are_off(monkeypatch, tmp_path):
    at = _app(monkeypatch, tmp_path)
    assert "北碚区" in at.title[0].value
    assert not [w for w in at.text_input if w.label in ("密码", "Password")]  # no sign-in form


def test_sign_in_and_the_township_role(monkeypatch, tmp_path, accounts):
    at = _app(monkeypatch, tmp_path, accounts)
    assert not at.title and len(at.text_input) == 2  # only the sign-in form
    at.text_input[0].input("li")
    at.text_input[1].input("wrong-password")
    at.button[0].click().run()
    assert at.error and not at.title
    at.text_input[0].input("li")
    at.text_input[1].input("township-pass-1")
    at.button[0].click().run()
    assert not at.exception and "北碚区" in at.title[0].value
    assert at.session_state["_childplan_account"].township == TOWN
    for page in ("app_pages/siting.py", "app_pages/staffing.py", "app_pages/hazards.py"):
        at.switch_page(page).run()
        assert not at.exception, (page, [str(e.value)[:300] for e in at.exception])


def test_cli_adds_accounts_from_stdin(tmp_path):
    f = tmp_path / "acc.toml"
    r = subprocess.run([sys.executable, "-m", "childplan.cli", "accounts", "add", "zhao",
                        "--role", "township", "--township", TOWN, "--file", str(f),
                        "--password-stdin"], input="a-long-password\n", capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert verify(load_accounts(f), "zhao", "a-long-password").township == TOWN
