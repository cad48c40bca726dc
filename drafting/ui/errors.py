"""Any failure as the agent page shows it: what happened and what to do in Chinese, details for admins."""

from __future__ import annotations

from dataclasses import dataclass

from drafting.errors import (
    AuthenticationFailedError,
    ConfigError,
    EndpointError,
    EndpointUnreachableError,
    HuashuError,
    InputError,
    ModelNotFoundError,
    ModelOutputError,
    RateLimitedError,
    RefusalError,
    ServerFailedError,
    TruncatedOutputError,
)
from drafting.local.errors import LocalModelError
from guards import PolicyError

RETRY = "请点“重试”。"
ASK_ADMIN = "请联系管理员（把下面的“技术细节”发给他）。"
RETRY_THEN_ADMIN = "请稍后点“重试”；一直不行，" + ASK_ADMIN


@dataclass(frozen=True)
class FriendlyError:
    """What the page shows instead of a traceback: a title, what to do, and the detail for admins."""

    title: str
    detail: str
    retry: bool = True
    action: str = RETRY

    @property
    def text(self) -> str:
        """Title and what to do as one line (the detail is shown folded away)."""
        return f"{self.title}{self.action}"


# The most specific class in an exception's MRO wins: (title, retry makes sense, what to do).
_TITLES: dict[type[BaseException], tuple[str, bool, str]] = {
    EndpointUnreachableError: ("连不上模型服务，或它没有及时回答。", True, RETRY_THEN_ADMIN),
    AuthenticationFailedError: ("模型服务拒绝了访问密钥（API key）。", True, ASK_ADMIN),
    ModelNotFoundError: ("模型服务上没有配置的这个模型。", True, ASK_ADMIN),
    RateLimitedError: ("模型服务正忙（请求太多）。", True, "请等一会儿再点“重试”。"),
    ServerFailedError: ("模型服务出错了。", True, RETRY_THEN_ADMIN),
    EndpointError: ("模型服务没有完成这次请求。", True, RETRY),
    TruncatedOutputError: ("模型的回答被截断了。", True, "请重试，或把消息缩短一些。"),
    RefusalError: ("模型拒绝了这次请求。", True, "请调整消息后重试。"),
    ModelOutputError: ("模型没有给出可用的回复。", True, RETRY),
    LocalModelError: ("本地模型无法启动或连接。", True, ASK_ADMIN),
    ConfigError: ("配置有误。", True, ASK_ADMIN),
    PolicyError: ("规范文件无法使用。", True, ASK_ADMIN),
    InputError: ("输入有误。", False, "请按技术细节里的提示修改输入。"),
    HuashuError: ("出错了。", True, RETRY_THEN_ADMIN),
}
_UNEXPECTED = "出现了意外的错误（程序问题）。"


def friendly(error: BaseException) -> FriendlyError:
    """The page's message for `error` (expected or not), never a traceback."""
    for kind in type(error).__mro__:
        if kind in _TITLES:
            title, retry, action = _TITLES[kind]
            return FriendlyError(title, str(error), retry, action)
    return FriendlyError(_UNEXPECTED, f"{type(error).__name__}: {error}", True, RETRY_THEN_ADMIN)


def show_error(error: FriendlyError | BaseException, *, prefix: str = "") -> None:
    """The error in Chinese with what to do; the technical detail folded away for admins."""
    import streamlit as st  # only the page draws; the rest of this module is plain data

    shown = error if isinstance(error, FriendlyError) else friendly(error)
    st.error(prefix + shown.text)
    if shown.detail:
        with st.expander("技术细节（给管理员）"):
            st.code(shown.detail, language=None, wrap_lines=True)
