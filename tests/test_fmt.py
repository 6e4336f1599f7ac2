"""Numbers and dates as a Chinese office writes them (geo/fmt.py): cases worked by hand."""
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geo import fmt

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("x, decimals, expected", [
    (0, 0, "0"),
    (999, 0, "999"),
    (1000, 0, "1,000"),
    (1234567, 0, "1,234,567"),
    (-1234567, 0, "-1,234,567"),
    (285440.48, 0, "285,440"),        # .48 rounds down
    (285440.5, 0, "285,441"),         # half-up, not half-even (format gives 285,440)
    (2.5, 0, "3"),                    # f"{2.5:.0f}" == "2"
    (2.675, 2, "2.68"),               # the float is 2.67499999…; a person reads 2.675
    (1234.5, 1, "1,234.5"),
    (0.004, 2, "0.00"),
    (-0.4, 0, "0"),                   # never "-0"
    (np.int64(5000000), 0, "5,000,000"),
    (np.float64(3000.0), 2, "3,000.00"),
    (None, 0, "-"),
    (float("nan"), 0, "-"),
    (pd.NA, 0, "-"),
])
def test_num(x, decimals, expected):
    assert fmt.num(x, decimals) == expected


def test_money_in_yuan_and_wan():
    assert fmt.yuan(285440.48) == "285,440 元"
    assert fmt.yuan(30000) == "30,000 元"
    assert fmt.yuan(5_000_000, "en") == "5,000,000 yuan"
    # 8,000,000 元 = 800 万元; 285,440.48 元 = 28.544048 万元 -> 28.54
    assert fmt.yuan(8_000_000, wan=True) == "800 万元"
    assert fmt.yuan(285440.48, wan=True) == "28.54 万元"
    assert fmt.yuan(285440.48, wan=True, decimals=1) == "28.5 万元"
    assert fmt.yuan(8_000_000, "en", wan=True) == "800 × 10,000 yuan"
    assert fmt.yuan(8_000_000, wan=True, decimals=1) == "800 万元"
    assert fmt.yuan(8_050_000, wan=True, decimals=1) == "805 万元"
    assert fmt.yuan(8_040_000, wan=True, decimals=2) == "804 万元"
    assert fmt.yuan(8_045_000, wan=True, decimals=1) == "804.5 万元"
    assert fmt.yuan(float("nan")) == "-"


def test_percent_distance_minutes():
    assert fmt.pct(0.1234) == "12.3%"
    assert fmt.pct(0.98765, 2) == "98.77%"
    assert fmt.pct(0.0001, 2) == "0.01%"        # a gap of 0.01 %
    assert fmt.metres(3000) == "3,000 米"
    assert fmt.metres(239.5, "en") == "240 m"
    assert fmt.km(12_345) == "12.3 公里"
    assert fmt.km(12_355, "en") == "12.4 km"     # 12.355 km, half-up
    assert fmt.distance(999) == "999 米"
    assert fmt.distance(999.6) == "1.0 公里"     # 999.6 m would print as "1,000 米"
    assert fmt.distance(3097.8, "en") == "3.1 km"
    assert fmt.minutes(25) == "25 分钟"
    assert fmt.minutes(7.45, "en", 1) == "7.5 min"


def test_beijing_time_from_utc_and_other_zones():
    # 06:05 UTC is 14:05 in Beijing (UTC+8, no daylight saving)
    utc = datetime(2026, 12, 3, 6, 5, tzinfo=UTC)
    assert fmt.beijing(utc) == "2026年12月3日 14:05（北京时间）"
    assert fmt.beijing(utc, "en") == "3 Dec 2026 14:05 (Beijing time)"
    # 18:18 UTC on 2 Dec is 02:18 on 3 Dec in Beijing: the date moves
    assert fmt.beijing("2026-12-02T18:18:36+00:00") == "2026年12月3日 02:18（北京时间）"
    assert fmt.beijing("2026-12-02T18:18:36Z", seconds=True) == "2026年12月3日 02:18:36（北京时间）"
    # 09:00 in UTC-5 is 14:00 UTC is 22:00 in Beijing
    ny = datetime(2026, 7, 1, 9, 0, tzinfo=timezone(timedelta(hours=-5)))
    assert fmt.beijing(ny, "en") == "1 Jul 2026 22:00 (Beijing time)"
    # naive = UTC (the store's timestamps); New Year's Eve 16:00 UTC is midnight in Beijing
    assert fmt.beijing(datetime(2026, 12, 31, 16, 0)) == "2027年1月1日 00:00（北京时间）"
    assert fmt.beijing(pd.Timestamp("2026-06-30T20:30:00+00:00")) == "2026年7月1日 04:30（北京时间）"
    assert fmt.beijing(None) == "-" and fmt.beijing("") == "-"


def test_dates():
    assert fmt.day(date(2024, 4, 6)) == "2024年4月6日"
    assert fmt.day(date(2024, 4, 6), "en") == "6 Apr 2024"
    assert fmt.day("2026-12-02") == "2026年12月2日"
    assert fmt.beijing(date(2026, 12, 2)) == "2026年12月2日"     # a date has no time to convert
    assert fmt.day("2026-12-02T20:00:00+00:00") == "2026年12月3日"  # its day in Beijing
    assert fmt.day(None) == "-"


def test_now_is_beijing():
    now = fmt.now_beijing()
    assert now.utcoffset() == timedelta(hours=8)
    assert abs((now - datetime.now(UTC)).total_seconds()) < 5


def test_zoneinfo_works_without_a_system_tz_database():
    # Windows has no /usr/share/zoneinfo: the tzdata package (a dependency) supplies Asia/Shanghai
    code = ("from geo import fmt; from zoneinfo import ZoneInfo; "
            "assert isinstance(fmt.BEIJING, ZoneInfo), fmt.BEIJING; "
            "print(fmt.beijing('2026-12-03T06:05:00+00:00'))")
    env = {"PYTHONTZPATH": "/nonexistent", "PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True, cwd=ROOT)
    assert out.stdout.strip() == "2026年12月3日 14:05（北京时间）"
