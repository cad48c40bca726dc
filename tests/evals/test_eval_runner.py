"""Recording and replaying cases through real HTTP (a scripted server on 127.0.0.1), and stale cassettes."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from eval_helpers import case_of, reply

from drafting.engine import RETRY_TEMPERATURE
from drafting.prompting import Prompts
from drafting.settings import Settings
from drafting.testing import ChatAnswer, ErrorStatus, FaultServer
from evals.cassettes import load_manifest, secret_leaks
from evals.runner import EVAL_TEMPERATURE, record_runner, replay_runner

SECRET = "sk-test-SECRET-4711"
MODEL = "Fault/Model:1"
FOLDER = "fault-model-1/free"


def _live(server: FaultServer) -> Settings:
    return Settings(
        base_url=server.base_url,
        api_key=SECRET,
        model=MODEL,
        structured_mode="json_object_schema",
        temperature=0.7,
        max_retries=0,
    )


def _record(root: Path, answers: list[ChatAnswer], *cases_ids: str, force: bool = False) -> FaultServer:
    with FaultServer(answers, model=MODEL) as server:
        runner = record_runner(root, _live(server), max_attempts=3, force=force)
        runner.run([case_of(id=case_id) for case_id in cases_ids])
    return server


def test_record_then_replay_without_the_server(tmp_path: Path) -> None:
    server = _record(tmp_path, [ChatAnswer(reply(solution="这个我也不知道")), ChatAnswer(reply())], "rec-01")
    assert len(server.chat_requests) == 2
    first, retry = server.chat_requests
    assert first.body["temperature"] == EVAL_TEMPERATURE  # fixed, so the request body is too
    assert retry.body["temperature"] == RETRY_TEMPERATURE

    folder = tmp_path / FOLDER
    manifest = load_manifest(folder)
    assert manifest is not None and manifest.model == MODEL
    assert manifest.cases["rec-01"].calls == 2
    assert manifest.prompt_version == manifest.cases["rec-01"].prompt_version

    run = replay_runner(tmp_path, MODEL).run([case_of(id="rec-01")])  # the server is gone
    result = run.results[0]
    assert result.status == "ok", result.error
    assert result.draft is not None
    assert [a.passed for a in result.draft.attempts] == [False, True]
    assert result.draft.usage.completion_tokens == 120
    assert result.latency_s == manifest.cases["rec-01"].latency_s
    assert all(r.verdict.passed for r in result.results) is result.passed


def test_cassettes_hold_no_key_or_authorization(tmp_path: Path) -> None:
    _record(tmp_path, [ChatAnswer(reply())], "rec-01")
    text = (tmp_path / FOLDER / "rec-01.yaml").read_text(encoding="utf-8")
    assert SECRET not in text
    assert "authorization" not in text.lower()


PASSWORD = "pa55-w0rd-4711"
URL_KEY = "sk-query-SECRET-0815"


def test_no_credential_of_the_endpoint_reaches_a_cassette_or_the_manifest(tmp_path: Path) -> None:
    echoed = {"X-Echo-Key": f"key={SECRET}", "X-Debug": f"url-key {URL_KEY}", "X-Pass": PASSWORD}
    script = [ChatAnswer(reply()), ErrorStatus(400, f"bad request from {URL_KEY}", headers=echoed)]
    with FaultServer(script, model=MODEL) as server:
        url = server.base_url.replace("http://", f"http://huashu:{PASSWORD}@")
        live = replace(_live(server), base_url=f"{url}?api-key={URL_KEY}&api-version=2024")
        run = record_runner(tmp_path, live, max_attempts=3).run([case_of(id="rec-01"), case_of(id="rec-02")])
    assert [r.status for r in run.results] == ["ok", "error"]  # a 400 is the case's recorded outcome
    folder = tmp_path / FOLDER
    assert secret_leaks(folder, [SECRET, PASSWORD, URL_KEY]) == []
    for path in folder.iterdir():
        text = path.read_text(encoding="utf-8")
        assert SECRET not in text and PASSWORD not in text and URL_KEY not in text, path.name
    manifest = load_manifest(folder)
    assert manifest is not None
    assert manifest.base_url == f"http://***@{server.base_url[7:]}?api-key=***&api-version=2024"
    replayed = replay_runner(tmp_path, MODEL).run([case_of(id="rec-01"), case_of(id="rec-02")])
    assert [r.status for r in replayed.results] == ["ok", "error"]  # the masked URL still replays


def test_the_secret_scan_finds_each_form_of_leak(tmp_path: Path) -> None:
    _record(tmp_path, [ChatAnswer(reply())], "rec-01")
    folder = tmp_path / FOLDER
    assert secret_leaks(folder, [SECRET]) == []
    tape = folder / "rec-01.yaml"
    clean = tape.read_text(encoding="utf-8")
    leaked = {
        "the URI has credentials": clean.replace("uri: http://", "uri: http://huashu:pw@"),
        "the URI has credentials ": clean.replace("/chat/completions", "/chat/completions?sig=abc"),
        "holds a configured secret": clean.replace("OpenAI/Python", f"OpenAI/{SECRET}"),
        "holds a key": clean.replace("OpenAI/Python", "Bearer abc"),
        "response header x-api-key": clean.replace(
            "    headers:\n", "    headers:\n      x-api-key: [k]\n", 2
        ),
    }
    for finding, text in leaked.items():
        tape.write_text(text, encoding="utf-8")
        leaks = secret_leaks(folder, [SECRET])
        assert any(finding.strip() in leak for leak in leaks), (finding, leaks)
    tape.write_text(clean, encoding="utf-8")
    manifest = folder / "manifest.json"
    manifest.write_text(
        manifest.read_text(encoding="utf-8").replace("http://", "http://u:p@"), encoding="utf-8"
    )
    assert secret_leaks(folder) == ["manifest.json: base_url has credentials"]


def test_recording_resumes_and_force_rerecords(tmp_path: Path) -> None:
    _record(tmp_path, [ChatAnswer(reply())], "rec-01")
    again = _record(tmp_path, [ChatAnswer(reply())], "rec-01", "rec-02")
    assert len(again.chat_requests) == 1  # only rec-02 was absent
    forced = _record(tmp_path, [ChatAnswer(reply())], "rec-01", force=True)
    assert len(forced.chat_requests) == 1
    assert sorted(p.name for p in (tmp_path / FOLDER).iterdir()) == [
        "manifest.json",
        "rec-01.yaml",
        "rec-02.yaml",
    ]


def test_prompt_change_makes_the_cassette_stale(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _record(tmp_path, [ChatAnswer(reply())], "rec-01")
    recorded = load_manifest(tmp_path / FOLDER)
    assert recorded is not None
    monkeypatch.setattr(Prompts, "system", property(lambda self: "你是客服。只输出JSON。"))
    run = replay_runner(tmp_path, MODEL).run([case_of(id="rec-01")])
    result = run.results[0]
    assert result.status == "stale" and not result.passed
    assert "case rec-01" in result.error
    assert f"recorded with prompt version {recorded.prompt_version}, now {run.prompt_version}" in result.error
    assert f"huashu eval --record --force --model {MODEL} --strategy free --case rec-01" in result.error
    assert run.unusable == [result]


def test_changed_case_input_is_stale_too(tmp_path: Path) -> None:
    _record(tmp_path, [ChatAnswer(reply())], "rec-01")
    case = case_of(id="rec-01", message="换了一条消息")
    assert replay_runner(tmp_path, MODEL).run([case]).results[0].status == "stale"


def test_missing_cassette_says_how_to_record_it(tmp_path: Path) -> None:
    _record(tmp_path, [ChatAnswer(reply())], "rec-01")
    result = replay_runner(tmp_path, MODEL).run([case_of(id="rec-09")]).results[0]
    assert result.status == "missing"
    assert f"huashu eval --record --force --model {MODEL} --strategy free --case rec-09" in result.error


def test_unusable_model_answer_is_recorded_and_replayed_as_an_error(tmp_path: Path) -> None:
    _record(tmp_path, [ChatAnswer("这不是JSON")], "rec-01")
    recorded = load_manifest(tmp_path / FOLDER)
    assert recorded is not None and recorded.cases["rec-01"].calls == 2  # answer + re-ask
    result = replay_runner(tmp_path, MODEL).run([case_of(id="rec-01")]).results[0]
    assert result.status == "error"
    assert "not answer with a usable reply" in result.error
    assert all(not r.verdict.passed for r in result.results)


def test_refused_request_is_the_case_outcome(tmp_path: Path) -> None:
    refused = ErrorStatus(400, "This model's maximum context length is 4096 tokens")
    with FaultServer([ChatAnswer(reply(solution="这个我也不知道")), refused], model=MODEL) as server:
        record_runner(tmp_path, _live(server), max_attempts=3).run([case_of(id="rec-01")])
    result = replay_runner(tmp_path, MODEL).run([case_of(id="rec-01")]).results[0]
    assert result.status == "error" and "maximum context length" in result.error


def test_server_failure_leaves_no_cassette(tmp_path: Path) -> None:
    with FaultServer([ErrorStatus(500)], model=MODEL) as server:
        result = record_runner(tmp_path, _live(server), max_attempts=1).run([case_of(id="rec-01")]).results[0]
    assert result.status == "error" and result.error.startswith("recording failed:")
    assert not (tmp_path / FOLDER / "rec-01.yaml").exists()


def test_unreachable_endpoint_leaves_no_cassette(tmp_path: Path) -> None:
    with FaultServer([ChatAnswer(reply())], model=MODEL) as server:
        live = _live(server)
    runner = record_runner(tmp_path, live, max_attempts=1)  # the server is closed now
    result = runner.run([case_of(id="rec-01")]).results[0]
    assert result.status == "error" and result.error.startswith("recording failed: cannot reach")
    assert sorted(p.name for p in (tmp_path / FOLDER).iterdir()) == ["manifest.json"]


def test_replay_without_recordings_is_a_clear_error(tmp_path: Path) -> None:
    from drafting.errors import HuashuError

    with pytest.raises(HuashuError, match="no recorded cassettes for model 'm'"):
        replay_runner(tmp_path, "m")
