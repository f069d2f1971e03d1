"""Documents: content-addressed, streamed, linked through the history, re-verified."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from calnet_desk.records import KINDS
from calnet_desk.store import Register, schema
from calnet_desk.store import documents as docs
from calnet_desk.store.verify import verify

ORDERS = KINDS["orders"]


@pytest.fixture
def demo(run_cli: Any, isolated_home: Path) -> Path:
    assert run_cli("init", "--agency", "Docs Dept", "--agency-class", "non-state").code == 0
    with Register.open(isolated_home, write=True) as reg, reg.transaction() as tx:
        for n in (1, 2):
            tx.put(ORDERS, {"request_number": f"HO-{n}", "request_date": "2026-01-02",
                            "order_type": "new", "contractor": "AT&T"})
    return isolated_home


def make_file(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


def test_attach_stores_by_hash_and_lists_with_metadata(demo: Path, tmp_path: Path,
                                                       run_cli: Any) -> None:
    content = b"%PDF-1.4 signed form" * 1000
    src = make_file(tmp_path / "Form 20 HO-1.pdf", content)
    sha = hashlib.sha256(content).hexdigest()
    r = run_cli("attach", str(src), "--to", "orders:HO-1")
    assert r.code == 0 and sha in r.out
    stored = demo / "documents" / sha[:2] / sha
    assert stored.read_bytes() == content
    assert not os.stat(stored).st_mode & stat.S_IWUSR  # read-only in the store
    listed = json.loads(run_cli("documents", "orders", "HO-1", "--json").out)
    assert listed == [{"sha256": sha, "name": "Form 20 HO-1.pdf", "size": len(content),
                       "media_type": "application/pdf", "added_at": listed[0]["added_at"]}]
    assert listed[0]["added_at"].endswith("Z")
    # the same content linked to a second record: one stored copy, two links
    assert run_cli("attach", str(src), "--to", "order:HO-2").code == 0
    assert len(list((demo / "documents").rglob("*"))) == 2  # one folder, one file
    assert json.loads(run_cli("documents", "orders", "HO-2", "--json").out)[0]["sha256"] == sha


def test_linking_and_unlinking_go_through_the_history(demo: Path, tmp_path: Path,
                                                      run_cli: Any) -> None:
    src = make_file(tmp_path / "letter.pdf", b"approval")
    sha = hashlib.sha256(b"approval").hexdigest()
    run_cli("attach", str(src), "--to", "orders:HO-1", "--reason", "approval letter")
    assert run_cli("detach", sha[:10], "--from", "orders:HO-1").code == 0
    assert json.loads(run_cli("documents", "orders", "HO-1", "--json").out) == []
    with Register.open(demo) as reg:
        link_history = reg.history("document-links", f"orders:HO-1:{sha}")
        assert [e["action"] for e in link_history] == ["insert", "delete"]
        assert link_history[0]["reason"] == "approval letter"
        assert [e["action"] for e in reg.history("documents", sha)] == ["insert"]
        assert verify(reg)[0] == []
    again = run_cli("detach", sha, "--from", "orders:HO-1")
    assert again.code == 1 and "not linked" in again.err


def test_attach_errors_write_nothing(demo: Path, tmp_path: Path, run_cli: Any) -> None:
    src = make_file(tmp_path / "a.pdf", b"x")
    missing_record = run_cli("attach", str(src), "--to", "orders:HO-404")
    assert missing_record.code == 1 and "no order HO-404" in missing_record.err
    missing_file = run_cli("attach", str(tmp_path / "nope.pdf"), "--to", "orders:HO-1")
    assert missing_file.code == 1 and "no such file" in missing_file.err
    assert run_cli("attach", str(src), "--to", "HO-1").code == 2  # not KIND:KEY
    assert run_cli("attach", str(src), "--to", "widgets:HO-1").code == 2
    assert not (demo / "documents").exists() or not any((demo / "documents").rglob("*"))


def test_open_writes_a_read_only_copy_under_the_original_name(demo: Path, tmp_path: Path,
                                                              run_cli: Any) -> None:
    src = make_file(tmp_path / "CON.pdf", b"reserved name on Windows")
    run_cli("attach", str(src), "--to", "orders:HO-1")
    sha = hashlib.sha256(b"reserved name on Windows").hexdigest()
    out_dir = tmp_path / "out"
    first = Path(run_cli("open", sha, "--to", str(out_dir)).out.strip())
    second = Path(run_cli("open", sha[:8], "--to", str(out_dir)).out.strip())
    assert first.name == "CON_.pdf" and second.name == "CON_ (2).pdf"
    assert first.read_bytes() == second.read_bytes() == b"reserved name on Windows"
    assert not os.stat(first).st_mode & stat.S_IWUSR
    bad = run_cli("open", "zz", "--to", str(out_dir))
    assert bad.code == 1 and "not a SHA-256" in bad.err


@pytest.mark.parametrize(("name", "safe"), [
    ("a:b?.pdf", "a_b_.pdf"), ("100%.pdf", "100_.pdf"), ("nul.txt", "nul_.txt"),
    ("report. ", "report"), ("", "document"), ("LPT1", "LPT1_"),
])
def test_safe_file_names(name: str, safe: str) -> None:
    assert docs.safe_file_name(name) == safe


def test_verify_rehashes_and_names_a_changed_or_missing_document(
        demo: Path, tmp_path: Path, run_cli: Any) -> None:
    a = make_file(tmp_path / "form-a.pdf", b"A" * 5000)
    b = make_file(tmp_path / "form-b.pdf", b"B" * 5000)
    run_cli("attach", str(a), "--to", "orders:HO-1")
    run_cli("attach", str(b), "--to", "orders:HO-2")
    sha_a = hashlib.sha256(b"A" * 5000).hexdigest()
    sha_b = hashlib.sha256(b"B" * 5000).hexdigest()
    stored_a = demo / "documents" / sha_a[:2] / sha_a
    os.chmod(stored_a, 0o644)
    stored_a.write_bytes(b"tampered")
    (demo / "documents" / sha_b[:2] / sha_b).unlink()
    r = run_cli("verify")
    assert r.code == 1
    assert "form-a.pdf" in r.out and "orders HO-1" in r.out and "has changed" in r.out
    assert "form-b.pdf" in r.out and "orders HO-2" in r.out and "missing" in r.out


def test_streaming_hash_reads_in_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        reg: Register) -> None:
    """A big scan is never read whole: every read asks for at most one chunk."""
    monkeypatch.setattr(docs, "CHUNK", 4096)
    content = os.urandom(4096 * 10 + 17)
    src = make_file(tmp_path / "scan.tif", content)
    sizes: list[int] = []
    real_open = open

    class Spy:
        def __init__(self, fh: Any) -> None:
            self.fh = fh

        def read(self, n: int = -1) -> bytes:
            sizes.append(n)
            return bytes(self.fh.read(n))

        def __enter__(self) -> Spy:
            return self

        def __exit__(self, *a: object) -> None:
            self.fh.close()

    def spy_open(path: Any, mode: str = "r", *a: Any, **k: Any) -> Any:
        fh = real_open(path, mode, *a, **k)
        return Spy(fh) if Path(path) == src and "b" in mode and "r" in mode else fh

    monkeypatch.setattr("builtins.open", spy_open)
    sha, size = docs.store_file(reg.paths, src)
    monkeypatch.undo()
    assert sha == hashlib.sha256(content).hexdigest() and size == len(content)
    assert sizes and all(0 < n <= 4096 for n in sizes)


def test_deleting_a_record_keeps_the_document_but_drops_its_links(
        demo: Path, tmp_path: Path, run_cli: Any) -> None:
    src = make_file(tmp_path / "form.pdf", b"form")
    run_cli("attach", str(src), "--to", "orders:HO-1")
    assert run_cli("delete", "orders", "HO-1", "--reason", "cancelled").code == 0
    with Register.open(demo) as reg:
        assert reg.conn.execute("SELECT count(*) FROM document_links").fetchone()[0] == 0
        assert reg.conn.execute("SELECT count(*) FROM documents").fetchone()[0] == 1
        assert verify(reg)[0] == []


def test_document_tables_are_guarded_like_records(reg: Register) -> None:
    names = {r[0] for r in reg.conn.execute("SELECT name FROM sqlite_master WHERE "
                                            "type = 'trigger'")}
    assert {"documents_guard_update", "document_links_guard_delete"} <= names
    assert names == schema.expected_triggers()
