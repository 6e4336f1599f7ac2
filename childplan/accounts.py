"""Optional accounts for serving the app to several people on an intranet.

Off unless a planner turns them on: ``make run`` / ``childplan app`` on one machine needs no
login. To serve the county's intranet, the planner writes an accounts file and points the app
at it with ``CHILDPLAN_ACCOUNTS=/path/accounts.toml``::

    childplan accounts add wang --role county   --file accounts.toml   # asks the password
    childplan accounts add li   --role township --township 500109102 --file accounts.toml

The file holds each user's role, township and an Argon2id hash of the password (argon2-cffi,
the reference implementation's binding; nothing leaves the machine, no password is stored):

.. code-block:: toml

    [users.li]
    role = "township"
    township = "500109101"
    password_hash = "$argon2id$v=19$m=65536,t=3,p=4$..."

A ``county`` user sees everything; a ``township`` user sees only that township's villages,
facilities, roster and waterways (every page, plan and export is computed from that subset:
:func:`restrict_to_township`) and not the county-wide pages (funding split, scenario
comparison, batch, data upload).
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path

__all__ = [
    "ACCOUNTS_ENV",
    "ROLES",
    "Account",
    "AccountsError",
    "accounts_path",
    "add_account",
    "hash_password",
    "load_accounts",
    "restrict_to_township",
    "verify",
]

#: The environment variable that turns accounts on (the path of the accounts file).
ACCOUNTS_ENV = "CHILDPLAN_ACCOUNTS"
ROLES = ("county", "township")
_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")


class AccountsError(Exception):
    """A bilingual error about the accounts file."""


@dataclass(frozen=True)
class Account:
    """A user: name, role (``county`` or ``township``) and, for a township user, its code."""

    name: str
    role: str
    township: str = ""
    password_hash: str = ""


def accounts_path() -> Path | None:
    """The accounts file when accounts are on (``$CHILDPLAN_ACCOUNTS``), else None."""
    p = os.environ.get(ACCOUNTS_ENV, "").strip()
    return Path(p) if p else None


def _hasher():
    from argon2 import PasswordHasher

    return PasswordHasher()  # Argon2id, RFC 9106 low-memory defaults


def hash_password(password: str) -> str:
    """An Argon2id hash of ``password`` (salted; the password itself is never kept)."""
    if len(password) < 8:
        raise AccountsError("密码至少 8 个字符 / a password needs at least 8 characters")
    return _hasher().hash(password)


def load_accounts(path: str | Path) -> dict[str, Account]:
    """Read and check the accounts file."""
    path = Path(path)
    if not path.exists():
        raise AccountsError(f"找不到账号文件 {path} / accounts file not found: {path}")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise AccountsError(f"{path}: 账号文件格式错误 / not a valid accounts file: {exc}") from exc
    users = {}
    for name, u in (raw.get("users") or {}).items():
        role, town = str(u.get("role", "")), str(u.get("township", ""))
        if not _NAME.fullmatch(name) or role not in ROLES or not str(u.get("password_hash", "")):
            raise AccountsError(f"{path}: 账号 {name!r} 不完整 / account {name!r} is incomplete "
                                "(role county|township, password_hash)")
        if role == "township" and not re.fullmatch(r"\d{9}", town):
            raise AccountsError(f"{path}: 乡镇账号 {name} 需要 9 位乡镇代码 / township account "
                                f"{name} needs a 9-digit township code")
        users[name] = Account(name, role, town if role == "township" else "",
                              str(u["password_hash"]))
    return users


def verify(users: dict[str, Account], name: str, password: str) -> Account | None:
    """The account when ``password`` is right, else None (same work for unknown names)."""
    from argon2.exceptions import VerificationError

    hasher = _hasher()
    acc = users.get(name)
    target = acc.password_hash if acc else _DUMMY
    try:
        hasher.verify(target, password)
    except (VerificationError, ValueError):  # wrong password, or a malformed hash
        return None
    except Exception:  # argon2's InvalidHashError and the like: never a login
        return None
    return acc


# A fixed hash to verify against for unknown user names (no timing hint that a name exists).
_DUMMY = ("$argon2id$v=19$m=65536,t=3,p=4$cKWbij3XEpALoQ2/2cjAzQ$"
          "wUeXI/ioeLYBBRs6Mmf7jTPq1+3B6+7U6IzgQOnYJnw")


def add_account(path: str | Path, name: str, password: str, *, role: str = "county",
                township: str = "") -> Account:
    """Add or replace one account in the file (written atomically, mode 0600)."""
    from geo.exports import atomic_path

    path = Path(path)
    if not _NAME.fullmatch(name):
        raise AccountsError("账号名只能用字母、数字、_ . - / a name may use letters, digits, _ . -")
    if role not in ROLES:
        raise AccountsError(f"角色应为 county 或 township / role must be one of {ROLES}")
    if role == "township" and not re.fullmatch(r"\d{9}", township):
        raise AccountsError("乡镇账号需要 9 位乡镇代码 / a township account needs a 9-digit code")
    users = load_accounts(path) if path.exists() else {}
    users[name] = Account(name, role, township if role == "township" else "",
                          hash_password(password))
    lines = ["# childplan accounts: Argon2id password hashes, never passwords", ""]
    for u in users.values():
        lines += [f"[users.{u.name}]", f'role = "{u.role}"']
        if u.township:
            lines.append(f'township = "{u.township}"')
        lines += [f'password_hash = "{u.password_hash}"', ""]
    with atomic_path(path) as tmp:
        tmp.write_text("\n".join(lines), encoding="utf-8")
        os.chmod(tmp, 0o600)
    return users[name]


def restrict_to_township(data, township: str):
    """The county as a township user sees it: only that township's rows (a new CountyData).

    The county outline stays (the map's frame); townships, villages, facilities, roster and
    crossings keep the township's rows; waterways keep the water that touches the township.
    """
    tw = data.townships[data.townships["township_code"] == township]
    if tw.empty:
        raise AccountsError(f"区县 {data.adcode} 中没有乡镇 {township} / county {data.adcode} has "
                            f"no township {township}")

    def own(frame, col="township_code"):
        if col in frame.columns:
            return frame[frame[col].astype(str) == township].copy()
        if "village_code" in frame.columns:
            return frame[frame["village_code"].astype(str).str[:9] == township].copy()
        return frame.iloc[0:0].copy()

    changes = {"townships": tw.copy(), "villages": own(data.villages),
               "facilities": own(data.facilities), "roster": own(data.roster)}
    if len(data.waterways):
        area = tw.to_crs(data.waterways.crs).union_all() if data.waterways.crs else None
        if area is not None:
            changes["waterways"] = data.waterways[data.waterways.intersects(area)].copy()
    if len(data.crossings) and data.crossings.crs:
        area = tw.to_crs(data.crossings.crs).union_all()
        changes["crossings"] = data.crossings[data.crossings.intersects(area)].copy()
    return replace(data, **changes)
