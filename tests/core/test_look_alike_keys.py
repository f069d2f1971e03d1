"""Issue 14 item 8: keys unique under NFKC + case folding + Unicode's confusables skeleton
(UTS #39), so two records a person cannot tell apart never both exist; a register that
already holds such a pair is upgraded, the pair reported, never merged."""

from __future__ import annotations

import io
import json
import sqlite3
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from calnet_desk import cli
from calnet_desk.records import KINDS
from calnet_desk.store import RecordError, Register
from calnet_desk.store.keys import clashes, look_alike_forms, look_alike_forms_many, skeleton

ORDERS = KINDS["orders"]


def order(key: str) -> dict[str, Any]:
    return {"request_number": key, "request_date": "2026-01-02", "order_type": "new",
            "contractor": "AT&T"}


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def root(tmp_path: Path) -> Path:
    home = tmp_path / "reg"
    Register.create(home, agency="Department of Testing",
                    agency_class="non-exempt-state").close()
    return home


def put(root: Path, key: str) -> str:
    with Register.open(root, write=True) as reg, reg.transaction() as tx:
        return tx.put(ORDERS, order(key))


def test_the_skeleton_is_unicodes() -> None:
    """UTS #39 section 4 on the data's own examples (confusables.txt, version 13.0.0)."""
    assert skeleton("\u0430") == "a"  # CYRILLIC SMALL LETTER A → LATIN SMALL LETTER A
    assert skeleton("m") == "rn"  # LATIN SMALL LETTER M → LATIN SMALL LETTER R, N
    assert skeleton("\uff21") == "A"  # FULLWIDTH LATIN CAPITAL LETTER A
    assert skeleton("0") == "O" and skeleton("1") == "l" and skeleton("I") == "l"
    nfd = unicodedata.normalize("NFD", "É")
    assert skeleton("É") == skeleton(nfd) == nfd  # NFD in, NFD out
    # the fast ASCII path gives what the table gives
    from calnet_desk.store.keys import _prototypes

    every_ascii = "".join(map(chr, range(128)))
    assert skeleton(every_ascii) == unicodedata.normalize(
        "NFD", every_ascii.translate(_prototypes()))


@pytest.mark.parametrize(("first", "second"), [
    ("TSR-a-1", "TSR-\u0430-1"),  # Latin a, Cyrillic а
    ("TSR-PAPA-1", "TSR-\u0420\u0410\u0420\u0410-1"),  # Latin PAPA, Cyrillic РАРА
    ("FARM-1", "FARRN-1"),  # "rn" and "m", after case folding
    ("farm-1", "farrn-1"),
    ("ABC-1", "\uff21\uff22\uff23-1"),  # full-width letters
    ("ABC-1", "abc-1"),  # letter case
    ("ID-I", "ID-l"),  # capital I and small l (case folding alone would set them apart)
    ("EX-0001", "EX-O001"),  # zero and capital O
    ("''", '"'),  # two apostrophes and a quotation mark (drawn by a round-trip test once)
])
def test_a_key_that_looks_like_one_in_the_register_is_refused(root: Path, first: str,
                                                              second: str) -> None:
    assert put(root, first) == "insert"
    with pytest.raises(RecordError) as caught:
        put(root, second)
    text = str(caught.value)
    assert "looks the same as" in text and "Nothing was written" in text
    assert "confusables" in text
    if not second.isascii():
        assert "(with U+" in text  # what sets it apart, in words
    with Register.open(root) as reg:
        assert reg.get(ORDERS, second) is None and reg.keys(ORDERS) == {first}


def test_look_alikes_within_one_import_are_refused_whole(root: Path) -> None:
    with Register.open(root, write=True) as reg:
        with pytest.raises(RecordError), reg.transaction() as tx:
            tx.put_many(ORDERS, [order("MOON-1"), order("NEW-1"), order("M\u041e\u041eN-1")])
        assert reg.keys(ORDERS) == set()


def test_nfd_and_nfc_are_one_key_not_a_clash(root: Path) -> None:
    nfd = unicodedata.normalize("NFD", "CAFÉ-1")
    assert put(root, nfd) == "insert"
    assert put(root, "CAFÉ-1") == "unchanged"  # stored in NFC: the same record
    with Register.open(root) as reg:
        assert reg.keys(ORDERS) == {"CAFÉ-1"}


def test_keys_that_look_different_pass(root: Path) -> None:
    for key in ("TSR-2022-00001", "TSR-2022-00002", "TSR-2022-00010", "ÉTÉ-1", "ETE-1"):
        assert put(root, key) == "insert"
    assert clashes(["TSR-2022-00001", "TSR-2022-00002", "ÉTÉ-1", "ETE-1"]) == []
    assert look_alike_forms("ÉTÉ-1") != look_alike_forms("ETE-1")


def as_before_the_rule(root: Path, keys: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """A register written by the version before migration 0011: look-alike keys got in
    through the store (so with their history), and the migration had not run."""
    from calnet_desk.store import keys as keys_module

    def old_rule(key: str) -> tuple[str, str]:  # NFKC + case folding only
        return ("c:" + keys_module.fold(key),) * 2

    with monkeypatch.context() as m:
        m.setattr("calnet_desk.store.register.look_alike_forms", old_rule)
        m.setattr("calnet_desk.store.register.look_alike_forms_many",
                  lambda keys: [old_rule(k) for k in keys])
        with Register.open(root, write=True) as reg, reg.transaction() as tx:
            for key in keys:
                tx.put(ORDERS, order(key))
    conn = sqlite3.connect(root / "register.sqlite3")
    conn.execute("DROP TABLE look_alike_keys")
    conn.execute("DELETE FROM _sqlite_migrations WHERE name = '0011_look_alike_keys'")
    conn.commit()
    conn.close()


def test_a_register_holding_look_alikes_is_upgraded_and_they_are_reported_not_merged(
        root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    latin, cyrillic = "TSR-a-1", "TSR-\u0430-1"
    as_before_the_rule(root, [latin, cyrillic, "FARM-2", "FARRN-2", "PLAIN-3"], monkeypatch)
    with Register.open(root, write=True) as reg:  # opening never fails for a clash
        assert "0011_look_alike_keys" in reg.applied_migrations()
        assert reg.look_alike_keys(ORDERS) == [("FARRN-2", "FARM-2"), (cyrillic, latin)]
        assert len(reg.keys(ORDERS)) == 5  # nothing merged
    code, out, _ = run("--data-dir", str(root), "verify", "--json")
    found = json.loads(out)["findings"]
    assert code == 1 and {f["check"] for f in found} == {"keys"}, found
    assert len(found) == 2 and all("look the same on screen" in f["message"] for f in found)
    assert any("U+0430 CYRILLIC SMALL LETTER A" in f["message"] for f in found)  # told apart
    with pytest.raises(RecordError):  # and no third look-alike gets in
        put(root, "TSR-A-1")
    code, out, err = run("--data-dir", str(root), "list", "orders", "--json")
    assert code == 0 and len(json.loads(out)) == 5
    warned = [line for line in err.splitlines() if "look the same on screen" in line]
    assert len(warned) == 2 and "U+0430 CYRILLIC SMALL LETTER A" in err, err
    assert any("FARRN-2" in line and "FARM-2" in line for line in warned)
    with Register.open(root, write=True) as reg, reg.transaction() as tx:
        tx.delete(ORDERS, "FARRN-2")  # a clash resolved: no longer reported
    with Register.open(root) as reg:
        assert [pair for pair in reg.look_alike_keys(ORDERS) if "FARM-2" in pair] == []


@given(st.lists(st.text(st.sampled_from("aAlI1|0Oo mrn-_\n\t\u0430\u00e9e\u0301\ufb01\uff21"),
                        max_size=6), max_size=8))
@example(["rn", "m", "a\nb"])
def test_the_forms_of_many_keys_are_the_forms_of_each(keys: list[str]) -> None:
    """look_alike_forms_many (an import's keys mapped together as one text) gives each
    key's look_alike_forms, whatever the keys hold (line breaks, non-ASCII, letters whose
    prototype is two letters)."""
    assert look_alike_forms_many(keys) == [look_alike_forms(k) for k in keys]
