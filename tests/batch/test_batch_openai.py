"""Scale out: export Batch API requests, run them elsewhere, import the results back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from batch_helpers import BAD_TEMPLATE, CLEAN_TEMPLATE, huashu, library_rows, read_csv, read_jsonl, write_csv

from drafting.batch.testing import passing_rewrite
from drafting.fake import reply_json

PROMISE = reply_json(
    "complaint", soothe="理解您", apology="抱歉", solution="保证今天解决", commitment="马上到账"
)


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No endpoint at all: export and import never talk to a model."""
    for name in ("HUASHU_BASE_URL", "HUASHU_API_KEY", "OPENAI_BASE_URL", "OPENAI_API_KEY", "HUASHU_MODEL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HUASHU_CONFIG", str(tmp_path / "no-config.toml"))


def passing_content(body: dict[str, Any]) -> str:
    return passing_rewrite(body).content


def batch_service(requests: list[dict[str, Any]], answer: Any = passing_content) -> list[dict[str, Any]]:
    """What the Batch API (or `vllm run-batch`) writes for these requests."""
    results = []
    for number, request in enumerate(requests):
        content = answer(request["body"])
        body = {
            "id": f"chatcmpl-{number}",
            "object": "chat.completion",
            "model": request["body"]["model"],
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
            ],
            "usage": {"prompt_tokens": 500, "completion_tokens": 200, "total_tokens": 700},
        }
        response = {"status_code": 200, "request_id": f"req-{number}", "body": body}
        results.append(
            {
                "id": f"batch_req_{number}",
                "custom_id": request["custom_id"],
                "response": response,
                "error": None,
            }
        )
    return results


def write_lines(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def test_export_then_import_gives_the_same_output_as_a_live_run(
    offline: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [
        *library_rows(3),
        ["4", "投诉", f"{BAD_TEMPLATE}，第1号", "copy"],
        ["5", "物流", CLEAN_TEMPLATE, ""],
    ]
    source = write_csv(tmp_path / "lib.csv", rows)
    requests_file = tmp_path / "requests.jsonl"
    code, _, err = huashu(
        capsys, "batch", "export", str(source), "-o", str(requests_file), "--model", "gpt-4o-mini"
    )
    assert code == 0, err
    requests = read_jsonl(requests_file)
    assert len(requests) == 3  # rows 1 and 4 are the same template; row 5 is clean
    first = requests[0]
    assert first["method"] == "POST" and first["url"] == "/v1/chat/completions"
    assert first["custom_id"].startswith("huashu-")
    body = first["body"]
    assert body["model"] == "gpt-4o-mini" and body["response_format"]["type"] == "json_schema"
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert body["messages"][1]["content"].endswith(f"{BAD_TEMPLATE}，第1号")

    results = write_lines(tmp_path / "results.jsonl", batch_service(requests))
    out = tmp_path / "out.csv"
    code, _, err = huashu(capsys, "batch", "import", str(results), "--input", str(source), "-o", str(out),
                          "--report", str(tmp_path / "r.md"))  # fmt: skip
    assert code == 0, err
    result = read_csv(out)
    assert [r["huashu_status"] for r in result] == ["rewritten"] * 4 + ["clean"]
    assert result[0]["huashu_rewritten"] == result[3]["huashu_rewritten"]
    assert {r["huashu_model"] for r in result[:4]} == {"gpt-4o-mini"}
    assert "| 5 | 1 | 4 | 0 | 0 |" in (tmp_path / "r.md").read_text(encoding="utf-8")


def test_import_checks_every_answer_and_reports_missing_and_failed_results(
    offline: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_csv(tmp_path / "lib.csv", library_rows(4))
    huashu(capsys, "batch", "export", str(source), "-o", str(tmp_path / "req.jsonl"), "--model", "m")
    requests = read_jsonl(tmp_path / "req.jsonl")
    answers = {requests[1]["custom_id"]: PROMISE, requests[2]["custom_id"]: "这不是 JSON"}
    results = batch_service(requests[:3])
    for result in results:
        content = answers.get(result["custom_id"])
        if content:
            result["response"]["body"]["choices"][0]["message"]["content"] = content
    failed = {"custom_id": requests[3]["custom_id"], "response": None,
              "error": {"code": "server_error", "message": "the batch worker crashed"}}  # fmt: skip
    write_lines(tmp_path / "res.jsonl", [*results, failed])
    code, _, _ = huashu(capsys, "batch", "import", str(tmp_path / "res.jsonl"), "--input", str(source),
                        "-o", str(tmp_path / "o.jsonl"))  # fmt: skip
    assert code == 1
    out = read_jsonl(tmp_path / "o.jsonl")
    assert [r["huashu_status"] for r in out] == ["rewritten", "still_violates", "error", "error"]
    assert "up.absolute_guarantee" in out[1]["huashu_findings_after"]
    assert "not a usable reply" in out[2]["huashu_error"]
    assert "the batch worker crashed" in out[3]["huashu_error"]

    write_lines(tmp_path / "partial.jsonl", results[:1])
    huashu(
        capsys,
        "batch",
        "import",
        str(tmp_path / "partial.jsonl"),
        "--input",
        str(source),
        "-o",
        str(tmp_path / "p.csv"),
    )
    errors = [r["huashu_error"] for r in read_csv(tmp_path / "p.csv")]
    assert errors[0] == "" and all(e.startswith("no result for this row") for e in errors[1:])


def test_export_needs_a_model_name_and_import_a_results_file(
    offline: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_csv(tmp_path / "lib.csv", library_rows(1))
    code, _, err = huashu(capsys, "batch", "export", str(source), "-o", str(tmp_path / "r.jsonl"))
    assert code == 2 and "give --model or set HUASHU_MODEL" in err
    (tmp_path / "empty.jsonl").write_text("\n", encoding="utf-8")
    code, _, err = huashu(capsys, "batch", "import", str(tmp_path / "empty.jsonl"), "--input", str(source),
                          "-o", str(tmp_path / "o.csv"))  # fmt: skip
    assert code == 2 and "has no results" in err


def test_a_torn_results_line_is_an_error_row_and_the_other_rows_are_imported(
    offline: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_csv(tmp_path / "lib.csv", library_rows(4))
    huashu(capsys, "batch", "export", str(source), "-o", str(tmp_path / "req.jsonl"), "--model", "m")
    lines = [json.dumps(r, ensure_ascii=False) for r in batch_service(read_jsonl(tmp_path / "req.jsonl"))]
    lines[2] = lines[2][: len(lines[2]) // 2]  # the job was killed while writing line 3
    lines.insert(4, '{"no": "custom_id"}')  # line 5: JSON, but no result
    results = tmp_path / "res.jsonl"
    results.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out, report = tmp_path / "o.csv", tmp_path / "r.md"
    code, _, err = huashu(capsys, "batch", "import", str(results), "--input", str(source), "-o", str(out),
                          "--report", str(report))  # fmt: skip
    assert code == 1, err
    rows = read_csv(out)
    assert [r["huashu_status"] for r in rows] == ["rewritten", "rewritten", "error", "rewritten"]
    assert "its result, line 3 of res.jsonl is not valid JSON" in rows[2]["huashu_error"]
    assert "res.jsonl: 2 lines could not be read (line 3, 5)" in err
    assert "unreadable results: 2 (line 3, 5)" in report.read_text(encoding="utf-8")


def test_failed_batch_requests_are_told_in_words_and_the_report_is_the_import_s(
    offline: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_csv(tmp_path / "lib.csv", library_rows(3))
    huashu(capsys, "batch", "export", str(source), "-o", str(tmp_path / "req.jsonl"), "--model", "m")
    ids = [r["custom_id"] for r in read_jsonl(tmp_path / "req.jsonl")]
    limited = {"error": {"message": "Rate limit reached for m", "type": "requests", "code": "rate_limit"}}
    results = [
        {
            "custom_id": ids[0],
            "response": None,
            "error": {"code": "server_error", "message": "internal failure"},
        },
        {"custom_id": ids[1], "response": {"status_code": 429, "body": limited}, "error": None},
        {"custom_id": ids[2], "response": {"status_code": 504, "body": "upstream timed out"}, "error": None},
    ]
    write_lines(tmp_path / "res.jsonl", results)
    report = tmp_path / "r.md"
    code, _, _ = huashu(capsys, "batch", "import", str(tmp_path / "res.jsonl"), "--input", str(source),
                        "-o", str(tmp_path / "o.csv"), "--report", str(report))  # fmt: skip
    assert code == 1
    errors = [r["huashu_error"] for r in read_csv(tmp_path / "o.csv")]
    assert errors == [
        "the batch request failed: internal failure (server_error)",
        "the batch request failed (429): Rate limit reached for m (rate_limit)",
        "the batch request failed (504): upstream timed out",
    ]
    assert report.read_text(encoding="utf-8").startswith("## huashu batch import: lib.csv\n")
