"""The agent page's plain-Python parts: highlighting, workspace, history, inputs, friendly errors."""

from __future__ import annotations

import html
import re

import pytest
from ui_helpers import BAD_REPLY, CUSTOMER, GOOD_REPLY

import guards
from drafting.engine import Drafter
from drafting.errors import (
    AuthenticationFailedError,
    EndpointUnreachableError,
    InputError,
    TruncatedOutputError,
)
from drafting.fake import FakeChatClient
from drafting.models import Reply, Ticket
from drafting.ui.errors import friendly
from drafting.ui.highlight import overlay_html, reply_html, section_labels
from drafting.ui.inputs import parse_facts, parse_history
from drafting.ui.state import (
    DraftRequest,
    RewriteRequest,
    Workspace,
    attempt_history,
    can_apply,
    carry_sections,
    preview_fix,
    preview_insertion,
    replaceable_rule_ids,
)
from guards import PolicyError, Violation, default_policy


def _violation(start: int, end: int, severity: str = "block", rule_id: str = "x.rule") -> Violation:
    return Violation("tone", rule_id, severity, start, end, "", f"message {rule_id}", "fix", "doc: “line”")


def _workspace(script: list[str]) -> Workspace:
    request = DraftRequest(Ticket(message=CUSTOMER, scenario="complaint"))
    drafter = Drafter(FakeChatClient(script))
    return Workspace.start(request, drafter.draft(request.ticket), drafter)


def test_reply_html_escapes_text_and_numbers_findings_in_order() -> None:
    text = "<b>您好</b>，这是规定"
    html = reply_html(text, [_violation(3, 5, "warn", "a"), _violation(10, 14, "block", "b")])
    assert "<b>" not in html and "&lt;b&gt;" in html
    assert html.index("[1]") < html.index("[2]")
    assert ">您好</mark>" in html and ">这是规定</mark>" in html
    assert 'title="message b"' in html


def test_overlapping_findings_split_marks_and_a_missing_part_gets_a_marker() -> None:
    text = "我们保证今天解决"
    html = reply_html(text, [_violation(2, 6, "warn"), _violation(4, 8, "block"), _violation(8, 8)])
    assert ">保证</mark>" in html and ">今天</mark>" in html and ">解决</mark>" in html
    assert "⟨3 此处缺少内容⟩" in html
    assert html.count("<mark") == 3


def test_sections_are_labelled_and_solution_with_commitment_is_one_part() -> None:
    reply = Reply(
        soothe="理解您", apology="抱歉", solution="马上核实", commitment="2个工作日内回复", closing="谢谢"
    )
    html = reply_html(reply.text, [], reply.section_spans())
    labels = section_labels()
    assert [labels[n] for n in ("soothe", "apology", "solution", "closing")] == [
        "安抚",
        "道歉",
        "方案与时限",
        "结束语",
    ]
    assert html.count('class="huashu-section"') == 4
    assert "马上核实。2个工作日内回复。" in html


def test_rechecking_the_draft_text_gives_the_engines_findings() -> None:
    workspace = _workspace([BAD_REPLY])
    again = workspace.checker.check(workspace.draft.text, workspace.draft.scenario)
    assert again.violations == workspace.draft.report.violations
    assert not workspace.update_text(workspace.draft.text)


def test_an_english_rendering_is_shown_and_checked_as_the_agent_will_send_it() -> None:
    workspace = _workspace([GOOD_REPLY])
    english = Reply(apology="We are very sorry!", commitment="We will contact you within 2 working days.")
    chinese_report = workspace.draft.report
    draft = workspace.draft.model_copy(update={"reply": english, "checked_text": chinese_report.text})
    shown = Workspace.start(workspace.request, draft, Drafter(FakeChatClient([GOOD_REPLY])))
    assert shown.text == english.text and not shown.edited
    assert [v.rule_id for v in shown.report.violations if v.category == "tone"] == ["tone.exclamation"]


def test_an_edit_is_checked_for_leaked_prompt_text_like_a_model_reply() -> None:
    workspace = _workspace([GOOD_REPLY])
    assert workspace.update_text(workspace.draft.text + "只写对客户说的话。")
    assert "da.leaked_instructions" in {v.rule_id for v in workspace.report.violations}


def test_apply_fix_replaces_exactly_the_span_and_refuses_stale_findings() -> None:
    workspace = _workspace([BAD_REPLY])
    finding = next(v for v in workspace.report.violations if v.rule_id == "fp.its_the_rule")
    before = workspace.text
    after = workspace.apply_fix(finding)
    assert after == before[: finding.start] + finding.suggestion + before[finding.end :]
    assert workspace.edited and "fp.its_the_rule" not in {v.rule_id for v in workspace.report.violations}
    with pytest.raises(ValueError, match="not in the current text"):
        workspace.apply_fix(finding)


def test_only_phrase_findings_with_a_replacement_wording_can_be_applied() -> None:
    replaceable = replaceable_rule_ids(default_policy())
    report = guards.check("你好，哈哈，这个我不知道！！我们1小时内给您退款。", scenario="complaint")
    applicable = {v.rule_id for v in report.violations if can_apply(v, replaceable)}
    assert "fp.dont_know" in applicable
    assert not applicable & {"tone.casual_particle", "tone.repeated_punctuation", "ms.apology"}
    assert not any(r.startswith("up.deadline") for r in applicable)


def test_attempt_history_names_what_each_attempt_fixed() -> None:
    workspace = _workspace([BAD_REPLY, GOOD_REPLY])
    first, second = attempt_history(workspace.draft.attempts)
    assert not first.passed and second.passed
    assert {v.rule_id for v in first.fixed} == {v.rule_id for v in first.violations}
    assert "fp.dont_know" in {v.rule_id for v in first.fixed}
    assert second.fixed == [] and second.kept == []


def test_a_rule_still_flagged_in_the_next_attempt_is_not_counted_as_fixed() -> None:
    # The second attempt drops "这是规定" but says "不清楚" instead: the same rule as "不知道".
    still_vague = BAD_REPLY.replace("这个我不知道，这是规定", "这个我不清楚")
    workspace = _workspace([BAD_REPLY, still_vague, GOOD_REPLY])
    first = attempt_history(workspace.draft.attempts)[0]
    assert "fp.dont_know" in {v.rule_id for v in first.kept}
    assert "fp.dont_know" not in {v.rule_id for v in first.fixed}
    assert "fp.its_the_rule" in {v.rule_id for v in first.fixed}


def test_a_fix_is_previewed_in_its_sentence_without_a_stutter_or_a_repeat() -> None:
    text = "您好。这个我不知道，这是规定。请您稍等，我马上为您联系物流。"
    report = guards.check(text, scenario="complaint")
    by_rule = {v.rule_id: v for v in report.violations}
    dont_know = preview_fix(text, by_rule["fp.dont_know"])
    assert (dont_know.before, dont_know.after) == (
        "这个我不知道，这是规定。",
        "这个我为您查询一下，这是规定。",
    )
    wait = preview_fix(text, by_rule["fp.please_wait"])
    assert wait.after == "我马上为您联系物流。" and wait.replacement == ""
    assert wait.note is not None and "马上为您" in wait.note


def test_part_labels_follow_the_text_through_edits_and_drop_parts_that_changed() -> None:
    reply = Reply(soothe="非常理解您着急的心情", apology="非常抱歉", solution="我马上为您核实物流信息")
    old, spans = reply.text, reply.section_spans()
    new = "张先生，" + old.replace("非常抱歉", "实在抱歉给您添麻烦了")
    carried = carry_sections(old, spans, new)
    assert new[carried["soothe"].start : carried["soothe"].end] == "非常理解您着急的心情。"
    assert new[carried["solution"].start : carried["solution"].end] == "我马上为您核实物流信息。"
    assert "apology" not in carried  # more than half of it changed
    assert carry_sections(old, spans, old) == spans


def test_rewrite_recheck_includes_the_fact_guard() -> None:
    request = RewriteRequest(agent_text="订单202411230001已退款99元", tone="标准")
    drafter = Drafter(FakeChatClient([GOOD_REPLY]))
    workspace = Workspace.start(request, drafter.rewrite(request.agent_text, tone="标准"), drafter)
    report = workspace.checker.check("您好，已为您处理。", workspace.draft.scenario)
    assert "facts_changed" in {v.category for v in report.violations}


def test_facts_and_history_inputs() -> None:
    assert parse_facts("订单号：2024\n商品: 耳机\n\n") == {"订单号": "2024", "商品": "耳机"}
    assert parse_facts('{"订单号": 2024}') == {"订单号": "2024"}
    with pytest.raises(InputError, match="第 2 行"):
        parse_facts("订单号：1\n耳机")
    turns = parse_history("客户：还没到\n第二行\n客服: 我查一下")
    assert [(t.role, t.text) for t in turns] == [("customer", "还没到\n第二行"), ("agent", "我查一下")]
    with pytest.raises(InputError, match="客户："):
        parse_history("你好")


def test_friendly_errors_pick_the_most_specific_message() -> None:
    assert "连不上" in friendly(EndpointUnreachableError("timed out")).title
    assert "截断" in friendly(TruncatedOutputError("length")).title
    assert "规范文件" in friendly(PolicyError("x.toml: bad")).title
    assert not friendly(InputError("empty")).retry
    assert "请联系管理员" in friendly(AuthenticationFailedError("401")).text
    assert (
        "重试" in friendly(EndpointUnreachableError("x")).text
        and "x" not in friendly(EndpointUnreachableError("x")).text
    )
    unexpected = friendly(KeyError("boom"))
    assert unexpected.retry and unexpected.detail == "KeyError: 'boom'"


def test_the_layer_behind_the_editor_has_exactly_the_editors_text() -> None:
    reply = Reply(soothe="理解您", apology="抱歉<b>", solution="这是规定", commitment="2个工作日内回复")
    text = reply.text
    start = text.index("这是规定")
    violations = [_violation(start, start + 4, "block", "b"), _violation(len(text), len(text), "block", "ms")]
    layer = overlay_html(text, violations, reply.section_spans())
    inner = layer[layer.index(">") + 1 : layer.rindex("</div>")]
    assert html.unescape(re.sub(r"<[^>]+>", "", inner)) == text  # character for character, tags aside
    assert '<mark class="block">这是规定</mark><span class="huashu-num block" data-n="[1]">' in layer
    assert 'data-n="⟨2 此处缺少内容⟩"' in layer
    assert [m for m in re.findall(r'data-label="([^"]+)"', layer)] == ["安抚", "道歉", "方案与时限"]
    assert f'data-text="{html.escape(text, quote=True)}"' in layer  # the copy and paint scripts compare it


def test_a_missing_part_goes_after_the_parts_before_it_or_to_its_end_of_the_reply() -> None:
    reply = Reply(greeting="您好", soothe="理解您的心情", solution="我马上核实")
    apology = preview_insertion(reply.text, "非常抱歉", "apology", reply.section_spans())
    assert apology.after.startswith("您好，理解您的心情。非常抱歉。我马上核实")
    text = "我马上为您核实。"
    assert preview_insertion(text, "理解您", "soothe", {}).start == 0
    assert preview_insertion(text, "请提供订单号", "details_request", {}).start == len(text)
