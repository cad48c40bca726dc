"""End to end in headless Chromium: `huashu ui` serves the page, a browser drafts a reply.

The model is drafting.testing.FaultServer (real HTTP on 127.0.0.1) streaming scripted,
real-looking replies; the page reaches it through HUASHU_BASE_URL like any endpoint. The
screenshot goes to docs/screenshot-agent-page.png (shown in the README) when a CJK font is
installed. Without chromium the test skips locally; under CI=true it fails.
"""

from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ui_helpers import CUSTOMER, OPENING

from drafting.fake import reply_json
from drafting.testing import ChatAnswer, FaultServer

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshot-agent-page.png"
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1440,1900",
    "--lang=zh-CN",
)
FIRST_ATTEMPT = reply_json(
    scenario="complaint", **OPENING, solution="这个我不知道，物流的事这是规定", commitment="保证今天解决"
)
FINAL_ATTEMPT = reply_json(
    scenario="complaint",
    **OPENING,
    solution="请您稍等，我马上为您联系物流核实您投诉的包裹",
    commitment="我们将在2个工作日内联系您反馈处理进展",
)
TIMEOUT_S = 60.0


def _required(what: str) -> None:
    """Skip locally, fail under CI, when the browser stack is missing."""
    message = f"{what} (install: apt-get install -y chromium chromium-driver; pip install selenium)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true and the browser test cannot run: {message}")
    pytest.skip(message)


def _executable(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        _required(f"{name} is not installed")
    assert path is not None
    return path


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    """Headless Chromium through /usr/bin/chromedriver, with a fresh profile."""
    chromium, chromedriver = _executable("chromium"), _executable("chromedriver")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _required("selenium is not installed")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'chromium-profile'}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)
    driver.set_page_load_timeout(TIMEOUT_S)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def model() -> Iterator[FaultServer]:
    """The scripted model: a first attempt with blocking findings, then one with warnings only."""
    with FaultServer([ChatAnswer(FIRST_ATTEMPT), ChatAnswer(FINAL_ATTEMPT)], model="scripted-qwen") as server:
        yield server


@pytest.fixture
def page_url(model: FaultServer, tmp_path: Path) -> Iterator[str]:
    """`huashu ui` on a free port of 127.0.0.1, drafting with the scripted model."""
    port = _free_port()
    env = {
        **os.environ,
        "HOME": str(tmp_path),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "HUASHU_CONFIG": str(tmp_path / "no-config.toml"),
        "HUASHU_BASE_URL": model.base_url,
        "HUASHU_API_KEY": "sk-test",
        "HUASHU_MODEL": model.model,
        "HUASHU_FEEDBACK_DB": str(tmp_path / "feedback.sqlite"),
        "STREAMLIT_SERVER_FILE_WATCHER_TYPE": "none",
        "STREAMLIT_THEME_BASE": "light",
    }
    huashu = Path(sys.executable).with_name("huashu")
    log = (tmp_path / "ui.log").open("wb")
    process = subprocess.Popen(
        [str(huashu), "ui", "--no-browser", "--port", str(port)], env=env, stdout=log, stderr=log
    )
    try:
        _wait_until_healthy(port, process, tmp_path / "ui.log")
        yield f"http://127.0.0.1:{port}/"
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def test_a_browser_drafts_a_reply_sees_the_findings_and_applies_a_fix(
    browser: Any, page_url: str, model: FaultServer, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, TIMEOUT_S)
    browser.get(page_url)
    message_box = wait.until(
        ec.element_to_be_clickable((By.CSS_SELECTOR, 'textarea[aria-label="客户的消息"]'))
    )
    message_box.send_keys(CUSTOMER)
    _visible(browser, By.CSS_SELECTOR, '[data-testid="stFormSubmitButton"] button')[0].click()

    wait.until(lambda d: _marks(d) and "通过规范检查" in d.page_source)
    assert {"请您稍等", "您投诉"} <= set(_marks(browser))
    assert len(model.chat_requests) == 2 and all(r.body["stream"] for r in model.chat_requests)
    body = browser.find_element(By.TAG_NAME, "body").text
    for label in ("安抚", "道歉", "收集信息", "方案与时限"):
        assert label in body
    assert "依据：002_9cdc463163140990.txt" in body and "scripted-qwen" in body
    assert browser.find_elements(By.CSS_SELECTOR, '[data-testid="stCode"]')
    _history(browser).click()
    wait.until(lambda d: "下一稿改掉了" in d.find_element(By.TAG_NAME, "body").text)
    screenshot = _screenshot_path(tmp_path)
    assert browser.save_screenshot(str(screenshot))
    assert screenshot.stat().st_size > 20_000

    _button(browser, "应用修改：改为“马上为您办理”").click()
    wait.until(lambda d: "请您稍等" not in _marks(d))
    final_text = browser.find_element(By.CSS_SELECTOR, '[data-testid="stCode"] code').text
    assert "马上为您办理" in final_text and "请您稍等" not in final_text
    assert _copied(browser, page_url) == final_text
    _button(browser, "👎").click()
    wait.until(lambda d: "已保存反馈" in d.find_element(By.TAG_NAME, "body").text)
    with sqlite3.connect(tmp_path / "feedback.sqlite") as db:
        assert db.execute("SELECT rating FROM feedback").fetchall() == [("down",)]


def _screenshot_path(tmp_path: Path) -> Path:
    """docs/ when Chinese text renders; without a CJK font the picture would show empty boxes."""
    fc_list = shutil.which("fc-list")
    fonts = (
        subprocess.run([fc_list, ":lang=zh"], capture_output=True, text=True, check=False).stdout
        if fc_list
        else ""
    )
    if fonts.strip():
        return SCREENSHOT
    warnings.warn(
        "no CJK font (apt-get install fonts-wqy-microhei): screenshot kept out of docs/", stacklevel=2
    )
    return tmp_path / SCREENSHOT.name


def _copied(browser: Any, page_url: str) -> str:
    """Press the copy button of the final-text box and read the clipboard."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    origin = page_url.rstrip("/")
    browser.execute_cdp_cmd(
        "Browser.grantPermissions",
        {"permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"], "origin": origin},
    )
    box = browser.find_element(By.CSS_SELECTOR, '[data-testid="stCode"]')
    ActionChains(browser).move_to_element(box).perform()  # the copy button shows on hover
    box.find_element(By.CSS_SELECTOR, 'button[aria-label="Copy to clipboard"]').click()
    script = "const done = arguments[0]; navigator.clipboard.readText().then(done, e => done('ERROR ' + e));"
    return str(browser.execute_async_script(script))


def _visible(browser: Any, by: str, selector: str) -> list[Any]:
    return [e for e in browser.find_elements(by, selector) if e.is_displayed()]


def _marks(browser: Any) -> list[str]:
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By

    try:
        return [m.text for m in browser.find_elements(By.CSS_SELECTOR, ".huashu-reply mark")]
    except StaleElementReferenceException:  # the page re-rendered while we looked
        return []


def _button(browser: Any, label: str) -> Any:
    from selenium.webdriver.common.by import By

    buttons = [b for b in _visible(browser, By.TAG_NAME, "button") if b.text.strip().startswith(label)]
    assert buttons, f"no visible button {label!r}"
    return buttons[0]


def _history(browser: Any) -> Any:
    from selenium.webdriver.common.by import By

    summaries = [s for s in _visible(browser, By.TAG_NAME, "summary") if "修改记录" in s.text]
    assert summaries, "no attempt history on the page"
    return summaries[0]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_healthy(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"huashu ui exited with {process.returncode}: {log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"huashu ui did not answer within {TIMEOUT_S:.0f} s: {log.read_text(errors='replace')}")
