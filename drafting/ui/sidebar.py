"""The sidebar: which endpoint and model are in use, the local model (start/stop), the policy file."""

from __future__ import annotations

import streamlit as st

from drafting.settings import Settings
from drafting.ui.backend import Backend, LoadedPolicy, page_policy
from drafting.ui.errors import friendly
from drafting.ui.feedback import feedback_db_path

_NOTICE_KEY = "local_model_notice"


def render_sidebar(backend: Backend) -> LoadedPolicy | None:
    """Draw the sidebar; the loaded policy, or None when it cannot be loaded (the error is shown)."""
    with st.sidebar:
        st.header("模型")
        settings = _settings(backend)
        if settings is not None:
            _endpoint(settings)
        _local_model(backend, in_use=settings is not None and not settings.configured)
        st.header("规范")
        loaded = _policy(backend)
        st.caption(f"反馈保存在：{feedback_db_path()}")
    return loaded


def _settings(backend: Backend) -> Settings | None:
    try:
        return backend.settings()
    except Exception as exc:  # shown, never raised: the page must stay usable
        _show_error(exc)
        return None


def _endpoint(settings: Settings) -> None:
    if settings.configured:
        st.markdown(f"**端点：** `{settings.shown_url}`")
        st.markdown(f"**模型：** `{settings.model or '（端点默认）'}`")
        st.caption(f"来自：{settings.source}")
    else:
        st.markdown("**端点：** 内置本地模型")
        st.caption("未配置 HUASHU_BASE_URL / HUASHU_API_KEY，起草时使用本地模型（需要时自动启动）。")


def _local_model(backend: Backend, *, in_use: bool) -> None:
    st.subheader("本地模型")
    notice = st.session_state.pop(_NOTICE_KEY, None)
    if notice:
        st.info(notice)
    try:
        running = backend.local_model.status()
    except Exception as exc:
        _show_error(exc)
        return
    if running is None:
        st.markdown("状态：:gray-badge[未运行]")
        if st.button("启动本地模型", key="local_start", use_container_width=True):
            _start(backend)
    else:
        st.markdown(f"状态：:green-badge[运行中] `{running.model}`")
        st.caption(f"{running.base_url}（pid {running.pid}）")
        if st.button("停止本地模型", key="local_stop", use_container_width=True):
            _stop(backend)
    if not in_use:
        st.caption("当前使用上面的端点，本地模型不参与起草。")


def _start(backend: Backend) -> None:
    with st.status("正在启动本地模型…", expanded=True) as status:
        try:
            endpoint = backend.local_model.start(status.write)
        except Exception as exc:
            status.update(label="本地模型没有启动", state="error")
            _show_error(exc)
            return
        status.update(label=f"本地模型已启动：{endpoint.model}", state="complete", expanded=False)
    st.rerun()


def _stop(backend: Backend) -> None:
    try:
        stopped = backend.local_model.stop()
    except Exception as exc:
        _show_error(exc)
        return
    st.session_state[_NOTICE_KEY] = "本地模型已停止。" if stopped else "本地模型本来就没有运行。"
    st.rerun()


def _policy(backend: Backend) -> LoadedPolicy | None:
    try:
        loaded = page_policy(backend.policy_path)
    except Exception as exc:
        _show_error(exc)
        return None
    st.markdown(f"**规范文件：** {loaded.label}")
    return loaded


def _show_error(exc: BaseException) -> None:
    st.error(friendly(exc).text)
