"""The agent page (Streamlit): one screen from the customer's message to a reply ready to copy.

Run it with `huashu ui` (or `streamlit run app_streamlit.py`). Tests put a `Backend` with a
fake chat client into session state under `drafting.ui.backend.BACKEND_KEY` before the first run.
"""

from __future__ import annotations

import streamlit as st
from streamlit.delta_generator import DeltaGenerator
from streamlit.elements.lib.mutable_status_container import StatusContainer

from drafting.engine import AttemptFinished, DraftFinished, TextDelta
from drafting.triage import Escalation
from drafting.ui import browser
from drafting.ui.backend import BACKEND_KEY, Backend, default_backend
from drafting.ui.errors import FriendlyError, friendly, show_error
from drafting.ui.forms import INPUT_KEYS, draft_form, rewrite_form
from drafting.ui.panels import (
    NOTE_KEY,
    REPLY_TEXT_KEY,
    VOTE_KEY,
    WORKSPACE_KEY,
    render_composer,
    render_findings,
)
from drafting.ui.state import Request, Workspace
from drafting.ui.statusbar import render_status
from guards import CompiledPolicy

ERROR_KEY = "error"
FAILED_REQUEST_KEY = "failed_request"
RETRY_KEY = "retry_request"
ESCALATION_KEY = "escalation"
_RUNNING_LABELS = {"draft": "正在起草…", "rewrite": "正在改写…"}
_TICKET_KEYS = (ERROR_KEY, FAILED_REQUEST_KEY, RETRY_KEY, ESCALATION_KEY, WORKSPACE_KEY, REPLY_TEXT_KEY)


def main() -> None:
    """Draw the page (Streamlit runs this on every interaction)."""
    st.set_page_config(page_title="话术 huashu", page_icon="💬", layout="wide")
    browser.install()
    try:
        _page()
    except Exception as exc:  # a last resort: even a bug shows as a message, never a traceback
        show_error(exc)
    browser.keyboard()


def _page() -> None:
    backend = _backend()
    loaded = render_status(backend)
    inputs, composer, findings = st.columns([4, 5, 4], gap="medium")
    with inputs:
        request = _inputs()
    if loaded is None:
        return
    with composer:
        request = st.session_state.pop(RETRY_KEY, None) or request
        if request is not None:
            st.session_state[ESCALATION_KEY] = request.escalation(loaded.compiled)
        _escalation(st.empty())
        # Always drawn, so that the elements below keep their places and the editor keeps focus;
        # the outcome's slot also clears the last outcome while a new draft streams.
        live, outcome = st.empty(), st.empty()
        if request is not None:
            _run(request, backend, loaded.compiled, live)
        with outcome.container():
            workspace = _show_outcome()
    if workspace is not None:
        with findings:
            render_findings(workspace)


def _inputs() -> Request | None:
    draft_tab, rewrite_tab = st.tabs(["起草", "改写"])
    with draft_tab:
        request = draft_form()
    with rewrite_tab:
        request = rewrite_form() or request
    st.button("新工单（Esc）", key=browser.NEW_TICKET_KEY, on_click=_new_ticket, use_container_width=True)
    return request


def _new_ticket() -> None:
    """Clear the inputs, the reply and its feedback for the next customer (channel and scenario stay)."""
    for key in (*_TICKET_KEYS, VOTE_KEY):
        st.session_state.pop(key, None)
    # Set, not dropped: the browser only empties a widget when the page gives it a new value.
    for key, empty in {**INPUT_KEYS, NOTE_KEY: ""}.items():
        st.session_state[key] = empty


def _backend() -> Backend:
    backend = st.session_state.get(BACKEND_KEY)
    if not isinstance(backend, Backend):
        backend = st.session_state[BACKEND_KEY] = default_backend()
    return backend


def _escalation(slot: DeltaGenerator) -> None:
    escalation = st.session_state.get(ESCALATION_KEY)
    if isinstance(escalation, Escalation) and escalation.flag:
        reasons = "；".join(escalation.reasons) or "客户表示要升级投诉"
        alert = f"**升级预警**：{reasons}。请按升级流程处理，必要时立即转交主管。"
        slot.error(alert, icon=":material/warning:")


def _run(request: Request, backend: Backend, policy: CompiledPolicy, live: DeltaGenerator) -> None:
    """Stream the draft into `live`; keep the outcome (or a friendly error) in session state."""
    st.session_state.pop(ERROR_KEY, None)
    with live.container():
        status = st.status(_RUNNING_LABELS[request.kind], state="running", expanded=True)
        try:
            workspace = _stream(request, backend, policy, status)
        except Exception as exc:  # the agent sees a friendly message with a retry button, never a traceback
            live.empty()
            st.session_state[ERROR_KEY] = friendly(exc)
            st.session_state[FAILED_REQUEST_KEY] = request
            return
    live.empty()
    st.session_state[WORKSPACE_KEY] = workspace
    st.session_state[REPLY_TEXT_KEY] = workspace.text
    for key in (VOTE_KEY, NOTE_KEY):
        st.session_state.pop(key, None)


def _stream(request: Request, backend: Backend, policy: CompiledPolicy, status: StatusContainer) -> Workspace:
    """The events of one draft shown as they come; a rejected attempt stays visible above the next."""
    drafter = backend.make_drafter(policy, status.write)
    shown = status.empty()
    text = ""
    for event in request.events(drafter):
        if isinstance(event, TextDelta):
            text += event.text
            shown.markdown(f"**第 {event.attempt} 稿**：{text}")
        elif isinstance(event, AttemptFinished) and not event.attempt.passed:
            number, blocking = event.attempt.number, len(event.attempt.blocking)
            rejected = event.attempt.reply.text
            shown.caption(f"第 {number} 稿有 {blocking} 处必须修改的问题，已请模型重写：{rejected}")
            status.update(
                label=f"第 {number} 稿没通过检查，正在写第 {number + 1} 稿…", state="running", expanded=True
            )
            shown, text = status.empty(), ""
        elif isinstance(event, DraftFinished):
            return Workspace.start(request, event.draft, drafter)
    raise RuntimeError("the drafting stream ended without a draft")


def _show_outcome() -> Workspace | None:
    error = st.session_state.get(ERROR_KEY)
    if isinstance(error, FriendlyError):
        show_error(error)
        if error.retry and st.session_state.get(FAILED_REQUEST_KEY) is not None:
            st.button("重试", key="retry", type="primary", on_click=_retry)
        return None
    workspace = st.session_state.get(WORKSPACE_KEY)
    if isinstance(workspace, Workspace):
        render_composer(workspace)
        return workspace
    st.info(
        "在左边粘贴客户的消息，按 Ctrl+Enter 起草；或在“改写”里粘贴你的回复。"
        "回复会在这里逐字出现，问题会标在原文上。"
    )
    return None


def _retry() -> None:
    st.session_state[RETRY_KEY] = st.session_state.pop(FAILED_REQUEST_KEY, None)


if __name__ == "__main__":
    main()
