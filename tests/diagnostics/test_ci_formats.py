"""CI integration: SARIF validity, GitHub annotation escaping, budgets, pre-commit, docs/ci.md."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from slimdsl.api import check_file, check_source
from slimdsl.cli import main
from slimdsl.diagnostics import CODES, Diagnostic, Note, Span, printer

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "tests" / "data" / "sarif-schema-2.1.0.json"
GOLDEN = sorted((ROOT / "tests" / "golden").glob("**/*.slim"))
CI_DOC = ROOT / "docs" / "ci.md"


def _slimc(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


# ---------------------------------------------------------------------------- SARIF


@pytest.fixture(scope="module")
def sarif_validator():
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA.read_text())
    assert schema["id"].startswith("https://docs.oasis-open.org/sarif/sarif/v2.1.0/")
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def test_sarif_of_every_golden_error_validates(sarif_validator, monkeypatch):
    monkeypatch.chdir(ROOT)  # paths as CI passes them: relative to the repository root
    results = [check_file(str(p.relative_to(ROOT))) for p in GOLDEN]
    log = json.loads(printer.format_sarif([(r.path, r.diagnostics) for r in results]))
    errors = sorted(sarif_validator.iter_errors(log), key=str)
    assert not errors, errors[0]
    run = log["runs"][0]
    errors_expected = sum(1 for p in GOLDEN if p.parent.name == "errors")  # codegen ones: clean
    assert len(run["results"]) == sum(len(r.diagnostics) for r in results) >= errors_expected
    rules = run["tool"]["driver"]["rules"]
    for res in run["results"]:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"] in CODES
        region = res["locations"][0]["physicalLocation"]["region"]
        assert region["startLine"] >= 1 and region["startColumn"] >= 1
        location = res["locations"][0]["physicalLocation"]["artifactLocation"]
        assert location["uri"].startswith("tests/golden/")
        assert location["uriBaseId"] == "%SRCROOT%"


def test_sarif_paths(sarif_validator):
    diags = [("./models/a b.slim", [Diagnostic(Span("./models/a b.slim", 2, 3, 2, 4), "error",
                                               "shape", "x")]),
             ("/abs/m.slim", [Diagnostic(Span("/abs/m.slim", 1, 1, 1, 2), "error", "io", "y")])]
    log = json.loads(printer.format_sarif(diags))
    assert not list(sarif_validator.iter_errors(log))
    locations = [r["locations"][0]["physicalLocation"]["artifactLocation"]
                 for r in log["runs"][0]["results"]]
    assert locations == [{"uri": "models/a%20b.slim", "uriBaseId": "%SRCROOT%"},
                         {"uri": "file:///abs/m.slim"}]


def test_sarif_clean_and_budget_validate(sarif_validator, capsys):
    code, out, _ = _slimc(capsys, "check", "--format", "sarif", str(ROOT / "models" / "vgg.slim"))
    assert code == 0
    log = json.loads(out)
    assert list(sarif_validator.iter_errors(log)) == [] and log["runs"][0]["results"] == []
    code, out, _ = _slimc(capsys, "check", "--format", "sarif", "--max-params", "1M",
                          str(ROOT / "models" / "vgg.slim"))
    log = json.loads(out)
    assert code == 1 and list(sarif_validator.iter_errors(log)) == []
    assert [r["ruleId"] for r in log["runs"][0]["results"]] == ["budget"]


def test_sarif_schema_rejects_a_broken_log(sarif_validator):
    """The validator really validates: a result without a message is invalid."""
    log = json.loads(printer.format_sarif([("m.slim", [Diagnostic(
        Span("m.slim", 1, 1, 1, 2), "error", "shape", "x")])]))
    del log["runs"][0]["results"][0]["message"]
    assert list(sarif_validator.iter_errors(log))


# ---------------------------------------------------------------------------- GitHub


def _unescape(text: str) -> str:
    """The inverse of actions/toolkit's escapeData/escapeProperty."""
    return (text.replace("%2C", ",").replace("%3A", ":").replace("%0A", "\n")
            .replace("%0D", "\r").replace("%25", "%"))


def _parse_command(line: str) -> tuple[str, dict[str, str], str]:
    m = re.fullmatch(r"::(\w+) ([^:]*)::(.*)", line)
    assert m, line
    props = dict(item.split("=", 1) for item in m.group(2).split(","))
    return m.group(1), {k: _unescape(v) for k, v in props.items()}, _unescape(m.group(3))


def test_github_annotation_escaping():
    path = "dir,a:b/100%/m\r.slim"
    diag = Diagnostic(Span(path, 3, 5, 3, 9), "error", "shape",
                      "50% done: a, b\r\nnext line", (Note("see: here, there"),))
    line = printer.format_github(diag)
    assert "\n" not in line and "\r" not in line
    assert line == ("::error file=dir%2Ca%3Ab/100%25/m%0D.slim,line=3,col=5,endLine=3,"
                    "endColumn=9,title=slimc [shape]::50%25 done: a, b%0D%0Anext line"
                    "%0Anote: see: here, there")
    level, props, message = _parse_command(line)
    assert level == "error" and props["file"] == path and props["line"] == "3"
    assert props["title"] == "slimc [shape]"
    assert message == "50% done: a, b\r\nnext line\nnote: see: here, there"


def test_github_levels_and_cli(capsys, tmp_path):
    warn = Diagnostic(Span("m.slim", 1, 1, 1, 2), "warning", "unused", "w")
    note = Diagnostic(Span("m.slim", 1, 1, 1, 2), "note", "unused", "n")
    assert printer.format_github(warn).startswith("::warning ")
    assert printer.format_github(note).startswith("::notice ")
    bad = tmp_path / "bad,1.slim"
    bad.write_text("model m {\n  input x: [?, 4, 4, 3]\n  conv2d(8, 5, padding=\"VALID\")\n}\n")
    code, out, _ = _slimc(capsys, "check", "--format", "github", str(bad))
    assert code == 1
    [annotation] = [line for line in out.splitlines() if line.startswith("::")]
    level, props, message = _parse_command(annotation)
    assert (level, props["file"], props["line"], props["col"]) == ("error", str(bad), "3", "3")
    assert "cannot take [?, 4, 4, 3]" in message


def test_json_format_keys(capsys, tmp_path):
    bad = tmp_path / "bad.slim"
    bad.write_text("model m {\n  input x: [?, 4, 4, 3]\n  conv2d(8, 5, padding=\"VALID\")\n}\n")
    code, out, _ = _slimc(capsys, "check", "--format", "json", str(bad))
    data = json.loads(out)
    [d] = data["files"][0]["diagnostics"]
    assert code == 1 and data["files"][0]["ok"] is False
    assert set(d) >= {"severity", "code", "message", "line", "column", "end_line", "end_column"}


# ---------------------------------------------------------------------------- budgets


def test_budget_findings_at_model_name(capsys):
    vgg16 = str(ROOT / "models" / "vgg_16.slim")
    code, out, _ = _slimc(capsys, "check", "--max-params", "100M", "--max-flops", "1e10", vgg16)
    assert code == 1
    assert "vgg_16.slim:3:7: error: model 'vgg_16' has 138,357,544 parameters, over the budget " \
           "of 100,000,000 (--max-params) [budget]" in out
    assert "needs 30,960,206,824 FLOPs per example, over the budget of 10,000,000,000" in out
    assert "    model vgg_16 = vgg(convs=[2, 2, 3, 3, 3])\n          ^~~~~~" in out
    assert _slimc(capsys, "check", "--max-params", "139M", "--max-flops", "31G", vgg16)[0] == 0
    code, out, _ = _slimc(capsys, "check", "--format", "json", "--max-params", "138357543", vgg16)
    [d] = json.loads(out)["files"][0]["diagnostics"]
    assert (code, d["code"], d["line"], d["column"], d["end_column"]) == (1, "budget", 3, 7, 13)


def test_a_flops_budget_on_symbolic_sizes_asks_for_them(capsys, tmp_path):
    """A gate such as --max-flops 1G must not pass quietly once the inputs become [?, H, W, 3]."""
    model = tmp_path / "fcn.slim"
    model.write_text("model fcn {\n  input x: [?, H, W, 3]\n  conv2d(8, 3) as c\n}\n")
    code, out, _ = _slimc(capsys, "check", "--max-flops", "1G", str(model))
    assert code == 1, out
    assert "fcn.slim:1:7: error: model 'fcn' needs " in out and "H·W" in out
    assert "the budget of 1,000,000,000 (--max-flops) needs its input sizes; give them with " \
           "--input [budget]" in out
    assert _slimc(capsys, "check", "--max-flops", "1G", "--input", "x=[1,64,64,3]",
                  str(model))[0] == 0
    code, out, _ = _slimc(capsys, "check", "--max-flops", "1M", "--input", "x=[1,64,64,3]",
                          str(model))
    assert code == 1 and "over the budget of 1,000,000" in out


def test_budget_bad_value_is_usage_error(capsys):
    with pytest.raises(SystemExit) as info:
        main(["check", "--max-params", "lots", str(ROOT / "models" / "vgg.slim")])
    assert info.value.code == 2
    assert "expected a count" in capsys.readouterr().err


def test_budget_not_added_to_broken_files(capsys, tmp_path):
    bad = tmp_path / "bad.slim"
    bad.write_text("model m {\n  input x: [?, 4, 4, 3]\n  conv2d(8, 5, padding=\"VALID\")\n}\n")
    code, out, _ = _slimc(capsys, "check", "--max-params", "1", str(bad))
    assert code == 1 and "[budget]" not in out and "[shape]" in out


def test_budget_each_model_of_a_file(capsys, tmp_path):
    two = tmp_path / "two.slim"
    two.write_text("model small {\n  input x: [?, 8]\n  fully_connected(2)\n}\n"
                   "model big {\n  input x: [?, 8]\n  fully_connected(1000)\n}\n")
    result = check_source(two.read_text(), str(two))
    assert [g.total_params for g in result.graphs] == [18, 9000]
    code, out, _ = _slimc(capsys, "check", "--max-params", "1K", str(two))
    assert code == 1 and out.count("[budget]") == 1 and f"{two}:5:7:" in out


# ---------------------------------------------------------------------------- pre-commit


def _pre_commit() -> list[str]:
    pytest.importorskip("pre_commit", reason="pre-commit not installed (pip install pre-commit)")
    return [sys.executable, "-m", "pre_commit"]


def test_pre_commit_manifest_is_valid():
    r = subprocess.run(_pre_commit() + ["validate-manifest", str(ROOT / ".pre-commit-hooks.yaml")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    yaml = pytest.importorskip("yaml")
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert {h["id"] for h in hooks} == {"slimc-check", "slimc-fmt", "slimc-fmt-check"}
    for h in hooks:
        assert h["entry"].split()[0] == "slimc" and re.search(h["files"], "models/vgg.slim")


# ---------------------------------------------------------------------------- docs/ci.md


def _doc_block(marker: str) -> str:
    text = CI_DOC.read_text()
    m = re.search(rf"<!-- test: {re.escape(marker)}\b[^>]*-->\n```\w+\n(.*?)\n```", text, re.S)
    assert m, f"docs/ci.md has no block marked {marker!r}"
    return m.group(1) + "\n"


def _run_workflow(workdir: Path) -> tuple[bool, str]:
    """Run the documented workflow's steps as GitHub would (bash -e, stop at the first failure
    unless `if: always()`); `uses:` steps are stand-ins, checked for what they need."""
    yaml = pytest.importorskip("yaml")
    workflow = yaml.safe_load(_doc_block("workflow"))
    [job] = workflow["jobs"].values()
    assert job["permissions"]["security-events"] == "write"
    env = {**os.environ, "GITHUB_ACTIONS": "true", "CI": "true",
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    failed, log = False, ""
    for step in job["steps"]:
        if failed and step.get("if") != "always()":
            continue
        if "uses" in step:
            if "upload-sarif" in step["uses"]:
                assert (workdir / step["with"]["sarif_file"]).is_file()
            continue
        command = step["run"]
        if command.startswith("pip install"):
            assert command.split()[-1] == "slimdsl"  # the package this repository builds
            assert 'name = "slimdsl"' in (ROOT / "pyproject.toml").read_text()
            continue
        r = subprocess.run(["bash", "-e", "-c", command], cwd=workdir, env=env,
                           capture_output=True, text=True, timeout=120)
        log += f"$ {command}\n{r.stdout}{r.stderr}"
        failed = failed or r.returncode != 0
    return not failed, log


@pytest.mark.slow  # runs the workflow steps as subprocesses (~4 s)
def test_docs_ci_flow(tmp_path, sarif_validator):
    broken, fixed = _doc_block("broken-model"), _doc_block("fixed-model")
    models = tmp_path / "models"
    models.mkdir()
    (models / "tiny.slim").write_text(broken)
    ok, log = _run_workflow(tmp_path)
    assert not ok, log
    assert "::error file=models/tiny.slim,line=7," in log
    shown = re.search(r"```text\n(::error .*)\n```", CI_DOC.read_text()).group(1)
    assert shown in log  # the annotation the doc shows is the one slimc prints
    sarif = json.loads((tmp_path / "slimc.sarif").read_text())
    assert not list(sarif_validator.iter_errors(sarif))
    assert [r["ruleId"] for r in sarif["runs"][0]["results"]] == ["shape"]

    (models / "tiny.slim").write_text(fixed)
    ok, log = _run_workflow(tmp_path)
    assert ok, log
    assert json.loads((tmp_path / "slimc.sarif").read_text())["runs"][0]["results"] == []


@pytest.mark.slow
def test_docs_pre_commit_flow(tmp_path):
    """The documented local hooks, run by pre-commit in a fresh git repository."""
    pre_commit = _pre_commit()
    git = shutil.which("git")
    if git is None:
        pytest.skip("git not installed")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "PRE_COMMIT_HOME": str(tmp_path / "cache"), "GIT_AUTHOR_NAME": "t",
           "GIT_AUTHOR_EMAIL": "t@example.invalid", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.invalid"}
    repo = tmp_path / "repo"
    (repo / "models").mkdir(parents=True)
    (repo / ".pre-commit-config.yaml").write_text(_doc_block("pre-commit-config"))
    (repo / "page.slim").write_text("doctype html\nhtml\n  body\n    p Ruby Slim, not checked\n")
    (repo / "models" / "tiny.slim").write_text(_doc_block("broken-model"))

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(list(args), cwd=repo, env=env, capture_output=True, text=True,
                              timeout=300)

    assert run(*pre_commit, "validate-config", ".pre-commit-config.yaml").returncode == 0
    run(git, "init", "-q")
    run(git, "add", ".")
    r = run(*pre_commit, "run", "--all-files")
    assert r.returncode == 1 and "[shape]" in r.stdout, r.stdout + r.stderr
    (repo / "models" / "tiny.slim").write_text(_doc_block("fixed-model"))
    run(git, "add", ".")
    r = run(*pre_commit, "run", "--all-files")
    assert r.returncode == 0, r.stdout + r.stderr
