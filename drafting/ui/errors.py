"""Any failure as the agent page shows it: a friendly title, what happened, and what to do."""

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


@dataclass(frozen=True)
class FriendlyError:
    """What the page shows instead of a traceback."""

    title: str
    detail: str
    retry: bool = True

    @property
    def text(self) -> str:
        """Title and detail as one Markdown message."""
        return f"{self.title}\n\n{self.detail}"


# The most specific class in an exception's MRO wins.
_TITLES: dict[type[BaseException], tuple[str, bool]] = {
    EndpointUnreachableError: ("连不上模型服务，或它没有及时回答。请检查服务地址与网络后重试。", True),
    AuthenticationFailedError: ("模型服务拒绝了 API key。请检查 HUASHU_API_KEY 后重试。", True),
    ModelNotFoundError: ("模型服务上没有这个模型。请检查 HUASHU_MODEL 后重试。", True),
    RateLimitedError: ("模型服务正忙（请求太多）。请稍后重试。", True),
    ServerFailedError: ("模型服务出错了。请稍后重试。", True),
    EndpointError: ("模型服务没有完成这次请求。请重试。", True),
    TruncatedOutputError: ("模型的回答被截断了。请重试，或把消息缩短一些。", True),
    RefusalError: ("模型拒绝了这次请求。请调整消息后重试。", True),
    ModelOutputError: ("模型没有给出可用的回复。请重试。", True),
    LocalModelError: ("本地模型无法启动或连接。", True),
    ConfigError: ("配置有误，请按提示修改后重试。", True),
    PolicyError: ("规范文件无法使用，请按提示修改后重试。", True),
    InputError: ("输入有误，请按提示修改。", False),
    HuashuError: ("出错了。", True),
}
_UNEXPECTED = "出现了意外的错误。请重试；若问题持续，请把下面这行发给技术支持。"


def friendly(error: BaseException) -> FriendlyError:
    """The page's message for `error` (expected or not), never a traceback."""
    for kind in type(error).__mro__:
        if kind in _TITLES:
            title, retry = _TITLES[kind]
            return FriendlyError(title, str(error), retry)
    return FriendlyError(_UNEXPECTED, f"{type(error).__name__}: {error}")
