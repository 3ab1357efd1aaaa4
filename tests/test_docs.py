"""The documentation cannot go stale: generated references equal what the code generates, every relative
link and image in the README and docs/ points at a file, and every code block marked runnable runs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import ROOT

from mrlens.docs import pages

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
RUNNABLE = re.compile(r"^```python runnable\n(.*?)^```", re.M | re.S)


@pytest.mark.parametrize("path", list(pages()), ids=lambda p: p.name)
def test_generated_reference_is_current(path: Path) -> None:
    expected = pages()[path]
    assert path.exists() and path.read_text(encoding="utf-8") == expected, (
        f"{path.relative_to(ROOT)} is stale: run `.venv/bin/python -m mrlens.docs`"
    )


def test_relative_links_and_images_point_at_files() -> None:
    broken = []
    for doc in DOCS:
        text = re.sub(r"```.*?```", "", doc.read_text(encoding="utf-8"), flags=re.S)  # code is not links
        for target in LINK.findall(text):
            if re.match(r"^[a-z]+:", target) or target.startswith("#"):
                continue
            if not (doc.parent / target.split("#")[0]).exists():
                broken.append(f"{doc.relative_to(ROOT)} -> {target}")
    assert broken == []


def _runnable() -> list[tuple[str, str]]:
    return [
        (f"{doc.relative_to(ROOT)}#{i}", block)
        for doc in DOCS
        for i, block in enumerate(RUNNABLE.findall(doc.read_text(encoding="utf-8")))
    ]


def test_the_docs_hold_runnable_examples() -> None:
    """At least the Python API example, the claim snippet and the extending guide's metric example."""
    names = {name.split("#")[0] for name, _ in _runnable()}
    assert {"README.md", "docs/extending.md"} <= names


@pytest.mark.parametrize(("name", "block"), _runnable(), ids=[n for n, _ in _runnable()])
def test_runnable_block_runs(name: str, block: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # a block writes its files here
    monkeypatch.setenv("MRLENS_ROOT", str(ROOT))
    exec(compile(block, name, "exec"), {"__name__": "__docs__"})


def test_every_config_key_has_a_description() -> None:
    """The configuration reference gives each key a description, so the schema must hold one."""
    from mrlens.config import load_schema

    def missing(schema: dict, prefix: str) -> list[str]:
        found = []
        for key, sub in (schema.get("properties") or {}).items():
            if not sub.get("description"):
                found.append(prefix + key)
            found += missing(sub, f"{prefix}{key}.")
        return found

    schema = load_schema(ROOT / "workflow" / "schemas" / "config.schema.yaml")
    defs = [key for name, sub in schema["$defs"].items() for key in missing(sub, f"$defs.{name}.")]
    assert missing(schema, "") + defs == []


FINDINGS = """# Findings

The decision rule.

## Summary

| claim | comparison | corpus / task | 32 | 384 | trend |
| --- | --- | --- | --- | --- | --- |
| a_iso | mrl − no-mrl | wiki | holds | holds (inconclusive) | · |
| a_iso | mrl-5 − no-mrl | wiki | inconclusive | reversed | · |
| c_trend | mrl − no-mrl | wiki | · | · | reversed |

Nothing to compare in this run for: g_dedicated (no such variants, tasks or sizes).

## a_iso: MRL twins are more isotropic

| comparison | corpus / task | size | d |
| --- | --- | --- | --- |
| mrl − no-mrl | wiki | 32 | +0.1 |

## c_trend: uniformity falls faster

## g_dedicated: within the margin of a dedicated model
"""


def test_findings_summary_counts_the_adjusted_verdict_of_every_cell() -> None:
    from mrlens.docs import FINDINGS_END, FINDINGS_START, findings_summary, with_findings

    summary = findings_summary(FINDINGS)
    assert "| a_iso | MRL twins are more isotropic | 4 | 2 | 1 | 1 |" in summary  # Holm's verdict, not the raw one
    assert "| c_trend | uniformity falls faster | 1 | 0 | 0 | 1 |" in summary
    assert "Nothing to compare in this run for: g_dedicated" in summary
    readme = f"intro\n{FINDINGS_START}\nold table\n{FINDINGS_END}\nafter\n"
    written = with_findings(readme, FINDINGS)
    assert "old table" not in written and written.startswith("intro\n") and written.endswith("after\n")
    assert with_findings(written, FINDINGS) == written
    with pytest.raises(ValueError, match="findings markers"):
        with_findings("no markers", FINDINGS)


def test_the_readme_findings_come_from_the_generator() -> None:
    from mrlens.docs import FINDINGS_END, FINDINGS_START

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split(FINDINGS_START, 1)[1].split(FINDINGS_END, 1)[0]
    assert block.strip().startswith("| claim | what it claims | cells | holds | inconclusive | reversed |")


def test_measured_coverage_reads_the_cells_of_the_method_each_row_reported() -> None:
    """The metrics reference's coverage: per (metric, method), the bold cell of every coverage.py row whose
    mrlens column names that method; rows of another section, or of a method no longer reported, are apart,
    and so are a long-armed metric's rows from a table measured before its long arm (no such column) and a
    row where the gate left an interval to fewer than 5 % of the samples. A later row of the same population,
    size and metric replaces the earlier one, even where it is not counted itself."""
    from mrlens.docs import measured_coverage

    readme = """## `coverage.py`

| population | metric | dim | truth | split-halves | korn-graubard | basic-bootstrap | mrlens |
| --- | --- | --- | --- | --- | --- | --- | --- |
| a | isoscore | 32 | 1 | **80 %** | – | 100 % | split-halves |
| c | ndcg@10 | 4 | 0.1 | – | 96 % | **88 %** | basic-bootstrap |
| d | twonn | 4 | 8 | 0 % | – | 0 % | none |

| population | metric | dim | truth | split-halves | mrlens | long arm | reported |
| --- | --- | --- | --- | --- | --- | --- | --- |
| a | isoscore | 32 | 1 | **98 %** | split-halves | low | 100.0 % |
| b | isoscore | 32 | 1 | **91 %** | split-halves | low | 80.3 % |
| t4 | isoscore | 16 | 1 | **86 %** | split-halves | low | 0.7 % |
| f | isoscore | 64 | 1 | **100 %** | split-halves | low | 100.0 % |
| g | isoscore | 64 | 1 | **97 %** | split-halves | low | 100.0 % |

| population | metric | dim | truth | split-halves | mrlens | long arm | reported |
| --- | --- | --- | --- | --- | --- | --- | --- |
| f | isoscore | 64 | 1 | **99 %** | split-halves | low | 100.0 % |
| g | isoscore | 64 | 1 | **90 %** | split-halves | low | 1.0 % |

## `other.py`

| population | metric | dim | truth | split-halves | mrlens |
| --- | --- | --- | --- | --- | --- |
| e | isoscore | 32 | 1 | **10 %** | split-halves |
"""
    assert measured_coverage(readme) == {
        ("isoscore", "split-halves"): [98, 91, 99],
        ("ndcg", "basic-bootstrap"): [88],
    }
