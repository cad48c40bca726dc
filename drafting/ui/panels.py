"""The result side of the agent page: the reply with its findings, the editor, history, feedback."""

from __future__ import annotations

import contextlib

import streamlit as st

from drafting.prompting import labels
from drafting.ui.errors import friendly
from drafting.ui.feedback import RATING_MARKS, FeedbackStore, Rating, record_from_workspace
from drafting.ui.highlight import reply_html
from drafting.ui.state import Workspace, attempt_history, can_apply, replaceable_rule_ids
from guards import Violation

WORKSPACE_KEY = "workspace"
REPLY_TEXT_KEY = "reply_text"
CATEGORY_LABELS = {
    "forbidden_phrase": "禁用语",
    "unkeepable_promise": "无法兑现的承诺",
    "blame_or_argue": "推责/争辩",
    "tone": "语气",
    "privacy": "隐私",
    "missing_structure": "缺少必要部分",
    "model_artifact": "模型痕迹",
    "facts_changed": "改动了事实",
}
# Markdown badges, not emoji: they render without an emoji font.
SEVERITY_LABELS = {"block": ":red-badge[必须修改]", "warn": ":orange-badge[提醒]"}
_RATING_BUTTONS: dict[Rating, str] = {"up": "👍 好用", "down": "👎 不好用"}


def render_workspace(workspace: Workspace) -> None:
    """The reply, its findings, the editor, the copy box, the attempt history and the feedback buttons."""
    if REPLY_TEXT_KEY in st.session_state:
        workspace.update_text(st.session_state[REPLY_TEXT_KEY])
    else:  # the editor was not drawn in the last run, so Streamlit dropped its state
        st.session_state[REPLY_TEXT_KEY] = workspace.text
    draft = workspace.draft
    if draft.escalate:
        reasons = "；".join(draft.escalation_reasons) or "客户表示要升级投诉"
        st.error(f"**升级预警**：{reasons}。请按升级流程处理，必要时立即转交主管。")
    _verdict(workspace)
    sections = None if workspace.edited else draft.reply.section_spans()
    st.html(reply_html(workspace.text, workspace.report.violations, sections))
    if workspace.edited:
        st.caption("回复已修改：段落标签只标在模型原文上；下面的问题是对修改后文本重新检查的结果。")
    _findings(workspace)
    st.text_area("修改回复（改完按 Ctrl+Enter 或点击别处，即重新检查）", key=REPLY_TEXT_KEY, height=160)
    st.markdown("**最终文本**（点右上角的复制按钮复制）")
    st.code(workspace.text, language=None, wrap_lines=True)
    _history(workspace)
    _feedback(workspace)


def _verdict(workspace: Workspace) -> None:
    draft, report = workspace.draft, workspace.report
    if report.ok:
        warnings = len(report.warnings)
        st.success("通过规范检查" + (f"（{warnings} 条提醒）" if warnings else ""))
    else:
        st.error(f"还有 {len(report.blocking)} 处必须修改的问题，请修改后再发送。")
    names = labels()
    scenario = names["scenarios"].get(draft.scenario, draft.scenario)
    channel = names["channels"].get(draft.channel, draft.channel)
    tone = f" · 语气 {draft.tone}" if draft.tone else ""
    # llama.cpp's server sends no usage with streamed answers
    tokens = f"{draft.usage.total_tokens} tokens" if draft.usage.total_tokens else "tokens 未报告"
    st.caption(
        f"{'起草' if draft.kind == 'draft' else '改写'} · 场景 {scenario} · 渠道 {channel}{tone} · "
        f"模型 {draft.model} · 共 {len(draft.attempts)} 稿 · {tokens} · "
        f"{draft.latency_s:.1f} 秒"
    )


def _findings(workspace: Workspace) -> None:
    violations = workspace.report.violations
    if not violations:
        return
    st.markdown(f"**发现 {len(violations)} 个问题**")
    replaceable = replaceable_rule_ids(workspace.checker.policy.policy)
    for number, violation in enumerate(violations, 1):
        with st.container(border=True):
            _finding(number, violation)
            if can_apply(violation, replaceable):
                st.button(
                    f"应用修改：改为“{violation.suggestion}”",
                    key=f"fix-{number}-{violation.rule_id}-{violation.start}",
                    on_click=_apply_fix,
                    args=(workspace, violation),
                )


def _finding(number: int, violation: Violation) -> None:
    category = CATEGORY_LABELS.get(violation.category, violation.category)
    where = f" “{violation.match}”" if violation.match else ""
    st.markdown(
        f"**[{number}]** {SEVERITY_LABELS.get(violation.severity, violation.severity)} · {category}"
        f"{where} · `{violation.rule_id}`"
    )
    st.markdown(violation.message)
    if violation.suggestion:
        st.markdown(f"建议：{violation.suggestion}")
    st.caption(f"依据：{violation.source}")


def _apply_fix(workspace: Workspace, violation: Violation) -> None:
    # ValueError: the text changed since the button was drawn; the page shows the current findings.
    with contextlib.suppress(ValueError):
        st.session_state[REPLY_TEXT_KEY] = workspace.apply_fix(violation)


def _history(workspace: Workspace) -> None:
    views = attempt_history(workspace.draft.attempts)
    with st.expander(f"修改记录：模型共写了 {len(views)} 稿（第 1 稿是它最先写的）"):
        for view in views:
            verdict = "通过" if view.passed else f"{sum(v.blocking for v in view.violations)} 处必须修改"
            st.markdown(f"**第 {view.number} 稿** · {verdict}")
            st.html(reply_html(view.text, view.violations))
            if view.fixed:
                fixed = "；".join(f"{v.rule_id}“{v.match}”" if v.match else v.rule_id for v in view.fixed)
                st.caption(f"下一稿改掉了：{fixed}")


def _feedback(workspace: Workspace) -> None:
    st.markdown("**这条回复好用吗？**")
    note = st.text_input("备注（可选）", key="feedback_note", placeholder="哪里不好？怎么改更好？")
    columns = st.columns([1, 1, 3])
    for column, (rating, label) in zip(columns, _RATING_BUTTONS.items(), strict=False):
        if column.button(label, key=f"feedback-{rating}"):
            _save_feedback(workspace, rating, note)
    if workspace.feedback_saved:
        st.success(workspace.feedback_saved)


def _save_feedback(workspace: Workspace, rating: Rating, note: str) -> None:
    try:
        store = FeedbackStore()
        record_id = store.add(record_from_workspace(workspace, rating, note))
    except Exception as exc:
        st.error(f"反馈没有保存：{friendly(exc).text}")
        return
    workspace.feedback_saved = f"已保存反馈 {RATING_MARKS[rating]}（#{record_id}），谢谢！"
