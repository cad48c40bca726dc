"""The status line: is the model ready, which policy is in use; details (endpoint, local model) on demand."""

from __future__ import annotations

import streamlit as st

from drafting.local.server import LocalEndpoint
from drafting.settings import Settings
from drafting.ui.backend import Backend, LoadedPolicy, page_policy
from drafting.ui.errors import show_error
from drafting.ui.feedback import feedback_db_path

_NOTICE_KEY = "local_model_notice"


def render_status(backend: Backend) -> LoadedPolicy | None:
    """One line of status with a 详情 popover; the loaded policy, or None when it cannot be loaded."""
    settings, settings_error = _settings(backend)
    running, local_error = _running(backend)
    loaded, policy_error = _policy(backend)
    line, details = st.columns([5, 1], vertical_alignment="center")
    line.markdown(_summary(settings, running, loaded), help="点右边的“详情”查看模型服务、本地模型与规范文件")
    with details.popover("详情", use_container_width=True):
        for error in (settings_error, local_error, policy_error):
            if error is not None:
                show_error(error)
        if settings is not None:
            _endpoint(settings)
        if local_error is None:
            _local_model(backend, running, in_use=settings is not None and not settings.configured)
        if loaded is not None:
            st.markdown(f"**规范文件：** {loaded.label}")
        st.caption(f"反馈保存在：{feedback_db_path()}")
    if policy_error is not None:
        show_error(policy_error, prefix="规范文件无法加载，暂时不能起草：")
    return loaded


def _summary(settings: Settings | None, running: LocalEndpoint | None, loaded: LoadedPolicy | None) -> str:
    if settings is None:
        model = ":red-badge[模型未就绪] 配置有误"
    elif settings.configured:
        model = f":green-badge[模型已配置] {settings.model or '端点默认模型'}"
    elif running is not None:
        model = ":green-badge[模型就绪] 内置本地模型"
    else:
        model = ":orange-badge[模型未启动] 内置本地模型，起草时自动启动（首次约 10 秒）"
    policy = f" · 规范 {loaded.policy.meta.name} {loaded.policy.meta.version}" if loaded else ""
    return f"**话术** · 客服回复助手 · {model}{policy}"


def _settings(backend: Backend) -> tuple[Settings | None, BaseException | None]:
    try:
        return backend.settings(), None
    except Exception as exc:  # shown, never raised: the page must stay usable
        return None, exc


def _running(backend: Backend) -> tuple[LocalEndpoint | None, BaseException | None]:
    try:
        return backend.local_model.status(), None
    except Exception as exc:
        return None, exc


def _policy(backend: Backend) -> tuple[LoadedPolicy | None, BaseException | None]:
    try:
        return page_policy(backend.policy_path), None
    except Exception as exc:
        return None, exc


def _endpoint(settings: Settings) -> None:
    if settings.configured:
        st.markdown(f"**模型服务：** `{settings.shown_url}`")
        st.markdown(f"**模型：** `{settings.model or '（端点默认）'}`")
        st.caption(f"来自：{settings.source}")
    else:
        st.markdown("**模型服务：** 内置本地模型")
        st.caption("未配置 HUASHU_BASE_URL / HUASHU_API_KEY，起草时使用本地模型（需要时自动启动）。")


def _local_model(backend: Backend, running: LocalEndpoint | None, *, in_use: bool) -> None:
    st.markdown("**本地模型**")
    notice = st.session_state.pop(_NOTICE_KEY, None)
    if notice:
        st.info(notice)
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
        st.caption("当前使用上面的模型服务，本地模型不参与起草。")


def _start(backend: Backend) -> None:
    status = st.status("正在启动本地模型…", expanded=True)
    try:
        endpoint = backend.local_model.start(status.write)
    except Exception as exc:
        status.update(label="本地模型没有启动", state="error")
        show_error(exc)
        return
    status.update(label=f"本地模型已启动：{endpoint.model}", state="complete", expanded=False)
    st.rerun()


def _stop(backend: Backend) -> None:
    try:
        stopped = backend.local_model.stop()
    except Exception as exc:
        show_error(exc)
        return
    st.session_state[_NOTICE_KEY] = "本地模型已停止。" if stopped else "本地模型本来就没有运行。"
    st.rerun()
