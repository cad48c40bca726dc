"""When a promised deadline falls: working days skip Chinese public holidays and count make-up days.

`chinese_calendar` knows the official holiday schedule of the years it covers (it is published
each November for the next year). For a year it does not cover, a working day is Monday to
Friday, and the label says the date was counted without the holiday schedule.
"""

from __future__ import annotations

import datetime as dt
import math

import chinese_calendar

_WEEKDAYS = "一二三四五六日"


def is_working_day(day: dt.date) -> bool:
    """True for a working day: the official schedule where known, else Monday to Friday."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return day.weekday() < 5


def schedule_known(day: dt.date) -> bool:
    """True when the holiday schedule of `day`'s year is known."""
    try:
        chinese_calendar.is_workday(day)
    except NotImplementedError:
        return False
    return True


def due_date(today: dt.date, hours: float, working_days: bool) -> dt.date:
    """The last day of a deadline of `hours` from `today`: N working days count only working days."""
    days = max(1, math.ceil(hours / 24))
    if not working_days:
        return today + dt.timedelta(days=days)
    day = today
    counted = 0
    while counted < days:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            counted += 1
    return day


def deadline_label(today: dt.date, hours: float, working_days: bool) -> str:
    """12月9日（周三）前; a due date in a year without a known holiday schedule says so."""
    day = due_date(today, hours, working_days)
    text = f"{day.month}月{day.day}日（周{_WEEKDAYS[day.weekday()]}）前"
    return text if schedule_known(day) or not working_days else f"{text}，未计入法定节假日"
