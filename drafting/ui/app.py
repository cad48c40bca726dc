"""The agent page (Streamlit): draft or rewrite a reply, see and fix every finding.

Run it with `huashu ui` (or `streamlit run app_streamlit.py`). Tests put a `Backend` with a
fake chat client into session state under `drafting.ui.backend.BACKEND_KEY` before the first run.
"""

from __future__ import annotations

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from drafting.engine import AttemptFinished, DraftFinished, TextDelta
from drafting.ui.backend import BACKEND_KEY, Backend, default_backend
from drafting.ui.errors import FriendlyError, friendly
from drafting.ui.forms import draft_form, rewrite_form
from drafting.ui.panels import REPLY_TEXT_KEY, WORKSPACE_KEY, render_workspace
from drafting.ui.sidebar import render_sidebar
from drafting.ui.state import Request, Workspace
from guards import Policy

ERROR_KEY = "error"
FAILED_REQUEST_KEY = "failed_request"
RETRY_KEY = "retry_request"
_RUNNING_LABELS = {"draft": "正在起草…", "rewrite": "正在改写…"}


def main() -> None:
    """Draw the page (Streamlit runs this on every interaction)."""
    st.set_page_config(page_title="话术 huashu", page_icon="💬", layout="wide")
    try:
        _page()
    except Exception as exc:  # a last resort: even a bug shows as a message, never a traceback
        st.error(friendly(exc).text)


def _page() -> None:
    backend = _backend()
    loaded = render_sidebar(backend)
    st.title("话术 · 客服回复助手")
    inputs, results = st.columns([2, 3], gap="large")
    with inputs:
        draft_tab, rewrite_tab = st.tabs(["起草", "改写"])
        with draft_tab:
            request = draft_form()
        with rewrite_tab:
            request = rewrite_form() or request
    with results:
        if loaded is None:
            st.error("规范文件无法加载（见侧边栏），暂时不能起草。")
            return
        request = st.session_state.pop(RETRY_KEY, None) or request
        if request is not None:
            _run(request, backend, loaded.policy)
        _show_outcome()


def _backend() -> Backend:
    backend = st.session_state.get(BACKEND_KEY)
    if not isinstance(backend, Backend):
        backend = st.session_state[BACKEND_KEY] = default_backend()
    return backend


def _run(request: Request, backend: Backend, policy: Policy) -> None:
    """Stream the draft into the page; keep the outcome (or a friendly error) in session state."""
    st.session_state.pop(ERROR_KEY, None)
    live = st.empty()
    with live.container():
        status = st.status(_RUNNING_LABELS[request.kind], expanded=True)
        with status:
            shown = st.empty()
        try:
            workspace = _stream(request, backend, policy, status, shown)
        except Exception as exc:  # the agent sees a friendly message with a retry button, never a traceback
            live.empty()
            st.session_state[ERROR_KEY] = friendly(exc)
            st.session_state[FAILED_REQUEST_KEY] = request
            return
    live.empty()
    st.session_state[WORKSPACE_KEY] = workspace
    st.session_state[REPLY_TEXT_KEY] = workspace.text
    st.session_state.pop("feedback_note", None)


def _stream(
    request: Request, backend: Backend, policy: Policy, status: DeltaGenerator, shown: DeltaGenerator
) -> Workspace:
    drafter = backend.make_drafter(policy, status.write)
    text = ""
    for event in request.events(drafter):
        if isinstance(event, TextDelta):
            text += event.text
            shown.text(f"第 {event.attempt} 稿：\n{text}")
        elif isinstance(event, AttemptFinished) and not event.attempt.passed:
            blocking = len(event.attempt.blocking)
            status.write(f"第 {event.attempt.number} 稿有 {blocking} 处必须修改的问题，已把问题告诉模型…")
            text = ""
        elif isinstance(event, DraftFinished):
            return Workspace.start(request, event.draft, drafter)
    raise RuntimeError("the drafting stream ended without a draft")


def _show_outcome() -> None:
    error = st.session_state.get(ERROR_KEY)
    if isinstance(error, FriendlyError):
        st.error(error.text)
        if error.retry and st.session_state.get(FAILED_REQUEST_KEY) is not None:
            st.button("重试", key="retry", type="primary", on_click=_retry)
        return
    workspace = st.session_state.get(WORKSPACE_KEY)
    if isinstance(workspace, Workspace):
        render_workspace(workspace)
    else:
        st.info(
            "在左边粘贴客户的消息并点“起草”，或粘贴你的回复并点“改写”。回复会在这里逐字出现，随后标出每个问题。"
        )


def _retry() -> None:
    st.session_state[RETRY_KEY] = st.session_state.pop(FAILED_REQUEST_KEY, None)


if __name__ == "__main__":
    main()
