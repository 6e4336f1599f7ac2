"""One error base for planning: bad input, infeasible (with reasons), not solved.

Every error a planning step raises on purpose is a :class:`PlanningError`. It carries one or
more :class:`Issue` s — a stable reason key, what is wrong and what to change in Chinese and in
English, and the ids (village, site, person, unit codes) concerned. The CLI, the pages and the
batch catch the base once and show :meth:`PlanningError.message` in the planner's language;
the batch records :attr:`PlanningError.kind` as its reason code.

Three families:

* :class:`BadInput` (``kind="bad_input"``) — the data or parameters cannot be used as given
  (staffing's roster problems, the county data's validation report).
* :class:`Infeasible` (``kind="infeasible"``) — the problem as posed has no solution (a budget
  below the floors; siting villages out of reach).
* :class:`NotSolved` (``kind="not_solved"``) — the solver gave no usable answer (time limit,
  solver error) although a solution may exist.

Examples
--------
>>> err = Infeasible(zh="预算不足", en="the budget is too small", reason="budget_short",
...                  ids=("U1",))
>>> err.kind, err.reasons, err.ids
('infeasible', ('budget_short',), ('U1',))
>>> str(err)
'预算不足 / the budget is too small'
>>> err.message("en")
'the budget is too small'
>>> isinstance(err, ValueError), isinstance(NotSolved(zh="超时", en="time limit"), RuntimeError)
(True, True)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar

__all__ = ["BadInput", "Infeasible", "Issue", "NotSolved", "PlanningError"]


@dataclass(frozen=True)
class Issue:
    """One reason a planning step stopped.

    Attributes
    ----------
    reason : str
        A stable key (``"missing_column"``, ``"budget_short"``...), for tests and the batch.
    zh, en : str
        What is wrong and what to change, in Chinese and English.
    ids : tuple of str
        Codes of the villages, sites, people or units concerned.
    """

    reason: str
    zh: str
    en: str
    ids: tuple[str, ...] = ()

    def message(self, lang: str = "both") -> str:
        """The issue in ``"zh"``, ``"en"`` or ``"both"`` (``"zh / en"``)."""
        if lang == "zh":
            return self.zh
        if lang == "en":
            return self.en
        return f"{self.zh} / {self.en}"


class PlanningError(Exception):
    """Base of every planning error: bilingual issues and the ids they concern.

    Parameters
    ----------
    issues : iterable of Issue, optional
        The reasons (any objects with ``reason``, ``zh``, ``en`` and optionally ``ids``).
    zh, en, reason, ids : optional
        Shorthand for a single issue.
    """

    kind: ClassVar[str] = "error"

    def __init__(self, issues: Iterable[Issue] = (), *, zh: str | None = None,
                 en: str | None = None, reason: str | None = None, ids: Iterable[str] = ()):
        if isinstance(issues, str):  # a plain text, bilingual as "zh / en" or not split
            zh_part, sep, en_part = issues.partition(" / ")
            issues = (Issue(reason or self.kind, zh_part if sep else issues,
                            en_part if sep else issues, tuple(ids)),)
        elif zh is not None:
            issues = (Issue(reason or self.kind, zh, en if en is not None else zh,
                            tuple(str(i) for i in ids)),)
        self.issues = tuple(issues)
        super().__init__(self.message())

    def __str__(self) -> str:
        return self.message()

    @property
    def reasons(self) -> tuple[str, ...]:
        """The reason keys of the issues."""
        return tuple(i.reason for i in self.issues)

    @property
    def ids(self) -> tuple[str, ...]:
        """Every id named by an issue, in order, once."""
        return tuple(dict.fromkeys(x for i in self.issues for x in getattr(i, "ids", ())))

    @property
    def zh(self) -> str:
        """The explanation in Chinese, one issue per line."""
        return self.message("zh")

    @property
    def en(self) -> str:
        """The explanation in English, one issue per line."""
        return self.message("en")

    def message(self, lang: str = "both") -> str:
        """The explanation in ``"zh"``, ``"en"`` or ``"both"``, one issue per line."""
        return "\n".join(_issue_text(i, lang) for i in self.issues)


def _issue_text(issue, lang: str) -> str:
    if lang == "both" and issue.zh == issue.en:  # a text given once (already bilingual)
        return issue.zh
    if hasattr(issue, "message"):
        try:
            return issue.message(lang)
        except TypeError:  # an issue type whose message() takes no language
            pass
    if lang == "zh":
        return issue.zh
    if lang == "en":
        return issue.en
    return f"{issue.zh} / {issue.en}"


class BadInput(PlanningError, ValueError):
    """The data or parameters cannot be used as given."""

    kind: ClassVar[str] = "bad_input"


class Infeasible(PlanningError, ValueError):
    """The problem as posed has no solution; the issues say why and what to change."""

    kind: ClassVar[str] = "infeasible"


class NotSolved(PlanningError, RuntimeError):
    """The solver returned no usable plan (time limit, solver error)."""

    kind: ClassVar[str] = "not_solved"
