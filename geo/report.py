"""Validation problems and the bilingual report that collects them.

Every problem names where it is (file, row or feature, column, value), what is wrong and what
to do, in Chinese and English. Readers and validators never raise on bad data: they add
problems to a :class:`Report` and carry on, so the planner sees every problem at once.

Row numbers follow what the planner sees: in a CSV or spreadsheet the header is row 1, so
the first record is row 2; in a vector file (GeoPackage, GeoJSON, Shapefile) the feature
number counts from 1.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd

from optimization.errors import BadInput, Issue

__all__ = ["DataError", "Problem", "Report"]


@dataclass(frozen=True)
class Problem:
    """One problem in the input.

    Attributes
    ----------
    severity : {"error", "warning"}
        Errors block planning; warnings are repaired or tolerated and shown.
    code : str
        Stable machine code, e.g. ``"missing_column"``, ``"negative_count"``.
    layer, file : str
        Which layer and which file.
    row : int or None
        Spreadsheet row (header = 1) or feature number (from 1).
    feature_id : str or None
        The record's own id (village code, facility id...) when known.
    column, value : str or None
        The column and the offending value.
    zh, en : str
        What is wrong.
    fix_zh, fix_en : str
        What to do.
    """

    severity: str
    code: str
    layer: str
    file: str
    row: int | None
    feature_id: str | None
    column: str | None
    value: str | None
    zh: str
    en: str
    fix_zh: str
    fix_en: str

    def where(self, lang: str = "zh") -> str:
        """Human-readable location: file, row/feature, id, column."""
        from geo.i18n import t

        parts = [Path(self.file).name if self.file else self.layer]
        if self.row is not None:
            parts.append(t("report_where_row", lang).format(row=self.row))
        if self.feature_id:
            parts.append(f"[{self.feature_id}]")
        if self.column:
            parts.append(t("report_where_column", lang).format(column=self.column))
        return " ".join(parts)

    def text(self, lang: str = "zh") -> str:
        """One line: location, value, message and fix in one language."""
        if lang == "zh":
            sev = "错误" if self.severity == "error" else "警告"
            val = f"（值：{self.value}）" if self.value not in (None, "") else ""
            return f"[{sev}] {self.where('zh')}{val}：{self.zh}。处理：{self.fix_zh}"
        sev = "ERROR" if self.severity == "error" else "WARNING"
        val = f" (value: {self.value})" if self.value not in (None, "") else ""
        return f"[{sev}] {self.where('en')}{val}: {self.en}. To fix: {self.fix_en}"


@dataclass
class Report:
    """All problems found while loading and validating a set of layers."""

    problems: list[Problem] = field(default_factory=list)

    def add(
        self,
        severity: str,
        code: str,
        *,
        layer: str,
        file: str | Path | None,
        zh: str,
        en: str,
        fix_zh: str,
        fix_en: str,
        row: int | None = None,
        feature_id: object = None,
        column: str | None = None,
        value: object = None,
    ) -> None:
        """Record a problem."""
        self.problems.append(
            Problem(
                severity=severity,
                code=code,
                layer=layer,
                file=str(file) if file else "",
                row=None if row is None else int(row),
                feature_id=None if feature_id is None or feature_id != feature_id
                else str(feature_id),
                column=column,
                value=None if value is None else _short(value),
                zh=zh,
                en=en,
                fix_zh=fix_zh,
                fix_en=fix_en,
            )
        )

    def extend(self, other: Report) -> None:
        """Append another report's problems."""
        self.problems.extend(other.problems)

    @property
    def errors(self) -> list[Problem]:
        """Problems that block planning."""
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        """Problems that were repaired or tolerated."""
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def ok(self) -> bool:
        """True when there is no error (warnings allowed)."""
        return not self.errors

    def codes(self) -> list[str]:
        """The problem codes, in order (handy in tests)."""
        return [p.code for p in self.problems]

    def to_frame(self, lang: str = "zh", *, codes: bool = True) -> pd.DataFrame:
        """A table of the problems with headers in the chosen language.

        The 问题类型 column names each problem's kind in words (:func:`geo.i18n.problem_label`);
        the stable problem code (代码 / code) is a column for machines only, kept with
        ``codes`` (the default of this method, which other code reads; ``childplan validate
        --format csv`` leaves it out unless ``--codes``).
        """
        from geo.i18n import problem_label, t

        cols_zh = ["级别", t("problem_kind", "zh"), "代码", "图层", "文件", "行/要素", "编号", "列",
                   "值", "问题", "处理办法"]
        cols_en = ["severity", t("problem_kind", "en"), "code", "layer", "file", "row", "id",
                   "column", "value", "problem", "what to do"]
        rows = []
        for p in self.problems:
            if lang == "zh":
                sev = "错误" if p.severity == "error" else "警告"
                msg, fix = p.zh, p.fix_zh
            else:
                sev, msg, fix = p.severity, p.en, p.fix_en
            layer = p.layer if codes or not p.layer else t(p.layer, lang)
            rows.append([sev, problem_label(p.code, lang), p.code, layer,
                         Path(p.file).name if p.file else "", p.row, p.feature_id, p.column,
                         p.value, msg, fix])
        frame = pd.DataFrame(rows, columns=cols_zh if lang == "zh" else cols_en)
        return frame if codes else frame.drop(columns=[frame.columns[2]])

    def summary(self, lang: str = "zh") -> str:
        """One line: how many errors and warnings."""
        e, w = len(self.errors), len(self.warnings)
        if lang == "zh":
            return f"{e} 个错误，{w} 个警告" + ("；数据可用于规划" if e == 0 else "；请先修正错误")
        return f"{e} error(s), {w} warning(s)" + (
            "; the data can be planned on" if e == 0 else "; fix the errors first"
        )

    def groups(self) -> dict[tuple[str, str], list[Problem]]:
        """Problems grouped by kind: (severity, code) -> problems; errors first, then in order."""
        out: dict[tuple[str, str], list[Problem]] = {}
        for p in sorted(self.problems, key=lambda q: q.severity != "error"):
            out.setdefault((p.severity, p.code), []).append(p)
        return out

    def render(self, lang: str = "both") -> str:
        """The report as text: summary, then the problems grouped by kind (errors first).

        Each group starts with a line naming its kind and count; then one line per problem
        in each language (both by default).
        """
        langs = ("zh", "en") if lang == "both" else (lang,)
        lines = [" / ".join(self.summary(lg) for lg in langs)]
        groups = self.groups()
        for (severity, code), items in groups.items():
            if len(groups) > 1:
                sev = {"zh": "错误" if severity == "error" else "警告",
                       "en": severity}
                lines.append("── " + " / ".join(
                    f"{sev[lg]} {code} × {len(items)}" for lg in langs))
            for p in items:
                for lg in langs:
                    lines.append(p.text(lg))
        return "\n".join(lines)

    def as_dicts(self) -> list[dict]:
        """Plain dicts (for JSON and scenario storage)."""
        return [asdict(p) for p in self.problems]


class DataError(BadInput):
    """Raised by planning functions when the loaded data has errors; carries the report.

    A :class:`~optimization.errors.BadInput`: its issues are the report's summary and one per
    error (reason = the problem code, ids = the feature id); ``str()`` is the full report.
    """

    kind = "data_error"

    def __init__(self, report: Report):
        self.report = report
        issues = [Issue("data_error", report.summary("zh"), report.summary("en"))]
        issues += [Issue(p.code, p.text("zh"), p.text("en"),
                         (p.feature_id,) if p.feature_id else ()) for p in report.errors]
        super().__init__(issues)

    def __str__(self) -> str:
        return self.report.render()


def _short(value: object, limit: int = 60) -> str:
    s = str(value)
    return s if len(s) <= limit else s[: limit - 1] + "…"
