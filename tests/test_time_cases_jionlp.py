"""JioNLP's public time-parser cases as a regression set for the durations huashu parses.

The cases are the single-unit, exact `time_delta` cases of JioNLP's `test/test_time_parser.py`
(github.com/dongrixinyu/JioNLP, Apache-2.0), each read inside a deadline (在…内) and compared in
hours (a month counts 30 days, a working day 24 hours, as the policy does). Two cases are left
out as forms no customer-service deadline takes: 2000万小时 and 35,000个钟头.
"""

from __future__ import annotations

import pytest

from guards.timeexpr import find_time_expressions

# (JioNLP's text, its value in hours)
PARSED = [
    ("4周", 28 * 24.0),
    ("四个星期", 28 * 24.0),
    ("270天", 270 * 24.0),
    ("2621.2小时", 2621.2),
    ("五个工作日", 5 * 24.0),
    ("两日", 2 * 24.0),
    ("俩礼拜", 14 * 24.0),
    ("1刻钟", 0.25),
    ("15个交易日", 15 * 24.0),
    ("五个季度", 15 * 720.0),
]


@pytest.mark.parametrize(("text", "hours"), PARSED)
def test_a_jionlp_duration_is_read_with_its_value(text: str, hours: float) -> None:
    found = find_time_expressions(f"我们会在{text}内处理", immediate=False)
    assert [round(t.hours, 6) for t in found] == [round(hours, 6)]
