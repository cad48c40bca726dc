"""Policy loading: one clear error per bad file, and company files merged over the default."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

import guards
from guards.loader import default_policy_text

META = '[meta]\nname = "acme"\nversion = "1"\n'
SOURCE = 'source = { file = "003_51b790690fd19781.txt", line = "x" }'


def write(tmp_path: Path, body: str | bytes, name: str = "company.toml") -> Path:
    path = tmp_path / name
    if isinstance(body, bytes):
        path.write_bytes(body)
    else:
        path.write_text(body, encoding="utf-8")
    return path


def load_error(path: Path) -> str:
    with pytest.raises(guards.PolicyError) as info:
        guards.load_policy(path)
    message = str(info.value)
    assert "\n" not in message, "the error is one line"
    assert message.startswith(f"{path}: "), "the error names the file"
    return message


def phrase_rule(rule_id: str, **fields: str) -> str:
    values = {"severity": '"block"', "patterns": '["测试违规"]', "message": '"m"'} | fields
    lines = "\n".join(f"{k} = {v}" for k, v in values.items())
    return f'[[forbidden_phrase]]\nid = "{rule_id}"\n{lines}\n{SOURCE}\n'


@pytest.mark.parametrize(
    ("body", "field", "hint"),
    [
        (META + "colour = 1\n", "meta.colour", "unknown field"),
        (META + phrase_rule("fp.new", colour='"red"'), "forbidden_phrase[fp.new].colour", "unknown field"),
        (
            META + phrase_rule("fp.new", severity='"fatal"'),
            "forbidden_phrase[fp.new].severity",
            "'block' or 'warn'",
        ),
        (
            META + phrase_rule("fp.dont_know", patterns='["(不知道"]'),
            "forbidden_phrase[fp.dont_know].patterns[0]",
            "invalid regular expression",
        ),
        (
            META + phrase_rule("fp.new", patterns='["ok", "[bad"]'),
            "forbidden_phrase[fp.new].patterns[1]",
            "invalid regular expression",
        ),
        (
            META + '[[unkeepable_promise.commitments]]\nid = "up.deadline.complaint_followup"\n'
            'within = "2 weeks"\n',
            "unkeepable_promise.commitments[up.deadline.complaint_followup].within",
            "invalid duration",
        ),
        (
            META
            + '[[forbidden_phrase]]\nid = "fp.new"\nseverity = "block"\npatterns = ["x"]\n'
            + SOURCE
            + "\n",
            "forbidden_phrase[fp.new].message",
            "required field is missing",
        ),
        (META + phrase_rule("Bad Id"), "forbidden_phrase[Bad Id].id", "should match pattern"),
        (
            META + "[privacy]\nnot_personal_cues = ['订单(']\n",
            "privacy.not_personal_cues[0]",
            "invalid regular",
        ),
        (
            META + '[[missing_structure.scenarios]]\nscenario = "refund"\nelements = []\n' + SOURCE + "\n",
            "missing_structure.scenarios[refund].scenario",
            "Input should be",
        ),
        (
            META + phrase_rule("fp.new", patterns="['(?i)whatever']"),
            "forbidden_phrase[fp.new].patterns[0]",
            "must be scoped, e.g. (?i:abc)",
        ),
        (
            META + phrase_rule("fp.new", patterns="['(?P<x>不)知道']"),
            "forbidden_phrase[fp.new].patterns[0]",
            "named groups are not supported",
        ),
        (
            META + phrase_rule("fp.new", unless="['(好)\\1']"),
            "forbidden_phrase[fp.new].unless[0]",
            "backreferences",
        ),
        ('[meta]\nname = "acme"\n', "meta.version", "required field is missing"),
        (
            META + phrase_rule("fp.new") + phrase_rule("fp.new2").replace("fp.new2", "fp.new"),
            "(top level)",
            "used twice",
        ),
    ],
    ids=[
        "unknown-key",
        "unknown-key-in-rule",
        "bad-severity",
        "bad-regex",
        "bad-regex-second",
        "bad-duration",
        "missing-message",
        "bad-id",
        "bad-cue-regex",
        "bad-scenario",
        "global-flags",
        "named-group",
        "backreference",
        "missing-meta-field",
        "duplicate-id",
    ],
)
def test_invalid_file_gives_one_error_naming_file_and_field(
    tmp_path: Path, body: str, field: str, hint: str
) -> None:
    message = load_error(write(tmp_path, body))
    assert f": {field}: " in message
    assert hint in message


def test_toml_syntax_error(tmp_path: Path) -> None:
    message = load_error(write(tmp_path, "[meta\nname = 1\n"))
    assert "invalid TOML" in message and "line 1" in message


def test_not_utf8(tmp_path: Path) -> None:
    message = load_error(write(tmp_path, '[meta]\nname = "\xb6\xd4"\n'.encode("latin-1")))
    assert "not UTF-8" in message and "save the policy file as UTF-8" in message


def test_gbk_encoded_file_is_not_utf8(tmp_path: Path) -> None:
    message = load_error(write(tmp_path, '[meta]\nname = "默认话术"\n'.encode("gbk")))
    assert "not UTF-8" in message


def test_missing_file(tmp_path: Path) -> None:
    message = load_error(tmp_path / "nope.toml")
    assert "no such policy file" in message


def test_directory_instead_of_file(tmp_path: Path) -> None:
    message = load_error(tmp_path)
    assert "cannot read" in message


def test_extends_none_requires_a_complete_policy(tmp_path: Path) -> None:
    message = load_error(write(tmp_path, META + 'extends = "none"\n'))
    assert ': unkeepable_promise: required section is missing (a policy with extends = "none"' in message
    assert "more problems: tone, privacy" in message


def test_extends_none_with_a_complete_policy_stands_alone(tmp_path: Path) -> None:
    default_text = default_policy_text()
    assert 'extends = "none"' in default_text
    policy = guards.load_policy(write(tmp_path, default_text + "\n" + phrase_rule("fp.standalone")))
    default = guards.default_policy()
    assert policy.meta == default.meta
    assert [r.id for r in policy.forbidden_phrase] == [
        *(r.id for r in default.forbidden_phrase),
        "fp.standalone",
    ]
    assert set(policy.rule_ids()) - set(default.rule_ids()) == {"fp.standalone"}


def test_bad_extends_value(tmp_path: Path) -> None:
    message = load_error(write(tmp_path, META + 'extends = "defaults"\n'))
    assert ": meta.extends: " in message and "'default' or 'none'" in message


def test_meta_that_is_not_a_table(tmp_path: Path) -> None:
    message = load_error(write(tmp_path, 'meta = "acme"\n'))
    assert ": meta: " in message


def test_company_file_overrides_rule_fields_by_id(tmp_path: Path) -> None:
    body = META + '[[forbidden_phrase]]\nid = "fp.please_wait"\nseverity = "block"\n'
    policy = guards.load_policy(write(tmp_path, body))
    default = guards.default_policy()
    rule = next(r for r in policy.forbidden_phrase if r.id == "fp.please_wait")
    original = next(r for r in default.forbidden_phrase if r.id == "fp.please_wait")
    assert rule.severity == "block" and original.severity == "warn"
    assert rule.patterns == original.patterns and rule.source == original.source
    assert policy.rule_ids() == default.rule_ids(), "an override keeps the rule in place"
    assert not guards.check("请稍等", policy=guards.compile_policy(policy)).ok
    assert guards.check("请稍等", policy=guards.compile_policy(default)).ok


def test_company_file_replaces_a_whole_rule(tmp_path: Path) -> None:
    body = META + phrase_rule("fp.dont_know", patterns='["不造"]', message='"别说不造"')
    policy = guards.load_policy(write(tmp_path, body))
    rule = next(r for r in policy.forbidden_phrase if r.id == "fp.dont_know")
    assert rule.patterns == ["不造"] and rule.message == "别说不造"
    ids = [v.rule_id for v in guards.check("这个我不造", policy=guards.compile_policy(policy)).violations]
    assert "fp.dont_know" in ids


def test_company_file_adds_new_rules(tmp_path: Path) -> None:
    body = META + phrase_rule("fp.acme.no_discount", patterns='["不打折"]')
    policy = guards.load_policy(write(tmp_path, body))
    assert policy.rule_ids()[: len(policy.forbidden_phrase)][-1] == "fp.acme.no_discount"
    assert set(guards.default_policy().rule_ids()) < set(policy.rule_ids())
    report = guards.check("本店商品不打折。", policy=guards.compile_policy(policy))
    assert [v.rule_id for v in report.violations if v.category == "forbidden_phrase"] == [
        "fp.acme.no_discount"
    ]


def test_disable_removes_rules(tmp_path: Path) -> None:
    body = META.replace('version = "1"\n', 'version = "1"\ndisable = ["fp.dont_know", "pv.email"]\n')
    policy = guards.load_policy(write(tmp_path, body))
    assert "fp.dont_know" not in policy.rule_ids() and "pv.email" not in policy.rule_ids()
    assert "fp.dont_know" not in [
        v.rule_id for v in guards.check("我不知道", policy=guards.compile_policy(policy)).violations
    ]


def test_disable_a_single_table_rule_switches_it_off(tmp_path: Path) -> None:
    body = META.replace('version = "1"\n', 'version = "1"\ndisable = ["tone.exclamation"]\n')
    policy = guards.load_policy(write(tmp_path, body))
    assert "tone.exclamation" in [v.rule_id for v in guards.check("好的！").violations]
    assert "tone.exclamation" not in [
        v.rule_id for v in guards.check("好的！", policy=guards.compile_policy(policy)).violations
    ]


def test_disable_unknown_id_is_an_error(tmp_path: Path) -> None:
    body = META.replace('version = "1"\n', 'version = "1"\ndisable = ["fp.dont_knwo"]\n')
    message = load_error(write(tmp_path, body))
    assert ": meta.disable: unknown rule id 'fp.dont_knwo'" in message


def test_plain_lists_extend(tmp_path: Path) -> None:
    body = META + "[tone]\nallowed_caps = ['ACME', 'ID']\n[privacy]\ncompany_emails = ['@acme.com']\n"
    policy = guards.load_policy(write(tmp_path, body))
    default = guards.default_policy()
    assert policy.tone.allowed_caps == [*default.tone.allowed_caps, "ACME"], "extended, no duplicates"
    assert policy.privacy.company_emails == ["@acme.com"]
    assert policy.privacy.not_personal_cues == default.privacy.not_personal_cues


def test_keyed_scenarios_merge_by_scenario(tmp_path: Path) -> None:
    body = META + '[[missing_structure.scenarios]]\nscenario = "complaint"\nelements = ["apology"]\n'
    policy = guards.load_policy(write(tmp_path, body))
    complaint = [s for s in policy.missing_structure.scenarios if s.scenario == "complaint"]
    assert len(complaint) == 1 and complaint[0].elements == ["apology"]
    assert complaint[0].details, "fields the company did not give are kept"


def test_company_meta_replaces_the_default_meta(tmp_path: Path) -> None:
    policy = guards.load_policy(write(tmp_path, META))
    assert policy.meta.name == "acme" and policy.meta.extends == "default"


def test_default_policy_is_the_package_file() -> None:
    data = tomllib.loads(default_policy_text())
    assert guards.load_policy() is guards.default_policy()
    assert guards.default_policy().meta.name == data["meta"]["name"]


def test_fingerprint_changes_when_a_rule_changes(tmp_path: Path) -> None:
    default = guards.default_policy()
    same = guards.load_policy(write(tmp_path, default_policy_text(), "same.toml"))
    assert guards.policy_fingerprint(same) == guards.policy_fingerprint(default)
    changed = guards.load_policy(
        write(tmp_path, META.replace('"acme"', '"huashu-default"') + phrase_rule("fp.dont_know"), "x.toml")
    )
    assert guards.policy_fingerprint(changed) != guards.policy_fingerprint(default)
    severity_only = guards.load_policy(
        write(tmp_path, META + '[[forbidden_phrase]]\nid = "fp.please_wait"\nseverity = "block"\n', "y.toml")
    )
    meta_only = guards.load_policy(write(tmp_path, META, "z.toml"))
    assert guards.policy_fingerprint(severity_only) != guards.policy_fingerprint(meta_only)
    assert len(guards.policy_fingerprint(default)) == 16


def test_loading_does_not_change_the_default(tmp_path: Path) -> None:
    before = guards.policy_fingerprint(guards.default_policy())
    guards.load_policy(write(tmp_path, META + phrase_rule("fp.dont_know", patterns='["x"]')))
    assert guards.policy_fingerprint(guards.default_policy()) == before


def test_disable_switches_off_a_draft_check(tmp_path: Path) -> None:
    path = tmp_path / "acme.toml"
    path.write_text(
        '[meta]\nname = "acme"\nversion = "1"\ndisable = ["da.repeated_sentence"]\n', encoding="utf-8"
    )
    policy = guards.load_policy(path)
    text = "非常抱歉给您带来不便。非常抱歉给您带来不便。"
    with_default = guards.check(text, draft=guards.DraftInputs())
    with_company = guards.check(text, draft=guards.DraftInputs(), policy=guards.compile_policy(policy))
    assert "da.repeated_sentence" in {v.rule_id for v in with_default.violations}
    assert "da.repeated_sentence" not in {v.rule_id for v in with_company.violations}
