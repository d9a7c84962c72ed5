"""The counts of a PRISMA 2020 flow diagram and their arithmetic (standard library only: the data
check uses them without importing the chart engine)."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["PrismaCounts"]


@dataclass(kw_only=True)
class PrismaCounts:
    """Counts for the PRISMA 2020 flow diagram (Page et al. 2021, BMJ 372:n71).

    Main column: records from ``databases`` and ``registers`` (plus ``other_methods`` when no
    separate other-methods column is used). Giving ``other_reports_sought`` switches to the
    template with a second column for "other methods" (websites, organisations, citation
    searching), whose reports go straight to retrieval.
    """

    databases: int
    registers: int = 0
    other_methods: int = 0
    duplicates_removed: int = 0
    automation_ineligible: int = 0
    other_removed: int = 0
    records_screened: int
    records_excluded: int
    reports_sought: int
    reports_not_retrieved: int = 0
    reports_assessed: int
    reports_excluded: dict[str, int] = field(default_factory=dict)
    studies_included: int
    reports_included: int
    other_reports_sought: int | None = None
    other_reports_not_retrieved: int = 0
    other_reports_assessed: int | None = None
    other_reports_excluded: dict[str, int] = field(default_factory=dict)

    @property
    def two_columns(self) -> bool:
        return self.other_reports_sought is not None

    @property
    def identified(self) -> int:
        """Records entering the main column."""
        return self.databases + self.registers + (0 if self.two_columns else self.other_methods)

    @property
    def removed(self) -> int:
        return self.duplicates_removed + self.automation_ineligible + self.other_removed

    def check(self) -> list[str]:
        """Inconsistencies between the boxes (empty list: the counts add up)."""
        problems: list[str] = []
        for name, value in vars(self).items():
            if isinstance(value, dict):
                for reason, k in value.items():
                    if not isinstance(k, int) or k < 0:
                        problems.append(f"{name}[{reason!r}] must be a non-negative integer, got {k!r}")
            elif value is not None and (not isinstance(value, int) or value < 0):
                problems.append(f"{name} must be a non-negative integer, got {value!r}")
        if problems:
            return problems
        if self.identified - self.removed != self.records_screened:
            problems.append(
                f"identified ({self.identified}) − removed before screening ({self.removed}) = "
                f"{self.identified - self.removed}, but records screened = {self.records_screened}"
            )
        if self.records_screened - self.records_excluded != self.reports_sought:
            problems.append(
                f"records screened ({self.records_screened}) − excluded ({self.records_excluded}) = "
                f"{self.records_screened - self.records_excluded}, but reports sought = "
                f"{self.reports_sought}"
            )
        if self.reports_sought - self.reports_not_retrieved != self.reports_assessed:
            problems.append(
                f"reports sought ({self.reports_sought}) − not retrieved "
                f"({self.reports_not_retrieved}) = {self.reports_sought - self.reports_not_retrieved},"
                f" but reports assessed = {self.reports_assessed}"
            )
        included = self.reports_assessed - sum(self.reports_excluded.values())
        if self.two_columns:
            if self.other_reports_assessed is None:
                problems.append("other_reports_assessed is required with other_reports_sought")
            else:
                other_left = self.other_reports_sought - self.other_reports_not_retrieved
                if other_left != self.other_reports_assessed:
                    problems.append(
                        f"other-methods reports sought ({self.other_reports_sought}) − not retrieved "
                        f"({self.other_reports_not_retrieved}) = "
                        f"{self.other_reports_sought - self.other_reports_not_retrieved}, but "
                        f"assessed = {self.other_reports_assessed}"
                    )
                if self.other_reports_sought > self.other_methods:
                    problems.append(
                        f"other-methods reports sought ({self.other_reports_sought}) exceed records "
                        f"identified by other methods ({self.other_methods})"
                    )
                included += self.other_reports_assessed - sum(self.other_reports_excluded.values())
        elif self.other_reports_assessed is not None or self.other_reports_excluded:
            problems.append("other-methods reports given without other_reports_sought")
        if included != self.reports_included:
            problems.append(
                f"reports assessed − Σ reports excluded = {included}, but reports of included "
                f"studies = {self.reports_included}"
            )
        if self.studies_included > self.reports_included:
            problems.append(
                f"studies included ({self.studies_included}) exceed reports of included studies "
                f"({self.reports_included})"
            )
        return problems
