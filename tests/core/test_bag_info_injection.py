"""Issue 14 item 13: an agency name with a line break injected `Redacted: yes` into
bag-info.txt and verification accepted it. Now a name with a control character is refused
when it is set; one already in a register is written escaped, on its one line; and
verification refuses a bag-info.txt with a label CALNET Desk did not write, a label twice,
or a line that is not "Label: value"."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path
from typing import Any

import pytest

from calnet_desk.exchange.bundle import export_bundle, parse_scope, verify_bundle
from calnet_desk.store import RecordError, Register

INJECTED = "Department of Testing\nRedacted: yes"


def rehash_tags(bag: Path) -> None:
    """Recompute the tag manifest, as a forger would."""
    tags = "".join(f"{hashlib.sha256((bag / n).read_bytes()).hexdigest()}  {n}\n"
                   for n in ("bag-info.txt", "bagit.txt", "manifest-sha256.txt"))
    (bag / "tagmanifest-sha256.txt").write_text(tags, encoding="utf-8")


@pytest.fixture
def old_register(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A register whose agency name got a line break before names were checked."""
    root = tmp_path / "reg"
    with monkeypatch.context() as m:
        m.setattr("calnet_desk.store.register.control_character", lambda text: None)
        Register.create(root, agency=INJECTED, agency_class="non-exempt-state").close()
    return root


def test_a_name_with_a_control_character_is_refused(tmp_path: Path) -> None:
    for name in (INJECTED, "Dept\rX", "Dept\x1b[2JX", "Dept\u202eX", "Dept\u2028X"):
        with pytest.raises(RecordError, match="control or format character"):
            Register.create(tmp_path / f"r{len(list(tmp_path.iterdir()))}", agency=name,
                            agency_class="non-exempt-state")


def bag_of(reg_root: Path, tmp_path: Path) -> Path:
    out = tmp_path / "b.zip"
    with Register.open(reg_root) as reg:
        export_bundle(reg, out, parse_scope("all"))
    with zipfile.ZipFile(out) as zf:
        zf.extractall(tmp_path / "x")
    return next((tmp_path / "x").iterdir())


def test_an_old_name_with_a_line_break_stays_on_its_line_and_the_bundle_verifies(
        old_register: Path, tmp_path: Path) -> None:
    bag = bag_of(old_register, tmp_path)
    text = (bag / "bag-info.txt").read_text(encoding="utf-8")
    assert "Source-Organization: Department of Testing\\nRedacted: yes\n" in text
    assert [line for line in text.splitlines() if line.startswith("Redacted:")] == [
        "Redacted: no"]
    assert verify_bundle(bag) == []


@pytest.mark.parametrize(("edit", "said"), [
    (lambda t: t.replace("Redacted: no\n", "Redacted: no\nRedacted: yes\n"),
     "has 'Redacted' twice"),
    (lambda t: "Redacted: yes\n" + t, "has 'Redacted' twice"),
    (lambda t: t + "Reviewed-By: the auditor\n", "a label CALNET Desk does not write"),
    (lambda t: t.replace("Redacted: no\n", "Redacted: no\n  yes\n"), "is not \"Label: value\""),
])
def test_a_bag_info_edited_after_export_is_refused(old_register: Path, tmp_path: Path,
                                                   edit: Any, said: str) -> None:
    bag = bag_of(old_register, tmp_path)
    path = bag / "bag-info.txt"
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    rehash_tags(bag)
    problems = verify_bundle(bag)
    assert any(said in p for p in problems), problems
