"""docs/samples/drafts.md is what its generator writes from the recorded compose cassettes."""

from __future__ import annotations

import importlib.util
from pathlib import Path

SAMPLES = Path(__file__).resolve().parents[2] / "docs" / "samples"


def test_the_sample_page_is_up_to_date() -> None:
    spec = importlib.util.spec_from_file_location("generate_drafts", SAMPLES / "generate_drafts.py")
    assert spec is not None and spec.loader is not None
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    page = (SAMPLES / "drafts.md").read_text(encoding="utf-8")
    assert generator.render("compose") == page, "regenerate it: python docs/samples/generate_drafts.py"
    assert page.count("\n## ") == 10
