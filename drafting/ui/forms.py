"""The two input forms of the agent page: 起草 (draft a reply) and 改写 (rewrite the agent's reply)."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st
from pydantic import ValidationError

from drafting.errors import InputError
from drafting.models import ScenarioChoice, Ticket
from drafting.prompting import labels
from drafting.tones import tone_names
from drafting.ui.inputs import parse_facts, parse_history
from drafting.ui.state import DraftRequest, Request, RewriteRequest
from guards import CHANNELS, SCENARIOS

AUTO_LABEL = "自动识别"
_SCENARIO_CHOICES: list[ScenarioChoice] = ["auto", *SCENARIOS]
TONE_CHANNEL_LABEL = "按语气预设"


def draft_form() -> Request | None:
    """The draft form; its request when 起草 was pressed with usable input."""
    names = labels()
    with st.form("draft_form", border=False):
        message = st.text_area(
            "客户的消息", key="draft_message", height=100, placeholder="把客户发来的消息粘贴到这里"
        )
        st.markdown("**对话与订单**（可选：填了就不会再问客户已经给过的信息）")
        turns, order = st.columns(2)
        history = turns.text_area(
            "之前的对话", key="draft_history", placeholder="客户：……\n客服：……", height=100
        )
        facts = order.text_area(
            "订单信息", key="draft_facts", placeholder="每行一项：\n订单号：202411230001", height=100
        )
        left, middle, right = st.columns([1.15, 1.15, 0.8])
        channel = left.selectbox(
            "渠道", CHANNELS, format_func=lambda c: names["channels"][c], key="draft_channel"
        )
        scenario = middle.selectbox(
            "场景",
            _SCENARIO_CHOICES,
            format_func=lambda s: AUTO_LABEL if s == "auto" else names["scenarios"][s],
            key="draft_scenario",
        )
        address_as = right.text_input("称呼客户", value="您", key="draft_address", help="如 张先生、女士、亲")
        submitted = st.form_submit_button("起草（Ctrl+Enter）", type="primary", use_container_width=True)
    if not submitted:
        return None
    return _checked(
        lambda: DraftRequest(
            Ticket(
                message=message.strip(),
                scenario=scenario,
                channel=channel,
                address_as=address_as.strip() or "您",
                facts=parse_facts(facts),
                history=parse_history(history),
            )
        ),
        empty=not message.strip(),
        what="请先粘贴客户的消息。",
    )


def rewrite_form() -> Request | None:
    """The rewrite form; its request when 改写 was pressed with usable input."""
    names = labels()
    with st.form("rewrite_form", border=False):
        agent_text = st.text_area(
            "我的回复（待改写）", key="rewrite_text", height=120, placeholder="粘贴你写好的回复"
        )
        customer = st.text_area("客户的消息（可选）", key="rewrite_customer", height=90)
        left, right = st.columns(2)
        tone = left.selectbox("语气", tone_names(), key="rewrite_tone")
        channel = right.selectbox(
            "渠道",
            [None, *CHANNELS],
            format_func=lambda c: TONE_CHANNEL_LABEL if c is None else names["channels"][c],
            key="rewrite_channel",
        )
        submitted = st.form_submit_button("改写（Ctrl+Enter）", type="primary", use_container_width=True)
    if not submitted:
        return None
    return _checked(
        lambda: RewriteRequest(
            agent_text=agent_text.strip(), tone=tone, customer=customer.strip() or None, channel=channel
        ),
        empty=not agent_text.strip(),
        what="请先粘贴要改写的回复。",
    )


# The inputs of one ticket and their empty values (a new ticket resets them).
INPUT_KEYS = {
    "draft_message": "",
    "draft_history": "",
    "draft_facts": "",
    "draft_address": "您",
    "rewrite_text": "",
    "rewrite_customer": "",
}


def _checked(build: Callable[[], Request], *, empty: bool, what: str) -> Request | None:
    """The request `build` makes, or None with a warning on empty or invalid input."""
    if empty:
        st.warning(what)
        return None
    try:
        return build()
    except InputError as exc:
        st.warning(str(exc))
        return None
    except ValidationError as exc:
        st.warning(f"输入有误：{exc.errors()[0]['msg']}")
        return None
