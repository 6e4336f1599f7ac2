"""Numbers, money, distances and dates the way a Chinese county office writes them (zh and en).

One formatter for every page, export and PDF: 千分位 (``1,234,567``), amounts in 元 or 万元,
whole numbers where counts are whole, times in 北京时间 (Asia/Shanghai). Rounding is half-up
on the decimal the reader sees (``2.675`` → ``2.68``, as a person rounds, not the binary
half-even of ``format``). A missing value (None, NaN) is shown as ``-``.

Examples
--------
>>> num(1234567), num(-1234.5), num(0.125, 2), num(None)
('1,234,567', '-1,235', '0.13', '-')
>>> yuan(285440.48), yuan(285440.48, "en"), yuan(8_000_000, wan=True)
('285,440 元', '285,440 yuan', '800 万元')
>>> pct(0.1234), pct(0.0001, decimals=2), metres(3000), km(12345, "en")
('12.3%', '0.01%', '3,000 米', '12.3 km')
>>> distance(850), distance(1500, "en"), minutes(25), minutes(7.5, "en", 1)
('850 米', '1.5 km', '25 分钟', '7.5 min')
>>> from datetime import datetime, timezone
>>> beijing(datetime(2026, 12, 3, 6, 5, tzinfo=timezone.utc))
'2026年12月3日 14:05（北京时间）'
>>> beijing("2026-12-02T18:18:36+00:00", "en")
'3 Dec 2026 02:18 (Beijing time)'
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

__all__ = [
    "BEIJING",
    "MISSING",
    "beijing",
    "day",
    "distance",
    "km",
    "metres",
    "minutes",
    "now_beijing",
    "num",
    "pct",
    "table",
    "to_beijing",
    "yuan",
]

#: What a missing value (None, NaN, NaT) is shown as.
MISSING = "-"


def _beijing_zone():
    """Asia/Shanghai from the tz database (system or the ``tzdata`` package).

    Without any tz database (Windows without ``tzdata``) a fixed UTC+8: China has kept UTC+8
    without daylight saving since 1991, so every date this tool shows is the same.
    """
    try:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            return ZoneInfo("Asia/Shanghai")
        except ZoneInfoNotFoundError:  # pragma: no cover - no tz database at all
            pass
    except ImportError:  # pragma: no cover
        pass
    return timezone(timedelta(hours=8), "CST")  # pragma: no cover


#: 北京时间.
BEIJING = _beijing_zone()

_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _missing(x) -> bool:
    if x is None:
        return True
    try:
        import pandas as pd

        if x is pd.NA or x is pd.NaT:
            return True
    except ImportError:  # pragma: no cover
        pass
    return isinstance(x, float) and math.isnan(x)


def _round(x, decimals: int) -> Decimal:
    """``x`` rounded half-up to ``decimals`` places, from its shortest decimal form."""
    if hasattr(x, "item"):  # numpy scalars
        x = x.item()
    d = Decimal(str(x)) if isinstance(x, float) else Decimal(x)
    q = Decimal(1).scaleb(-decimals)
    return d.quantize(q, rounding=ROUND_HALF_UP)


def num(x, decimals: int = 0) -> str:
    """``x`` with 千分位 and ``decimals`` places (half-up); ``-`` when missing.

    >>> num(1234567.891, 2), num(2.5), num(-0.4), num(True)
    ('1,234,567.89', '3', '0', '1')
    """
    if _missing(x):
        return MISSING
    try:
        d = _round(x, decimals)
    except (InvalidOperation, TypeError, ValueError):
        return str(x)
    if d.is_infinite():
        return "∞" if d > 0 else "-∞"
    if d == 0:
        d = abs(d)  # never "-0"
    return f"{d:,.{decimals}f}"


def yuan(x, lang: str = "zh", *, wan: bool = False, decimals: int | None = None) -> str:
    """An amount: ``285,440 元`` (whole yuan), or in 万元 with ``wan=True`` (``28.54 万元``).

    ``decimals`` defaults to 0 for 元 and to 2 for 万元 (zeros dropped for a whole number
    of 万元: ``800 万元``). English: ``285,440 yuan`` / ``28.54 × 10,000 yuan``.

    >>> yuan(285440.48, wan=True), yuan(285440.48, "en", wan=True), yuan(None)
    ('28.54 万元', '28.54 × 10,000 yuan', '-')
    """
    from geo.i18n import t  # the unit words live in the catalogue

    if _missing(x):
        return MISSING
    if wan:
        d = 2 if decimals is None else decimals
        text = num(float(x) / 10_000, d)
        if "." in text and set(text.split(".")[1]) == {"0"}:
            text = text.split(".")[0]  # a whole number of 万元: 800 万元
        return t("amount_wan_yuan", lang).format(x=text)
    text = num(x, 0 if decimals is None else decimals)
    return t("amount_yuan", lang).format(x=text)


def pct(x, decimals: int = 1) -> str:
    """A share (0.1234) as a percentage: ``12.3%``.

    >>> pct(1), pct(0.5, 0), pct(None)
    ('100.0%', '50%', '-')
    """
    if _missing(x):
        return MISSING
    return num(float(x) * 100, decimals) + "%"


def metres(x, lang: str = "zh", decimals: int = 0) -> str:
    """A distance in metres: ``3,000 米`` / ``3,000 m``."""
    if _missing(x):
        return MISSING
    return f"{num(x, decimals)} {'米' if lang == 'zh' else 'm'}"


def km(x_m, lang: str = "zh", decimals: int = 1) -> str:
    """A distance given in metres, shown in kilometres: ``12.3 公里`` / ``12.3 km``."""
    if _missing(x_m):
        return MISSING
    return f"{num(float(x_m) / 1000, decimals)} {'公里' if lang == 'zh' else 'km'}"


def distance(x_m, lang: str = "zh") -> str:
    """Metres below 1 km (``850 米``), kilometres with one decimal from 1 km (``1.5 公里``)."""
    if _missing(x_m):
        return MISSING
    return metres(x_m, lang) if abs(float(x_m)) < 999.5 else km(x_m, lang)


def minutes(x, lang: str = "zh", decimals: int = 0) -> str:
    """A time in minutes: ``25 分钟`` / ``25 min``."""
    if _missing(x):
        return MISSING
    return f"{num(x, decimals)} {'分钟' if lang == 'zh' else 'min'}"


def now_beijing() -> datetime:
    """The current time in 北京时间 (an aware datetime)."""
    return datetime.now(BEIJING)


def to_beijing(dt) -> datetime | None:
    """``dt`` (a datetime or an ISO text) as an aware datetime in 北京时间.

    A naive datetime (or ISO text without an offset) is read as **UTC**: the project stores
    its timestamps in UTC (``childplan.store``, ``childplan.plan``).

    >>> to_beijing("2026-12-02T06:18:36+00:00").isoformat()
    '2026-12-02T14:18:36+08:00'
    >>> to_beijing("2026-12-02 22:00").isoformat(), to_beijing(None)
    ('2026-12-03T06:00:00+08:00', None)
    """
    if _missing(dt) or dt == "":
        return None
    if isinstance(dt, str):
        text = dt.strip()
        if text.endswith("Z"):
            text = text[:-1] + "+00:00"
        dt = datetime.fromisoformat(text)
    if hasattr(dt, "to_pydatetime"):  # pandas Timestamp
        dt = dt.to_pydatetime()
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(BEIJING)


def day(d, lang: str = "zh") -> str:
    """A date: ``2026年12月3日`` / ``3 Dec 2026`` (a datetime: its day in 北京时间).

    >>> day(date(2026, 1, 5)), day(date(2026, 1, 5), "en"), day("2024-04-06")
    ('2026年1月5日', '5 Jan 2026', '2024年4月6日')
    """
    if _missing(d) or d == "":
        return MISSING
    if isinstance(d, str) and len(d.strip()) == 10:
        d = date.fromisoformat(d.strip())
    elif isinstance(d, (str, datetime)) or hasattr(d, "to_pydatetime"):
        d = to_beijing(d).date()
    if lang == "zh":
        return f"{d.year}年{d.month}月{d.day}日"
    return f"{d.day} {_MONTHS_EN[d.month - 1]} {d.year}"


def beijing(dt, lang: str = "zh", *, seconds: bool = False) -> str:
    """A moment in 北京时间: ``2026年12月3日 14:05（北京时间）`` / ``3 Dec 2026 14:05 (Beijing time)``.

    ``dt``: an aware datetime, ISO text, or a naive one read as UTC (:func:`to_beijing`);
    a plain :class:`~datetime.date` is shown as a date (:func:`day`).

    >>> beijing(datetime(2026, 12, 31, 16, 0, 9), seconds=True)
    '2027年1月1日 00:00:09（北京时间）'
    """
    if isinstance(dt, date) and not isinstance(dt, datetime):
        return day(dt, lang)
    b = to_beijing(dt)
    if b is None:
        return MISSING
    clock = b.strftime("%H:%M:%S" if seconds else "%H:%M")
    if lang == "zh":
        return f"{day(b.date(), 'zh')} {clock}（北京时间）"
    return f"{day(b.date(), 'en')} {clock} (Beijing time)"


def _places(values) -> int:
    """Decimal places a column needs: 0 when whole; at most 2 for amounts of 1,000 and more."""
    vals = [float(v) for v in values if not _missing(v) and math.isfinite(float(v))]
    if not vals or all(v.is_integer() for v in vals):
        return 0
    need = max(len(repr(round(v, 6)).split(".")[1].rstrip("0")) if "." in repr(round(v, 6)) else 0
               for v in vals[:1000])
    return min(need, 2) if max(abs(v) for v in vals) >= 1000 else min(need, 6)


def table(frame):
    """A copy of a table for the screen: number columns as 千分位 text, one precision per column.

    Whole columns show whole numbers (counts, 元); others as many places as they need, at most
    two for amounts of 1,000 and more (money) and six below (coordinates). Downloads keep the
    numbers (:mod:`geo.exports`).

    >>> import pandas as pd
    >>> table(pd.DataFrame({"n": [1200, 3], "yuan": [171264.29, 5.5], "lon": [106.454928, 106.45],
    ...                     "name": ["甲", "乙"]})).to_dict("list")
    {'n': ['1,200', '3'], 'yuan': ['171,264.29', '5.50'], 'lon': ['106.454928', '106.450000'], 'name': ['甲', '乙']}
    """
    import pandas as pd

    out = frame.copy()
    for c in out.columns:
        col = out[c]
        if pd.api.types.is_bool_dtype(col) or not pd.api.types.is_numeric_dtype(col):
            continue
        d = _places(col.tolist())
        out[c] = [num(v, d) for v in col.tolist()]
    return out


#: Columns a screen table keeps as they are: years and months are not amounts (2,025 would
#: read wrong), codes are not numbers.
PLAIN_COLUMNS = frozenset({"year", "open_year", "month", "village_code", "township_code",
                           "adcode", "revision"})


def screen_table(frame, *, drop=("lon", "lat"), plain=PLAIN_COLUMNS):
    """A table as the page shows it (the download keeps numbers as numbers).

    Columns still carry their codes: ``drop`` (coordinates by default) are left out, numbers
    get 千分位 (whole numbers whole, others two places), ``plain`` columns are left alone.
    Localise the headers afterwards.

    >>> import pandas as pd
    >>> screen_table(pd.DataFrame({"year": [2025], "spent_yuan": [500000.0],
    ...                            "coverage_pct": [86.391], "lon": [106.4]})).iloc[0].map(str).tolist()
    ['2025', '500,000', '86.39']
    """
    import pandas as pd

    out = frame.drop(columns=[c for c in drop if c in frame.columns]).copy()
    for c in out.columns:
        if c in plain or not pd.api.types.is_numeric_dtype(out[c]) \
                or pd.api.types.is_bool_dtype(out[c]):
            continue
        whole = bool(out[c].dropna().map(lambda v: float(v).is_integer()).all())
        out[c] = out[c].map(lambda v, w=whole: num(v, 0 if w else 2))
    return out
