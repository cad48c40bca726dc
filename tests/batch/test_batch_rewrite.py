"""`huashu batch rewrite` against a local OpenAI-compatible server: statuses, dedupe, limits, errors."""

from __future__ import annotations

import itertools
import json
import statistics
from pathlib import Path
from typing import Any

import pytest
from batch_helpers import (
    BAD_TEMPLATE,
    CLEAN_TEMPLATE,
    HEADER,
    huashu,
    library_rows,
    read_csv,
    read_jsonl,
    read_xlsx,
    write_csv,
    write_xlsx,
)

from drafting.batch.testing import BatchServer, original_text, passing_rewrite
from drafting.fake import reply_json
from drafting.testing import ChatAnswer, ErrorStatus, FaultServer, Scripted

PROMISE = reply_json(
    "complaint", soothe="理解您", apology="抱歉", solution="保证今天解决", commitment="马上到账"
)


def test_rows_with_findings_are_rewritten_and_checked_again(
    endpoint: BatchServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [*library_rows(3), ["9", "物流", CLEAN_TEMPLATE, "干净"]]
    source = write_csv(tmp_path / "lib.csv", rows, encoding="gbk")
    out = tmp_path / "out.csv"
    code, _, err = huashu(
        capsys, "batch", "rewrite", str(source), "-o", str(out), "--report", str(tmp_path / "r.html")
    )
    assert code == 0, err
    result = read_csv(out, encoding="gb18030")
    assert [[r[c] for c in HEADER] for r in result] == rows
    assert [r["huashu_status"] for r in result] == ["rewritten", "rewritten", "rewritten", "clean"]
    first = result[0]
    assert "fp.dont_know「不知道」" in first["huashu_findings_before"]
    assert first["huashu_findings_after"] == "" and first["huashu_attempts"] == "1"
    assert first["huashu_model"] == "batch-model"
    assert "1" in first["huashu_rewritten"]  # the fact 第1号 survives the rewrite
    assert result[3]["huashu_rewritten"] == "" and result[3]["huashu_attempts"] == "0"
    assert sorted(endpoint.originals()) == sorted(r[2] for r in rows[:3])  # clean rows need no model
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert '<span class="del hit">不知道</span>' in html and 'class="ins"' in html
    assert "<code>fp.dont_know</code>" in html and "投诉 (complaint)" in html


def test_identical_templates_are_rewritten_once(
    endpoint: BatchServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [[str(i), "投诉", BAD_TEMPLATE, ""] for i in range(1, 7)] + [["7", "咨询", BAD_TEMPLATE, ""]]
    source = write_csv(tmp_path / "lib.csv", rows)
    code, _, err = huashu(
        capsys, "batch", "rewrite", str(source), "-o", str(tmp_path / "o.csv"), "--concurrency", "4"
    )
    assert code == 0, err
    assert [r["huashu_status"] for r in read_csv(tmp_path / "o.csv")] == ["rewritten"] * 7
    assert len(endpoint.requests) == 2  # one per (text, scenario): 投诉 and 咨询


def test_all_rewrites_clean_rows_too(
    endpoint: BatchServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_xlsx(tmp_path / "lib.xlsx", [[1, "物流", CLEAN_TEMPLATE, None]])
    code, _, err = huashu(capsys, "batch", "rewrite", str(source), "-o", str(tmp_path / "o.xlsx"), "--all")
    assert code == 0, err
    (row,) = read_xlsx(tmp_path / "o.xlsx")
    assert row["huashu_status"] == "rewritten" and row["huashu_rewritten"]
    assert len(endpoint.requests) == 1


def answer_by_text(answers: dict[str, Scripted]) -> Any:
    """A responder that fails chosen originals and rewrites the others properly."""

    def respond(body: dict[str, Any]) -> Scripted:
        return answers.get(original_text(body) or "", passing_rewrite(body))

    return respond


def test_a_rewrite_that_keeps_violating_is_never_reported_clean(
    endpoint: BatchServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    endpoint.responder = answer_by_text({f"{BAD_TEMPLATE}，第2号": ChatAnswer(PROMISE)})
    source = write_csv(tmp_path / "lib.csv", library_rows(3))
    code, _, _ = huashu(capsys, "batch", "rewrite", str(source), "-o", str(tmp_path / "o.jsonl"))
    assert code == 1
    result = read_jsonl(tmp_path / "o.jsonl")
    assert [r["huashu_status"] for r in result] == ["rewritten", "still_violates", "rewritten"]
    assert result[1]["huashu_attempts"] == 3
    assert "up.absolute_guarantee「保证今天解决」" in result[1]["huashu_findings_after"]
    assert len(endpoint.requests) == 1 + 3 + 1


def test_a_failing_row_is_an_error_row_and_the_run_goes_on(
    endpoint: BatchServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = ErrorStatus(500, "boom", headers={"Retry-After": "0"})
    endpoint.responder = answer_by_text({f"{BAD_TEMPLATE}，第1号": broken})
    source = write_csv(tmp_path / "lib.csv", library_rows(2))
    code, _, err = huashu(capsys, "batch", "rewrite", str(source), "-o", str(tmp_path / "o.csv"))
    assert code == 1
    result = read_csv(tmp_path / "o.csv")
    assert [r["huashu_status"] for r in result] == ["error", "rewritten"]
    assert "kept failing (500: " in result[0]["huashu_error"] and "boom" in result[0]["huashu_error"]
    assert "1 error" in err


def test_a_rejected_key_stops_the_run_without_output(
    endpoint: BatchServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    endpoint.responder = lambda body: ErrorStatus(401, "bad key")
    source = write_csv(tmp_path / "lib.csv", library_rows(20))
    out = tmp_path / "o.csv"
    out.write_text("the previous output\n", encoding="utf-8")
    code, _, err = huashu(capsys, "batch", "rewrite", str(source), "-o", str(out))
    assert code == 4
    assert err.strip().splitlines() == [
        f"huashu: error: the endpoint {endpoint.base_url} rejected the API key (401) (check HUASHU_API_KEY)"
    ]
    assert out.read_text(encoding="utf-8") == "the previous output\n"  # untouched: output is atomic
    assert not list(tmp_path.glob(".o.csv*"))  # no temporary file left behind
    assert len(endpoint.requests) < 20


def test_requests_per_minute_are_respected(
    endpoint: BatchServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_csv(tmp_path / "lib.csv", library_rows(8))
    code, _, err = huashu(
        capsys,
        "batch",
        "rewrite",
        str(source),
        "-o",
        str(tmp_path / "o.csv"),
        "--rpm",
        "600",
        "--concurrency",
        "8",
    )
    assert code == 0, err
    times = sorted(r.at for r in endpoint.requests)
    gaps = [b - a for a, b in itertools.pairwise(times)]
    # 600 per minute: one every 100 ms; without the limit all 8 would arrive within a few
    # milliseconds of each other. The server sees arrivals, and on a loaded machine one of
    # them can arrive late, so one gap may be short: the median and the span hold anyway.
    jitter = 0.04
    assert len(times) == 8
    assert statistics.median(gaps) >= 0.1 - jitter, gaps
    assert times[-1] - times[0] >= 0.7 - jitter, gaps


def test_tokens_per_minute_are_respected(
    endpoint: BatchServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_csv(tmp_path / "lib.csv", library_rows(4))
    # each request is estimated at its prompt characters + max_tokens (1024): about 2,400 tokens
    code, _, err = huashu(
        capsys, "batch", "rewrite", str(source), "-o", str(tmp_path / "o.csv"), "--tpm", "600000"
    )
    assert code == 0, err
    times = sorted(r.at for r in endpoint.requests)
    estimate = sum(len(m["content"]) for m in endpoint.requests[0].body["messages"]) + 1024
    assert times[-1] - times[0] >= 3 * estimate * 60 / 600000 * 0.9


def test_unknown_tone_and_same_input_output_fail_before_any_request(
    endpoint: BatchServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_csv(tmp_path / "lib.csv", library_rows(1))
    code, _, err = huashu(
        capsys, "batch", "rewrite", str(source), "-o", str(tmp_path / "o.csv"), "--tone", "火星"
    )
    assert code == 2 and "unknown tone '火星'" in err
    code, _, err = huashu(capsys, "batch", "rewrite", str(source), "-o", str(source))
    assert code == 2 and "must not be the input file" in err
    assert endpoint.requests == []


def test_an_endpoint_that_keeps_failing_stops_the_run_and_keeps_finished_rows(
    endpoint: BatchServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fine = {f"{BAD_TEMPLATE}，第{i}号" for i in (1, 2)}

    def respond(body: dict[str, Any]) -> Scripted:
        ok = original_text(body) in fine
        return passing_rewrite(body) if ok else ErrorStatus(503, "down", headers={"Retry-After": "0"})

    endpoint.responder = respond
    source = write_csv(tmp_path / "lib.csv", library_rows(60))
    out = tmp_path / "o.csv"
    code, _, err = huashu(capsys, "batch", "rewrite", str(source), "-o", str(out), "--concurrency", "2")
    assert code == 4
    assert "failed for 7 rows in a row" in err and "--resume" in err
    assert not out.exists()
    saved = (tmp_path / "o.csv.checkpoint.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(saved) == 2  # the two rows that did finish are kept for --resume
    assert len(endpoint.requests) < 60 * 2  # it stopped long before trying every row


def test_the_checkpoint_can_be_neither_the_input_nor_a_file_the_run_writes(
    endpoint: BatchServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_csv(tmp_path / "lib.csv", library_rows(2))
    before = source.read_bytes()
    out = tmp_path / "o.jsonl"
    code, _, err = huashu(
        capsys, "batch", "rewrite", str(source), "-o", str(out), "--checkpoint", str(source)
    )
    assert code == 2 and "the checkpoint must not be the input file" in err, err
    assert source.read_bytes() == before  # the input is never changed
    code, _, err = huashu(capsys, "batch", "rewrite", str(source), "-o", str(out), "--checkpoint", str(out))
    assert code == 2 and "the checkpoint must not be the output file" in err, err
    report = tmp_path / "r.md"
    code, _, err = huashu(
        capsys, "batch", "rewrite", str(source), "-o", str(out), "--report", str(report),
        "--checkpoint", str(report),
    )  # fmt: skip
    assert code == 2 and "the checkpoint must not be the report" in err, err
    code, _, err = huashu(capsys, "batch", "rewrite", str(source), "-o", str(out), "--report", str(source))
    assert code == 2 and "the report must not be the input file" in err, err
    assert source.read_bytes() == before
    assert endpoint.requests == [] and not out.exists()


def test_a_resumed_rewrite_is_checked_again_by_the_current_guards(
    endpoint: BatchServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_csv(tmp_path / "lib.csv", library_rows(2))
    out = tmp_path / "o.csv"
    assert huashu(capsys, "batch", "rewrite", str(source), "-o", str(out))[0] == 0
    checkpoint = tmp_path / "o.csv.checkpoint.jsonl"
    records = read_jsonl(checkpoint)
    # Rows finish in any order: edit row 1's record by hand (it still says "passed").
    first = next(r for r in records if r["row_id"] == "1")
    first["rewrite"]["text"] += "已为您办理全额退款，保证今天到账"
    checkpoint.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8"
    )
    out.unlink()
    calls = len(endpoint.requests)
    code, _, err = huashu(capsys, "batch", "rewrite", str(source), "-o", str(out), "--resume")
    assert code == 1, err
    assert len(endpoint.requests) == calls  # both rows came from the checkpoint
    edited, untouched = read_csv(out)
    assert edited["huashu_status"] == "still_violates"
    assert "保证今天到账" in edited["huashu_rewritten"]
    assert "up.absolute_guarantee" in edited["huashu_findings_after"]
    assert untouched["huashu_status"] == "rewritten" and untouched["huashu_findings_after"] == ""


def test_the_report_names_the_endpoint_without_its_credentials(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    password, key = "pa55-w0rd-4711", "sk-query-SECRET-0815"
    source = write_csv(tmp_path / "lib.csv", library_rows(1))
    with FaultServer([ChatAnswer(PROMISE)], model="batch-model") as server:
        url = server.base_url.replace("http://", f"http://huashu:{password}@") + f"?api-key={key}"
        monkeypatch.setenv("HUASHU_BASE_URL", url)
        monkeypatch.setenv("HUASHU_MODEL", "batch-model")
        monkeypatch.setenv("HUASHU_CONFIG", str(tmp_path / "no-config.toml"))
        reports = ["--report", str(tmp_path / "r.md"), "--report", str(tmp_path / "r.html")]
        code, out, err = huashu(
            capsys, "batch", "rewrite", str(source), "-o", str(tmp_path / "o.csv"), *reports
        )
    assert code == 1, err
    for text in (out, err, *(p.read_text(encoding="utf-8") for p in tmp_path.glob("*.*"))):
        assert password not in text and key not in text
    assert f"batch-model at http://***@{server.base_url[7:]}?api-key=***" in (tmp_path / "r.md").read_text(
        encoding="utf-8"
    )
