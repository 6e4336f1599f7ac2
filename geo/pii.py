"""Personal identifiers: recognised on load so that none reaches a plan, a file or a page.

Plans need codes and counts only. Two things are caught when a layer is read:

* **headers** that carry personal data (names, ID and certificate numbers, phones, contact
  details, addresses, …): :func:`is_personal_header`; the validator drops such a column and
  names it in a warning (unless a personal list is explicitly asked for);
* **person codes** in the roster that are themselves personal: an 18-digit resident ID number
  with a valid GB 11643-1999 check digit, a 15-digit (first-generation) ID number, a phone
  number, or any CJK character (a person's name, e.g. ``张秀英0001``):
  :func:`person_code_problem`. :func:`scrub_person_codes` replaces each such code with a
  neutral one made from the row number and names the rows in a warning; the value itself
  never appears in the report.

Examples
--------
>>> gb11643_check_digit("11010519491231002")
'X'
>>> [person_code_problem(c) for c in ("11010519491231002X", "P-500109001028-01", "张秀英0001",
...                                   "13912345678", "+86 139-1234-5678", "110105491231002",
...                                   "P-130102001-01", "023-68251234")]
['id18', None, 'name', 'phone', 'phone', 'id15', None, 'phone']
"""

from __future__ import annotations

import re

import pandas as pd

from geo.schema import normalise_header

__all__ = [
    "PERSONAL_HEADERS",
    "REDACTED_PREFIX",
    "gb11643_check_digit",
    "is_personal_header",
    "person_code_problem",
    "scrub_person_codes",
]

#: Headers (normalised as the schema normalises them) that carry personal data.
PERSONAL_HEADERS = frozenset(normalise_header(h) for h in (
    # names
    "姓名", "名字", "儿童姓名", "监护人姓名", "家长姓名", "父亲姓名", "母亲姓名", "联系人",
    "person_name", "full_name", "first_name", "last_name", "surname", "guardian_name",
    "child_name", "contact_person",
    # ID and certificate numbers
    "身份证", "身份证号", "身份证号码", "公民身份号码", "证件号", "证件号码", "身份证件号码",
    "护照号", "户口本号", "社保卡号", "id_number", "idcard", "id_card", "id_no", "passport",
    "national_id", "ssn",
    # phones and contact details
    "电话", "联系电话", "手机", "手机号", "手机号码", "电话号码", "联系方式", "监护人电话",
    "监护人手机", "家长电话", "家长手机", "父亲电话", "母亲电话", "固定电话", "微信", "微信号",
    "qq", "qq号", "邮箱", "电子邮箱", "phone", "mobile", "telephone", "tel", "cell",
    "phone_number", "guardian_phone", "contact", "wechat", "email", "e_mail",
    # addresses, birth dates, bank accounts
    "家庭住址", "住址", "家庭地址", "现住址", "户籍地址", "户籍所在地", "详细地址", "居住地址",
    "出生日期", "出生年月", "生日", "银行卡号", "银行账号", "开户账号", "home_address",
    "address", "street_address", "birth_date", "date_of_birth", "dob", "birthday",
    "bank_account", "bank_card",
))

# Parts that make any header personal (监护人电话, 父亲手机号, 家庭详细住址, 证件号码2 …).
_PERSONAL_PARTS = ("姓名", "身份证", "证件号", "手机", "电话", "联系方式", "住址", "微信",
                   "出生日期", "银行卡", "phone", "mobile", "idcard", "id_number")

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_CJK = re.compile(r"[\u2e80-\u2fdf\u3005\u3007\u3021-\u3029\u3400-\u4dbf\u4e00-\u9fff"
                  r"\uf900-\ufaff\U00020000-\U0003134f]")
_RUNS = re.compile(r"\d+[xX]?")
# Mainland mobiles (1[3-9] + 9 digits, optionally +86 and 3-4-4 groups); landlines 0 + area
# code + 7–8 digits. Whole digit runs only: a code such as P-130102001-01 is no phone.
_MOBILE = re.compile(r"(?<![\d])(?:(?:\+|00)?86[\s-]?)?1[3-9]\d[\s-]?\d{4}[\s-]?\d{4}(?![\d])")
_LANDLINE = re.compile(r"(?<![\d])\(?0\d{2,3}\)?[\s-]?\d{7,8}(?![\d])")

#: What a personal person code is replaced with (followed by the planner's row number).
REDACTED_PREFIX = "REDACTED-ROW"


def is_personal_header(header) -> bool:
    """True when a column header names personal data (a name, ID number, phone, address…)."""
    key = normalise_header(str(header))
    return key in PERSONAL_HEADERS or any(p in key for p in _PERSONAL_PARTS)


def gb11643_check_digit(first17: str) -> str:
    """The check character of an 18-digit resident ID number (GB 11643-1999, ISO 7064 MOD 11-2)."""
    if not re.fullmatch(r"\d{17}", first17):
        raise ValueError("need the first 17 digits")
    return _CHECK[sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def person_code_problem(code) -> str | None:
    """Why a person code is personal: ``"id18"``, ``"id15"``, ``"phone"``, ``"name"`` or None.

    Digit runs are looked at whole (``-``, spaces and dots split a code into runs), except
    that a phone number may be written in groups (``139-1234-5678``, ``023 6825 1234``).
    """
    if code is None or (isinstance(code, float) and code != code):
        return None
    s = str(code).strip()
    if _CJK.search(s):
        return "name"
    for run in _RUNS.findall(s):
        if len(run) == 18 and run[:17].isdigit() and gb11643_check_digit(run[:17]) == run[17].upper():
            return "id18"
        if len(run) == 15 and run.isdigit():
            return "id15"
    if _MOBILE.search(s) or _LANDLINE.search(s):
        return "phone"
    return None


_WHY = {
    "id18": ("像 18 位身份证号（校验位有效）", "looks like an 18-digit ID number (valid check digit)"),
    "id15": ("像 15 位身份证号", "looks like a 15-digit ID number"),
    "phone": ("像电话号码", "looks like a phone number"),
    "name": ("含有汉字（像姓名）", "contains Chinese characters (looks like a name)"),
}


def scrub_person_codes(frame: pd.DataFrame, add, *, column: str = "person_code",
                       row_offset: int = 0) -> pd.DataFrame:
    """Replace personal person codes with ``REDACTED-ROW<n>``; report each row (never the value).

    ``add(severity, code, i, column, value, zh, en, fix_zh, fix_en)`` is the validator's
    problem recorder (``i`` the 0-based row of ``frame``). Returns a new frame.
    """
    if column not in frame.columns:
        return frame
    out = frame.copy()
    codes = out[column].astype(object)
    for i, v in enumerate(codes.tolist()):
        why = person_code_problem(v)
        if why is None:
            continue
        new = f"{REDACTED_PREFIX}{i + row_offset}"
        codes.iloc[i] = new
        zh, en = _WHY[why]
        add("warning", "personal_person_code", i, column, new,
            f"人员编码{zh}，属于个人信息；已替换为 {new}，原值不保存也不导出",
            f"the person code {en}: personal data; replaced by {new}, the original is neither "
            "stored nor exported",
            "人员编码请用单位自编的编号（如 P-乡镇代码-序号），不要用身份证号、电话或姓名",
            "use an internal code (e.g. P-<township code>-<n>), never an ID number, phone or name")
    out[column] = codes
    return out
