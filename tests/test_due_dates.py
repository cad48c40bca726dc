"""Due dates of promised deadlines: working days skip Chinese public holidays and count make-up days."""

from __future__ import annotations

import datetime as dt

import pytest

import guards
from guards.due_dates import deadline_label, due_date, is_working_day


@pytest.mark.parametrize(
    ("today", "hours", "working", "due"),
    [
        (dt.date(2026, 12, 7), 48, True, dt.date(2026, 12, 9)),  # Monday + 2 working days
        (dt.date(2026, 12, 11), 48, True, dt.date(2026, 12, 15)),  # Friday: the weekend does not count
        # National Day is skipped, and Saturday 10 October is a make-up working day.
        (dt.date(2026, 9, 30), 72, True, dt.date(2026, 10, 10)),
        (dt.date(2026, 12, 7), 24, False, dt.date(2026, 12, 8)),  # 24小时内: before this time tomorrow
        (dt.date(2026, 12, 7), 72, False, dt.date(2026, 12, 10)),
    ],
)
def test_due_date_counts_working_days_with_the_holiday_schedule(
    today: dt.date, hours: float, working: bool, due: dt.date
) -> None:
    assert due_date(today, hours, working) == due


def test_a_year_without_a_known_schedule_counts_monday_to_friday_and_says_so() -> None:
    assert is_working_day(dt.date(2031, 1, 1))  # a Wednesday; the 2031 schedule is not published
    assert not is_working_day(dt.date(2031, 1, 4))  # a Saturday
    assert deadline_label(dt.date(2031, 1, 3), 48, True) == "1月7日（周二）前，未计入法定节假日"


def test_a_deadline_finding_shows_its_due_date() -> None:
    report = guards.check("我们会在3个工作日内给您回复。", scenario="complaint", today=dt.date(2026, 9, 30))
    deadline = next(v for v in report.violations if v.rule_id == "up.deadline.complaint_followup")
    assert "3个工作日内（10月10日（周六）前）" in deadline.message
