"""The fault harness (issue 14): kill the CLI at seeded fault-injection points of import,
merge, backup, restore, attach and demo (calnet_desk/faults.py; no sleeps), then check that
the register is whole: the next open finds no leftovers and a free lock, `verify` passes,
and every command happened all or not at all.

CALNET_DESK_HARNESS_SEED changes the seed; CALNET_DESK_HARNESS_TRIALS the number of trials.
"""

from __future__ import annotations

import io
import os
import random
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from calnet_desk import cli
from calnet_desk.records import KINDS
from calnet_desk.store import Register
from calnet_desk.store import backups as bk
from calnet_desk.store.verify import verify

SEED = int(os.environ.get("CALNET_DESK_HARNESS_SEED", "14"))
TRIALS = int(os.environ.get("CALNET_DESK_HARNESS_TRIALS", "40"))
KILLED = -9 if os.name != "nt" else 137


def cli_in_process(root: Path, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(["--data-dir", str(root), *argv], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def cli_killed_at(root: Path, point: str, nth: int, *argv: str, tmp: Path | None = None
                  ) -> int:
    """Run the CLI killed at a fault point; ``tmp`` its system temporary folder (TMPDIR),
    so the test sees what the command left there."""
    env = {**os.environ, "CALNET_DESK_FAULT": f"{point}:{nth}", "PYTHONDONTWRITEBYTECODE": "1"}
    if tmp is not None:
        env.update(TMPDIR=str(tmp), TEMP=str(tmp), TMP=str(tmp))
    done = subprocess.run([sys.executable, "-m", "calnet_desk.cli", "--data-dir", str(root),
                           *argv], env=env, capture_output=True, text=True, timeout=120,
                          check=False)
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode


def state(root: Path) -> tuple[Any, ...]:
    """What the register holds: records per kind, documents, links, backups."""
    with Register.open(root) as reg:
        counts = tuple(reg.count(k) for k in KINDS.values())
        docs = reg.conn.execute("SELECT count(*) FROM documents").fetchone()[0]
        links = reg.conn.execute("SELECT count(*) FROM document_links").fetchone()[0]
    return counts, docs, links


@dataclass(frozen=True)
class Case:
    name: str
    points: tuple[str, ...]
    argv: Callable[[Path, Path], tuple[str, ...]]  # (register, scratch) -> argv
    fresh: bool = False  # run on an empty register (demo)


CASES = [
    Case("import", ("import-batch", "commit", "after-commit"),
         lambda root, scratch: ("import", str(scratch / "orders.csv"), "--kind", "orders")),
    Case("merge", ("bundle-unpacked", "document-incoming", "document-stored", "commit",
                   "after-commit"),
         lambda root, scratch: ("merge-bundle", str(scratch / "bundle.zip"),
                                "--prefer", "bundle")),
    Case("backup", ("backup-documents", "backup-published"),
         lambda root, scratch: ("backup",)),
    # a backup into a folder outside the register (a USB stick): a killed one's .partial
    # there is removed by this register's next backup into that folder
    Case("backup-to", ("backup-documents", "backup-published"),
         lambda root, scratch: ("backup", "--to", str(root.parent / f"{root.name}-usb"))),
    # a reader unpacks in the system's temporary folder: the next one removes a killed one's
    Case("verify-bundle", ("bundle-unpacked",),
         lambda root, scratch: ("verify-bundle", str(scratch / "bundle.zip"))),
    Case("restore", ("restore-prepared", "restore-between-renames"),
         lambda root, scratch: ("restore",)),
    Case("attach", ("document-incoming", "document-stored", "commit", "after-commit"),
         lambda root, scratch: ("attach", str(scratch / "letter.pdf"), "--to",
                                "orders:TSR-2022-00001")),
    Case("demo", ("document-incoming", "document-stored", "import-batch", "commit",
                  "after-commit"),
         lambda root, scratch: ("demo", "--orders", "40"), fresh=True),
]


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """A demo register with one backup and then more orders (so a restore changes it), a
    scratch folder (a CSV, a bundle from another register, a letter) and an empty one."""
    top = tmp_path_factory.mktemp("harness")
    root, scratch, empty = top / "reg", top / "scratch", top / "empty"
    scratch.mkdir()
    assert cli_in_process(root, "demo", "--orders", "40")[0] == 0
    assert cli_in_process(root, "backup")[0] == 0
    rows = ["request_number,request_date,order_type,contractor"]
    rows += [f"H-{i:05d},2026-02-01,new,AT&T" for i in range(1500)]
    (scratch / "orders.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert cli_in_process(root, "import", str(scratch / "orders.csv"), "--kind", "orders"
                          )[0] == 0
    rows = ["request_number,request_date,order_type,contractor"]
    rows += [f"K-{i:05d},2026-03-01,change,AT&T" for i in range(1200)]
    (scratch / "orders.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    other = top / "other"
    assert cli_in_process(other, "demo", "--orders", "60", "--seed", "7")[0] == 0
    # as of today: the demo's history begins when it is made, so an earlier --as-of is refused
    assert cli_in_process(other, "export-bundle", str(scratch / "bundle.zip"))[0] == 0
    (scratch / "letter.pdf").write_bytes(b"%PDF-1.4 a signed letter " * 4000)
    assert cli_in_process(empty, "init", "--agency", "Department of Demonstrations",
                          "--agency-class", "non-exempt-state")[0] == 0
    return root, scratch, empty


def expected_after(case: Case, base: tuple[Path, Path, Path], work: Path) -> Any:
    """The state the command leaves when it is not killed."""
    root, scratch, empty = base
    ref = work / f"ref-{case.name}"
    shutil.copytree(empty if case.fresh else root, ref)
    code, _, err = cli_in_process(ref, *case.argv(ref, scratch))
    assert code == 0, err
    return state(ref), len(bk.list_backups(ref / "backups"))


@pytest.mark.slow
def test_seeded_kills_leave_a_whole_register(base: tuple[Path, Path, Path], tmp_path: Path
                                             ) -> None:
    rng = random.Random(SEED)
    root, scratch, empty = base
    expected = {c.name: expected_after(c, base, tmp_path) for c in CASES}
    killed = reached_end = 0
    for trial in range(TRIALS):
        case = CASES[trial % len(CASES)]
        point, nth = rng.choice(case.points), rng.choice((1, 1, 1, 2))
        work = tmp_path / f"t{trial}"
        shutil.copytree(empty if case.fresh else root, work)
        before = (state(work), len(bk.list_backups(work / "backups")))
        system_tmp = tmp_path / f"t{trial}-tmp"
        system_tmp.mkdir()
        code = cli_killed_at(work, point, nth, *case.argv(work, scratch), tmp=system_tmp)
        what = f"trial {trial} (seed {SEED}): {case.name} killed at {point}:{nth}"
        if code == KILLED:
            killed += 1
        else:
            assert code == 0, what
            reached_end += 1
        # the next open: lock free, leftovers swept, the register whole
        with Register.open(work, write=True):
            pass
        temp = work / "temp"
        assert not temp.exists() or not list(temp.iterdir()), (what, list(temp.iterdir()))
        assert not [p for p in work.rglob("*") if p.name.endswith((".partial", ".new"))
                    or p.name.startswith((".incoming", ".restoring"))], what
        if case.name == "verify-bundle":  # the next verification removes the killed one's
            assert cli_killed_at(work, "none", 1, *case.argv(work, scratch),
                                 tmp=system_tmp) == 0, what
        # merge unpacks in the register's temp folder (swept above), not the system's
        assert not list(system_tmp.iterdir()), (what, list(system_tmp.iterdir()))
        usb = work.parent / f"{work.name}-usb"
        if case.name == "backup-to":  # the next backup there removes the killed one's
            code, _, err = cli_in_process(work, *case.argv(work, scratch))
            assert code == 0, (what, err)
            assert not [p for p in usb.iterdir() if p.name.endswith(".partial")], what
            for b in bk.list_backups(usb):
                assert bk.check_backup(b) == [], (what, b.name)
            shutil.rmtree(usb)
        with Register.open(work) as reg:
            findings, _ = verify(reg)
        assert findings == [], (what, findings[:3])
        after = (state(work), len(bk.list_backups(work / "backups")))
        assert after in (before, expected[case.name]), (what, before, after)
        for b in bk.list_backups(work / "backups"):
            assert bk.check_backup(b) == [], (what, b.name)
        shutil.rmtree(work)
        shutil.rmtree(system_tmp)
    print(f"crash harness: {TRIALS} trials, {killed} killed, {reached_end} ran to the end "
          f"(seed {SEED})")
    assert killed >= TRIALS // 2  # most trials really were killed
