"""Helpers of the agent-page tests: scripted replies, a fake backend, and AppTest shortcuts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Button

import drafting.ui
from drafting.client import ChatClient
from drafting.engine import Drafter
from drafting.fake import FakeChatClient, Scripted, reply_json
from drafting.local.server import LocalEndpoint
from drafting.settings import Settings
from drafting.ui.backend import BACKEND_KEY, Backend
from guards import CompiledPolicy

APP_FILE = Path(drafting.ui.__file__).with_name("app.py")
ROOT_APP_FILE = Path(__file__).resolve().parents[2] / "app_streamlit.py"
CUSTOMER = "订单 202411230001 买的耳机一周了还没到，你们到底怎么回事？"
THREATENING_CUSTOMER = "耳机坏了第三次来找你们了，再不处理我就投诉到12315！"
# What every scripted reply to CUSTOMER opens with; the solution and commitment vary.
OPENING = {
    "greeting": "张先生，您好",
    "soothe": "非常理解您着急的心情",
    "apology": "非常抱歉给您带来了不好的体验",
    "details_request": "麻烦您说一下物流页面显示的具体情况",
}
# The model's first reply: two forbidden phrases and an absolute guarantee.
BAD_REPLY = reply_json(
    scenario="complaint", **OPENING, solution="这个我不知道，这是规定", commitment="保证今天解决"
)
# The reply after feedback: the standards' structure, nothing blocking.
GOOD_REPLY = reply_json(
    scenario="complaint",
    **OPENING,
    solution="我马上为您联系物流核实包裹的位置",
    commitment="我们将在2个工作日内联系您反馈处理进展",
)
CLEAN_EDIT = (
    "张先生，您好，非常理解您着急的心情。非常抱歉给您带来了不好的体验。麻烦您说一下物流页面显示的具体情况。"
    "我马上为您联系物流核实包裹的位置，我们将在2个工作日内联系您反馈处理进展。"
)


@dataclass
class FakeLocalModel:
    """Local-model controls that record start/stop instead of running llama.cpp."""

    running: LocalEndpoint | None = None
    calls: list[str] = field(default_factory=list)

    def status(self) -> LocalEndpoint | None:
        """The pretend server."""
        return self.running

    def start(self, on_status: object) -> LocalEndpoint:
        """Pretend to start."""
        self.calls.append("start")
        self.running = LocalEndpoint("http://127.0.0.1:9999/v1", "qwen-test", pid=4242)
        return self.running

    def stop(self) -> bool:
        """Pretend to stop."""
        self.calls.append("stop")
        was_running, self.running = self.running is not None, None
        return was_running


@dataclass
class Page:
    """An AppTest of the agent page with its fake client and local model."""

    at: AppTest
    client: Any  # a FakeChatClient unless the test brought its own client
    local: FakeLocalModel

    def button(self, label: str) -> Button:
        """The one button whose label starts with `label`."""
        found = [b for b in self.at.button if b.label.startswith(label)]
        assert len(found) == 1, f"expected one button {label!r}, found {[b.label for b in self.at.button]}"
        return found[0]

    def draft(self, message: str = CUSTOMER, **fields: str) -> Page:
        """Fill the draft form and press 起草."""
        self.at.text_area(key="draft_message").input(message)
        for key, value in fields.items():
            widget = self.at.text_input(key=key) if key == "draft_address" else self.at.text_area(key=key)
            widget.input(value)
        self.button("起草").click().run()
        return self

    def rewrite(self, agent_text: str, customer: str = "", tone: str = "标准") -> Page:
        """Fill the rewrite form and press 改写."""
        self.at.text_area(key="rewrite_text").input(agent_text)
        if customer:
            self.at.text_area(key="rewrite_customer").input(customer)
        self.at.selectbox(key="rewrite_tone").select(tone)
        self.button("改写").click().run()
        return self

    def html(self) -> str:
        """All st.html bodies of the page, joined."""
        return "\n".join(str(h.value) for h in self.at.html)

    def reply_html(self) -> str:
        """The composer's highlighted reply: the layer drawn behind the editor (the first reply HTML)."""
        return next(str(h.value) for h in self.at.html if "huashu-reply" in str(h.value))

    def errors(self) -> str:
        """All error messages of the page, joined."""
        return " ".join(e.value for e in self.at.error)

    def details(self) -> str:
        """The folded technical details of errors (for admins)."""
        return " ".join(
            str(c.value) for e in self.at.expander if e.label.startswith("技术细节") for c in e.get("code")
        )

    def markdown(self) -> str:
        """All markdown and caption text of the page, joined."""
        return "\n".join([*(m.value for m in self.at.markdown), *(c.value for c in self.at.caption)])


def open_page(
    script: Sequence[Scripted] = (),
    *,
    policy_path: str | None = None,
    local: FakeLocalModel | None = None,
    app_file: Path = APP_FILE,
    settings: Settings | None = None,
    client: ChatClient | None = None,
    max_attempts: int = 3,
) -> Page:
    """The agent page, run once, drafting with `client` (default: a FakeChatClient on `script`)."""
    client = client or FakeChatClient(script)
    local = local or FakeLocalModel()

    def make_drafter(policy: CompiledPolicy, on_status: object) -> Drafter:
        return Drafter(client, policy=policy, max_attempts=max_attempts)

    backend = Backend(
        make_drafter=make_drafter,
        settings=lambda: (
            settings or Settings(base_url="http://llm.test/v1", model="fake-model", source="test")
        ),
        local_model=local,
        policy_path=policy_path,
    )
    at = AppTest.from_file(str(app_file), default_timeout=30)
    at.session_state[BACKEND_KEY] = backend
    at.run()
    assert not at.exception, at.exception
    return Page(at, client, local)
