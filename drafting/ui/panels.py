"""The result side of the agent page: the composer (reply, editor, copy), the findings, history, feedback."""

from __future__ import annotations

import contextlib

import streamlit as st

from drafting.prompting import labels
from drafting.ui.browser import COPY_KEY, FIX_KEY_PREFIX, REPLY_KEY, checked_state
from drafting.ui.errors import show_error
from drafting.ui.feedback import RATING_NAMES, FeedbackStore, Rating, record_from_workspace
from drafting.ui.highlight import missing_label, overlay_html, reply_html
from drafting.ui.state import FixPreview, Workspace, attempt_history
from guards import GuardReport, Violation

WORKSPACE_KEY = "workspace"
REPLY_TEXT_KEY = REPLY_KEY
VOTE_KEY = "vote"
NOTE_KEY = "feedback_note"
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
# Material icons ship with Streamlit (no emoji font needed); the words say it without the icon too.
_VOTE_LABELS: dict[Rating, str] = {"up": ":material/thumb_up: 有用", "down": ":material/thumb_down: 没用"}


def render_composer(workspace: Workspace) -> None:
    """The verdict, the reply with its labelled parts and findings, the editor and the copy button."""
    if REPLY_TEXT_KEY in st.session_state:
        workspace.update_text(st.session_state[REPLY_TEXT_KEY])
    else:  # the editor was not drawn in the last run, so Streamlit dropped its state
        st.session_state[REPLY_TEXT_KEY] = workspace.text
    _verdict(workspace)
    with st.container(border=True):
        report = workspace.report
        marker = checked_state(workspace.text, len(report.blocking), workspace.serial)
        st.html(overlay_html(workspace.text, report.violations, workspace.sections()) + marker)
        st.text_area(
            "修改回复（停笔后自动重新检查）",
            key=REPLY_TEXT_KEY,
            height=250,
            label_visibility="collapsed",
            placeholder="在这里修改回复，停笔后自动重新检查",
        )
        copy, hint = st.columns([2, 3], vertical_alignment="center")
        pressed = copy.button(
            "复制", key=COPY_KEY, type="primary", icon=":material/content_copy:", use_container_width=True
        )
        hint.caption("Ctrl+Shift+C 复制 · Alt+数字 应用第几条修改 · 连按两次 Esc 开新工单")
    if pressed:  # only without the page script (it copies in the browser and stops this click)
        _copy_fallback(workspace)
    _feedback(workspace)


def render_findings(workspace: Workspace) -> None:
    """The findings beside the reply, the agent's original (rewrite), and the attempt history."""
    violations = workspace.report.violations
    if violations:
        st.markdown(f"**发现 {len(violations)} 个问题**")
    else:
        st.markdown("**没有发现问题**")
    for number, violation in enumerate(violations, 1):
        with st.container(border=True):
            preview = workspace.preview(violation)
            _finding(number, violation, offers_fix=preview is not None)
            if preview is not None:
                _fix(number, violation, preview, workspace)
    if workspace.original is not None:
        _original(workspace.original)
    _history(workspace)


def _verdict(workspace: Workspace) -> None:
    draft, report = workspace.draft, workspace.report
    if report.ok:
        warnings = len(report.warnings)
        st.success("通过规范检查" + (f"（{warnings} 条提醒）" if warnings else "") + "，可以复制发送。")
    else:
        st.error(f"还有 {len(report.blocking)} 处必须修改的问题，请修改后再发送。")
    names = labels()
    scenario = names["scenarios"].get(draft.scenario, draft.scenario)
    channel = names["channels"].get(draft.channel, draft.channel)
    tone = f" · 语气 {draft.tone}" if draft.tone else ""
    edited = " · 已修改" if workspace.edited else ""
    st.caption(
        f"{'起草' if draft.kind == 'draft' else '改写'} · 场景 {scenario} · 渠道 {channel}{tone} · "
        f"模型 {draft.model} · 共 {len(draft.attempts)} 稿 · {draft.latency_s:.1f} 秒{edited}"
    )


def _finding(number: int, violation: Violation, *, offers_fix: bool) -> None:
    category = CATEGORY_LABELS.get(violation.category, violation.category)
    where = f" “{violation.match}”" if violation.match else f"（{missing_label(violation)}）"
    st.markdown(
        f"**[{number}]** {SEVERITY_LABELS.get(violation.severity, violation.severity)} {category}{where}",
        help=f"规则 {violation.rule_id}",
    )
    st.markdown(violation.message)
    if violation.suggestion and not violation.match and not offers_fix:
        st.markdown(f"可以这样写：{violation.suggestion}")
    st.caption(f"依据：{violation.source}")


def _fix(number: int, violation: Violation, preview: FixPreview, workspace: Workspace) -> None:
    st.markdown(f"改后：{preview.after}")
    if preview.note:
        st.caption(preview.note)
    if preview.start == preview.end:
        label = f"补上“{preview.replacement}”"
    elif not preview.replacement:
        label = f"删去“{violation.match}”"
    else:
        label = f"改为“{preview.replacement}”"
    st.button(
        f"应用修改：{label}（Alt+{number}）" if number <= 9 else f"应用修改：{label}",
        key=f"{FIX_KEY_PREFIX}{number}",
        on_click=_apply_fix,
        args=(workspace, violation),
    )


def _apply_fix(workspace: Workspace, violation: Violation) -> None:
    # The click may carry an edit made since the last check: check it first, never overwrite it.
    workspace.update_text(st.session_state.get(REPLY_TEXT_KEY, workspace.text))
    # ValueError: the edit moved or removed the finding; the page shows the current findings.
    with contextlib.suppress(ValueError):
        st.session_state[REPLY_TEXT_KEY] = workspace.apply_fix(violation)


def _original(report: GuardReport) -> None:
    blocking = len(report.blocking)
    verdict = f"{blocking} 处必须修改" if blocking else "没有必须修改的问题"
    with st.expander(f"你的原文：{verdict}，共 {len(report.violations)} 个问题", expanded=True):
        st.html(reply_html(report.text, report.violations))
        for number, violation in enumerate(report.violations, 1):
            category = CATEGORY_LABELS.get(violation.category, violation.category)
            where = f"“{violation.match}”" if violation.match else missing_label(violation)
            st.caption(f"[{number}] {category} {where}：{violation.message}")


def _history(workspace: Workspace) -> None:
    views = attempt_history(workspace.draft.attempts)
    if len(views) < 2:
        return
    with st.expander(f"修改记录：模型共写了 {len(views)} 稿"):
        for view in views:
            verdict = "通过" if view.passed else f"{sum(v.blocking for v in view.violations)} 处必须修改"
            st.markdown(f"**第 {view.number} 稿** · {verdict}")
            st.html(reply_html(view.text, view.violations))
            for violation in view.fixed:
                st.caption(f"第{view.number}稿：{_named(violation)} → 第{view.number + 1}稿已改")
            for violation in view.kept:
                st.caption(f"第{view.number}稿：{_named(violation)} → 第{view.number + 1}稿仍有同类问题")


def _named(violation: Violation) -> str:
    category = CATEGORY_LABELS.get(violation.category, violation.category)
    where = f"“{violation.match}”" if violation.match else f"（{missing_label(violation)}）"
    return category + where


def _copy_fallback(workspace: Workspace) -> None:
    if workspace.report.blocking:
        st.warning(f"还有 {len(workspace.report.blocking)} 处必须修改的问题，发出去可能违反服务规范。")
    st.code(workspace.text, language=None, wrap_lines=True)


def _feedback(workspace: Workspace) -> None:
    vote, note = st.columns([2, 3], vertical_alignment="bottom")
    vote.segmented_control(
        "这条回复好用吗？",
        list(_VOTE_LABELS),
        format_func=_VOTE_LABELS.__getitem__,
        key=VOTE_KEY,
        on_change=_save_feedback,
        args=(workspace,),
    )
    note.text_input(
        "备注（可选）",
        key=NOTE_KEY,
        placeholder="哪里不好？怎么改更好？",
        on_change=_save_feedback,
        args=(workspace,),
    )
    if workspace.feedback_id is not None:
        rating = st.session_state.get(VOTE_KEY)
        if rating in RATING_NAMES:
            st.caption(f"已保存反馈：{RATING_NAMES[rating]}（#{workspace.feedback_id}），可以随时改。")


def _save_feedback(workspace: Workspace) -> None:
    rating: Rating | None = st.session_state.get(VOTE_KEY)
    note = str(st.session_state.get(NOTE_KEY) or "")
    workspace.update_text(
        st.session_state.get(REPLY_TEXT_KEY, workspace.text)
    )  # the text as the agent left it
    try:
        store = FeedbackStore()
        if rating is None:
            if workspace.feedback_id is not None:
                store.remove(workspace.feedback_id)
            workspace.feedback_id = None
            return
        record = record_from_workspace(workspace, rating, note)
        if workspace.feedback_id is None:
            workspace.feedback_id = store.add(record)
        else:
            workspace.feedback_id = store.replace(workspace.feedback_id, record)
    except Exception as exc:
        show_error(exc, prefix="反馈没有保存：")
