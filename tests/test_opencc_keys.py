"""guards.opencc_keys: the stored t2s keys belong to the installed OpenCC, and texts without
them are exactly the texts OpenCC leaves alone."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import opencc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import guards.text
from guards import opencc_keys
from guards.text import Document, to_simplified

TOOL = Path(opencc.__file__).parent / "clib" / "bin" / "opencc_dict"
# A wheel has these modules compiled with mypyc (see setup.py).
COMPILED = not opencc_keys.__file__.endswith(".py")
T2S = opencc.OpenCC("t2s")


@pytest.fixture
def fresh_gates() -> Iterator[None]:
    """Clear the cached key tests before and after, so a patched key file takes effect."""

    def clear() -> None:
        opencc_keys.changeable.cache_clear()
        guards.text._may_convert.cache_clear()
        guards.text._needs_folding.cache_clear()

    clear()
    yield
    clear()


def test_stored_keys_are_those_of_the_installed_dictionaries() -> None:
    share = opencc_keys.share_dir()
    if share is None or not TOOL.is_file():
        reason = "this OpenCC install has no dictionaries or no opencc_dict tool to read them"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    derived = opencc_keys.derive(share, TOOL)
    assert derived == opencc_keys.stored(), (
        "the stored keys are not those of the installed t2s dictionaries; "
        "regenerate them with: python -m guards.opencc_keys"
    )
    assert opencc_keys.changeable() is not None


# Han characters, some Traditional ones and the characters of a key that is only a phrase.
_HAN = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
# OpenCC reads UTF-8, so no lone surrogates here (guards.text handles those itself).
_ANY = st.characters(exclude_categories=["Cs"])
_MIXED = st.text(st.one_of(_HAN, st.sampled_from("這說後乾瞭有序，。！？ aZ1"), _ANY), max_size=40)


@settings(max_examples=400, deadline=None)
@given(_MIXED)
def test_a_text_without_keys_is_one_opencc_leaves_alone(text: str) -> None:
    found_in = opencc_keys.changeable()
    if found_in is None:
        pytest.skip("the stored keys do not belong to the installed OpenCC")
    if not found_in(text):
        assert T2S.convert(text) == text


@pytest.mark.parametrize("text", ["這是規定", "乾淨", "瞭解", "請稍等"])
def test_traditional_text_is_found(text: str) -> None:
    found_in = opencc_keys.changeable()
    assert found_in is not None and found_in(text)


_STORED = opencc_keys.stored()


def _foreign_keys() -> opencc_keys.T2SKeys:
    """The stored keys, as if read from other dictionary files."""
    return opencc_keys.T2SKeys("0" * 64, _STORED.characters, _STORED.phrases)


def test_keys_of_other_dictionaries_are_not_used() -> None:
    assert opencc_keys.changeable(keys=_foreign_keys()) is None


@pytest.mark.skipif(COMPILED, reason="compiled modules call their functions directly: no patching")
def test_without_keys_every_text_is_converted(monkeypatch: pytest.MonkeyPatch, fresh_gates: None) -> None:
    monkeypatch.setattr(opencc_keys, "stored", _foreign_keys)
    assert opencc_keys.changeable() is None
    assert to_simplified("這是規定") == "这是规定"
    assert Document.of("我們也沒有辦法").norm == "我们也没有办法"
    assert Document.of("您好").norm == "您好"


def test_folding_still_happens_for_invisible_and_full_width_text(fresh_gates: None) -> None:
    doc = Document.of("这是\u200b规定，订单ＡＢ１２")
    assert doc.norm == "这是规定，订单AB12"
    assert doc.original_span(0, 4) == (0, 5)
