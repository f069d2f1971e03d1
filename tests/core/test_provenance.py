"""Every rule rests on a sentence: sources, quotations checked verbatim where the texts are at
hand, `rules --sources`, and the citations the policy review found invented or misattributed."""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path
from typing import Any

import pytest

from calnet_desk.policy import provenance
from calnet_desk.policy.provenance import (
    UNCONFIRMED,
    bases,
    by_source,
    quotation_problems,
    sources,
    texts_dir,
)
from calnet_desk.policy.rules import GENERATIONS, load_rules
from calnet_desk.records import KINDS

REPO = Path(__file__).resolve().parents[2]
# The shared source texts: CI has them at ../shared/sources beside the checkout; a user's
# clone does not (only short quotations live in the project).
SHARED = REPO.parent / "shared" / "sources"


def test_quotations_are_verbatim_in_the_source_texts_where_at_hand() -> None:
    texts = texts_dir(REPO)
    if SHARED.is_dir():
        # CI's layout: the texts are there, so the check must run against them
        assert texts is not None
    if texts is None:
        assert not SHARED.is_dir()
        warnings.warn(f"The policy source texts are not at hand ({SHARED} is missing): the "
                      "quotations in the rule sets were NOT compared with them. Set "
                      f"{provenance.TEXTS_ENV} to their folder to check them.", stacklevel=1)
        return
    for generation in (None, *GENERATIONS):
        assert quotation_problems(load_rules(generation), texts) == [], generation


def test_the_verbatim_check_catches_a_changed_word(tmp_path: Path) -> None:
    rules = load_rules()
    src = sources(rules)["STMM 400.1"]
    (tmp_path / src.file).write_text("Once the initial two year period expires, local\n"
                                     "agencies can migrate, transfer or terminate their CALNET"
                                     "   services with a 30 calendar day notice.", "utf-8")
    problems = quotation_problems(rules, tmp_path)
    # white space aside, the notice sentence is there; the two-year sentence is not
    assert not any("rule ato-notice-days" in p for p in problems)
    assert any(p.startswith("rule ato-exclusive-term-months: not verbatim in STMM 400.1")
               for p in problems)
    (tmp_path / src.file).write_text("local agencies can migrate with a 45 calendar day "
                                     "notice.", "utf-8")
    assert any(p.startswith("rule ato-notice-days: not verbatim") for p in
               quotation_problems(rules, tmp_path))


def test_an_entry_citing_a_text_at_hand_must_quote_it(tmp_path: Path) -> None:
    (tmp_path / "rules.toml").write_text(
        '[rules.ato-notice-days]\nvalue = 45\ncitation = "STMM 501.0"\n'
        '[rules.my-rule]\nvalue = 1\ncitation = "SAM 9999"\nchecked = "2026-11-30"\n',
        encoding="utf-8")
    rules = load_rules(None, tmp_path)
    # the new citation does not keep the old citation's sentence
    assert rules.rules["ato-notice-days"].quote == ""
    texts = tmp_path / "texts"
    texts.mkdir()
    for s in sources(rules).values():
        if s.file:
            (texts / s.file).write_text("", "utf-8")
    problems = quotation_problems(rules, texts)
    assert any(p.startswith("rule ato-notice-days: cites STMM 501.0, whose text is at hand, "
                            "without the sentence") for p in problems)
    assert "rule my-rule: cites 'SAM 9999', which is not in [sources]" in problems


def test_every_entry_has_a_known_source_a_sentence_or_is_a_design_choice() -> None:
    for generation in (None, *GENERATIONS):
        rules = load_rules(generation)
        known = sources(rules)
        for b in bases(rules):
            assert b.citation in known, b
            if b.citation == "design":
                assert not b.quote, b
                continue
            assert b.checked, b
            if known[b.citation].file:  # a text at hand: the sentence is given
                assert b.quote and b.confirmed, b
            else:  # a published text not at hand: quoted, or said to be unconfirmed
                assert b.quote or b.shown == UNCONFIRMED, b


def test_the_review_findings_are_fixed() -> None:
    rules = load_rules()
    cited = {b.entry: b.citation for b in bases(rules)}
    # STMM intro only says the MSA modules were awarded 1/30/2007
    assert "STMM intro" not in {b.citation for b in bases(rules)}
    assert cited["deadline contract-end"] == "design"
    assert all(f.citation != "STMM intro" for k in KINDS.values() for f in k.fields)
    assert KINDS["contracts"].citation != "STMM intro"
    # the rule for one active CATR is STMM 0300.0; CDT-965 is the designation form
    assert rules.citation("one-active-catr") == "STMM 0300.0"
    for code in ("more-than-one-active-catr", "no-active-catr",
                 "order-placed-by-inactive-atr"):
        assert rules.findings[code]["citation"] == "STMM 0300.0"
    # the 90-day limit is a design choice; "may change at any time" is 3-502.0's sentence
    stale = rules.findings["catalog-status-stale"]
    assert stale["citation"] == "design"
    assert "may change at any time" in stale["quotes"]["STMM 3-502.0"]
    # nothing cites TL 25-06 for public safety; the offering is gone
    assert not any("public-safety" in json.dumps(c) for c in rules.procurement)
    # the names of the documents
    text = (REPO / "calnet_desk" / "data" / "rules" / "common.toml").read_text("utf-8")
    assert "Statewide Telecommunications Management Manual" not in text
    assert "Telecommunications Letter" not in text
    assert "State Telecommunications Management Manual" in text
    # the order fields those texts do not mention are the product's own
    orders = KINDS["orders"].by_name
    for name in ("request_number", "request_date", "order_type", "street"):
        assert orders[name].citation == "design", name


def test_chapters_are_cited_by_their_own_number_with_cdts_current_one_beside() -> None:
    src = sources(load_rules())
    assert src["STMM 400.1"].current == "STMM 3-400.0"
    assert src["STMM 501.0"].current == "STMM 3-501.0"
    assert src["STMM 400.1"].date == "2013-07-01"
    assert src["Notification 26-01"].date == "2026-04-29"


def test_rules_sources_lists_every_source_with_its_rules(run_cli: Any) -> None:
    r = run_cli("rules", "--sources")
    assert r.code == 0, r.err
    assert ("STMM 400.1: State Telecommunications Management Manual, Chapter 0400.1, "
            "Mandatory and Non-Mandatory Services (issued May 24, 2005; revised July 1, 2013)"
            "; CDT's current numbering: STMM 3-400.0") in r.out
    assert ("    rule ato-notice-days: \u201cOnce the initial two year period expires, local "
            "agencies can migrate, transfer or terminate their CALNET services with a 30 "
            "calendar day notice.\u201d (checked 2026-11-30)") in r.out
    assert f"    rule exemption-limited-term: {UNCONFIRMED}" in r.out
    assert "    deadline contract-end: design choice" in r.out
    data = json.loads(run_cli("rules", "--sources", "--json").out)
    ids = [s["id"] for s in data["sources"]]
    assert {"STMM 400.1", "STMM 501.0", "STMM 3-502.0", "Notification 26-01", "SAM 4605",
            "design"} <= set(ids)
    entries = {e["entry"] for s in data["sources"] for e in s["entries"]}
    rules = load_rules()
    # every rule, deadline, finding and request element is listed under a source
    for rule_id in rules.rules:
        assert f"rule {rule_id}" in entries
    for code in rules.findings:
        assert f"finding {code}" in entries
    for kind in rules.deadlines:
        assert f"deadline {kind}" in entries
    assert len(by_source(rules)) == len(ids)


def test_the_source_texts_stay_out_of_the_project() -> None:
    # only short quotations: no file of the project holds a long run of a source text
    texts = texts_dir(REPO)
    if texts is None:
        assert not SHARED.is_dir()
        return
    chunks = []
    for path in sorted(texts.glob("*.txt")):
        words = path.read_text("utf-8").split()
        chunks += [" ".join(words[i:i + 60]) for i in range(0, max(len(words) - 60, 1), 60)]
    tracked = [p for p in (REPO / "calnet_desk").rglob("*") if p.suffix in (".toml", ".py")]
    tracked += [REPO / "README.md"]
    for p in tracked:
        flat = " ".join(p.read_text("utf-8").split())
        assert not any(c in flat for c in chunks), p


def test_texts_dir_honours_the_environment(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(provenance.TEXTS_ENV, str(tmp_path))
    assert texts_dir() == tmp_path
    monkeypatch.setenv(provenance.TEXTS_ENV, str(tmp_path / "missing"))
    assert texts_dir() is None
    monkeypatch.delenv(provenance.TEXTS_ENV)
    assert texts_dir(tmp_path / "repo") is None
    (tmp_path / "shared" / "sources").mkdir(parents=True)
    assert texts_dir(tmp_path / "repo") == tmp_path / "shared" / "sources"
    assert os.environ.get(provenance.TEXTS_ENV) is None
