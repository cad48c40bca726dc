"""What the page adds in the browser: compact styles, lang="zh-CN", shortcuts, copy, re-check while typing.

Streamlit has no API for page-wide shortcuts, the page language or typing-time callbacks, so a
small script in the page (st.html with JavaScript) drives the page's own widgets by their keys:
Ctrl+Enter drafts (then the cursor is put at the end of the reply), Alt+1…9 applies fix N,
Ctrl+Shift+C copies (asking first when a must-fix finding remains), Esc starts the next ticket
(in a text field the first Esc leaves the field; then the cursor is put in the message box),
and the reply editor is re-checked 0.7 s after the agent stops typing. The widget keys below
are the ones the page's Python code uses.
"""

from __future__ import annotations

import html

import streamlit as st

REPLY_KEY = "reply_text"
COPY_KEY = "copy"
NEW_TICKET_KEY = "new_ticket"
FIX_KEY_PREFIX = "fix-"
RECHECK_DELAY_MS = 700

_STYLE = """
<style>
header[data-testid="stHeader"] { display: none; }
.block-container {
  padding-top: 0.8rem !important; padding-bottom: 1rem !important; max-width: 100% !important;
}
[data-testid="InputInstructions"] { display: none; }
[data-testid="stElementContainer"]:has(.huashu-overlay-src) { display: none; }
.st-key-copy button { min-height: 3rem; font-size: 1.1rem; }
.huashu-reply { font-size: 1.02rem; }
.st-key-reply_text textarea {
  background: transparent !important; position: relative; z-index: 1;
  font-size: 1.02rem !important; line-height: 2.5 !important; padding-top: 0.7rem !important;
}
.huashu-overlay {
  position: absolute; z-index: 0; pointer-events: none; overflow: hidden; color: transparent;
  white-space: pre-wrap; overflow-wrap: break-word; word-break: break-word;
}
.huashu-overlay mark { color: transparent; padding: 0; border-radius: 2px; }
.huashu-overlay mark.block { background: #ffd8d8; box-shadow: inset 0 -2px #d9342b; }
.huashu-overlay mark.warn { background: #fff1b8; box-shadow: inset 0 -2px #d4a106; }
.huashu-overlay .huashu-part, .huashu-overlay .huashu-num { position: relative; }
.huashu-overlay .huashu-part::before, .huashu-overlay .huashu-num::before {
  position: absolute; left: 0; bottom: 1.1rem; font-size: 0.68rem; line-height: 1.25;
  white-space: nowrap; font-weight: 600;
}
.huashu-overlay .huashu-part::before {
  content: attr(data-label); padding: 0 3px; border-radius: 3px; background: #e8eefc; color: #2b4a9b;
}
.huashu-overlay .huashu-num::before { content: attr(data-n); left: -0.2em; }
.huashu-overlay .huashu-num.block::before { color: #d9342b; }
.huashu-overlay .huashu-num.warn::before { color: #9a7400; }
</style>
"""

_SCRIPT = """
<script>
(() => {
  const doc = window.document;
  doc.documentElement.lang = "zh-CN";
  if (window.__huashuKeys) { return; }
  window.__huashuKeys = true;
  const DELAY = __DELAY__;
  const q = (selector) => [...doc.querySelectorAll(selector)].filter((e) => e.offsetParent !== null);
  const editor = () => q(".st-key-__REPLY__ textarea")[0];
  const state = () => doc.querySelector(".huashu-state");
  const press = (selector) => {
    const button = q(selector)[0];
    if (button && !button.disabled) { button.click(); }
  };
  const commit = (area) => area.dispatchEvent(new KeyboardEvent("keydown",
      { key: "Enter", code: "Enter", ctrlKey: true, bubbles: true, cancelable: true }));
  let timer = null;
  doc.addEventListener("input", (event) => {
    const area = editor();
    if (event.target !== area) { return; }
    clearTimeout(timer);
    timer = setTimeout(() => commit(area), DELAY);
  }, true);
  // The findings and part labels are drawn on a layer behind the editor, lined up with its text.
  const MIRRORED = ["fontFamily", "fontSize", "fontWeight", "lineHeight", "letterSpacing", "wordSpacing",
    "paddingTop", "paddingRight", "paddingBottom", "paddingLeft", "textIndent", "tabSize"];
  const escape = (text) => text.replace(/[&<>]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;" })[c]);
  let painted = null;
  function paint() {
    const area = editor();
    if (!area) { return; }
    const holder = area.parentElement;
    let layer = holder.querySelector(".huashu-overlay");
    if (!layer) {
      layer = doc.createElement("div");
      layer.className = "huashu-overlay";
      holder.style.position = "relative";
      holder.insertBefore(layer, area);
      area.addEventListener("scroll", () => { layer.scrollTop = area.scrollTop; });
    }
    const style = getComputedStyle(area);
    for (const name of MIRRORED) { layer.style[name] = style[name]; }
    Object.assign(layer.style, {
      top: `${area.offsetTop + area.clientTop}px`, left: `${area.offsetLeft + area.clientLeft}px`,
      width: `${area.clientWidth}px`, height: `${area.clientHeight}px`,
    });
    const source = doc.querySelector(".huashu-overlay-src");
    const fresh = source && source.dataset.text === area.value;
    const html = (fresh ? source.innerHTML : escape(area.value)) + "\u200b";
    const key = `${html}|${layer.style.width}`;
    if (key !== painted) { layer.innerHTML = html; painted = key; }
    layer.scrollTop = area.scrollTop;
  }
  doc.addEventListener("input", paint, true);
  setInterval(paint, 200);
  // A new draft puts the cursor at the end of the reply; a new ticket puts it in the message box.
  let shown = null;
  setInterval(() => {
    const now = state();
    const draft = now ? now.dataset.draft : null;
    if (draft === shown) { return; }
    shown = draft;
    const target = draft ? editor() : q("textarea[aria-label='客户的消息']")[0];
    if (target && !(draft === null && doc.activeElement && doc.activeElement.tagName === "TEXTAREA")) {
      target.focus();
      target.setSelectionRange(target.value.length, target.value.length);
    }
  }, 300);
  const sleep = (ms) => new Promise((done) => setTimeout(done, ms));
  async function checked(text) {
    for (let waited = 0; waited < 8000; waited += 100) {
      const now = state();
      if (now && now.dataset.text === text) { return now; }
      await sleep(100);
    }
    return state();
  }
  // A fix applies to the checked text: typing not yet checked is checked first, never overwritten.
  async function applyFix(number) {
    const area = editor();
    if (area && (!state() || state().dataset.text !== area.value)) {
      clearTimeout(timer); commit(area);
      await checked(area.value);
      await sleep(300);  // the fix buttons of the new findings are drawn after the marker
    }
    press(`.st-key-__FIX__${number} button`);
  }
  async function copy(button) {
    const area = editor();
    if (!area) { return; }
    const text = area.value;
    if (!state() || state().dataset.text !== text) { clearTimeout(timer); commit(area); }
    const now = await checked(text);
    const blocking = now ? Number(now.dataset.blocking || 0) : 0;
    const question = `还有 ${blocking} 处必须修改的问题，发出去可能违反服务规范。仍要复制吗？`;
    if (blocking > 0 && !window.confirm(question)) { return; }
    try {
      await navigator.clipboard.writeText(text);
    } catch (error) {
      area.focus(); area.select(); doc.execCommand("copy");
    }
    const label = button.querySelector("p") || button;
    const before = label.textContent;
    label.textContent = "已复制 ✓";
    button.dataset.copied = "yes";
    setTimeout(() => { label.textContent = before; }, 2500);
  }
  doc.addEventListener("click", (event) => {
    const button = event.target.closest(".st-key-__COPY__ button");
    if (!button) { return; }
    event.preventDefault(); event.stopPropagation();
    copy(button);
  }, true);
  doc.addEventListener("keydown", (event) => {
    if (!event.isTrusted) { return; }
    const key = event.key;
    if (event.ctrlKey && event.shiftKey && (key === "C" || key === "c")) {
      event.preventDefault(); event.stopPropagation();
      const button = q(".st-key-__COPY__ button")[0];
      if (button) { copy(button); }
    } else if (event.ctrlKey && !event.shiftKey && key === "Enter") {
      if (event.target === editor()) { clearTimeout(timer); return; }  // Streamlit re-checks the edit
      const form = event.target.closest && event.target.closest("[data-testid='stForm']");
      if (form) { return; }  // Streamlit submits the form itself
      event.preventDefault();
      press("[data-testid='stFormSubmitButton'] button");
    } else if (event.altKey && /^Digit[1-9]$/.test(event.code)) {
      event.preventDefault();
      applyFix(event.code.slice(5));
    } else if (key === "Escape" && !doc.querySelector("[role='dialog'], [role='listbox']")) {
      const typing = ["TEXTAREA", "INPUT"].includes(event.target.tagName);
      if (typing) { event.target.blur(); return; }  // a first Esc leaves the field: no work lost by accident
      press(".st-key-__NEW__ button");
    }
  }, true);
})();
</script>
"""


def install() -> None:
    """Compact styles for one screen (no Streamlit header, no English input hints)."""
    st.html(_STYLE)


def keyboard() -> None:
    """The shortcut, copy and re-check script (once per page; it survives reruns)."""
    script = (
        _SCRIPT.replace("__DELAY__", str(RECHECK_DELAY_MS))
        .replace("__REPLY__", REPLY_KEY)
        .replace("__COPY__", COPY_KEY)
        .replace("__FIX__", FIX_KEY_PREFIX)
        .replace("__NEW__", NEW_TICKET_KEY)
    )
    st.html(script, unsafe_allow_javascript=True)


def checked_state(text: str, blocking: int, draft: str) -> str:
    """A hidden marker of what the guards last checked (read by the copy script) and of which draft."""
    return (
        f'<span class="huashu-state" hidden data-blocking="{blocking}" data-draft="{draft}" '
        f'data-text="{html.escape(text, quote=True)}"></span>'
    )
