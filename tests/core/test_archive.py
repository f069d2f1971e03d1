"""The archive guards: hostile zips refused before anything is extracted or trusted."""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile
import zipfile
from pathlib import Path

import pytest

from calnet_desk.exchange.archive import Limits, UnsafeArchive, bundle_sha256, open_bundle


def make_zip(path: Path, entries: list[tuple[str | zipfile.ZipInfo, bytes]],
             compression: int = zipfile.ZIP_STORED) -> Path:
    with zipfile.ZipFile(path, "w", compression) as zf:
        for name, data in entries:
            zf.writestr(name, data)
    return path


GOOD = [("bag/bagit.txt", b"BagIt-Version: 1.0\n"), ("bag/data/records/orders.json", b"[]")]


def temp_dirs() -> set[str]:
    return {n for n in os.listdir(tempfile.gettempdir()) if n.startswith("calnet-bundle-")}


def test_a_good_zip_is_unpacked_and_cleaned_up(tmp_path: Path) -> None:
    z = make_zip(tmp_path / "b.zip", GOOD, zipfile.ZIP_DEFLATED)
    before = temp_dirs()
    with open_bundle(z) as root:
        assert root.name == "bag"
        assert (root / "data/records/orders.json").read_bytes() == b"[]"
        unpacked = root.parent
    assert not unpacked.exists()
    assert temp_dirs() == before


def test_unpacking_takes_each_files_sha256_on_the_way(tmp_path: Path) -> None:
    """What verify-bundle uses instead of reading every unpacked file again."""
    z = make_zip(tmp_path / "b.zip", GOOD, zipfile.ZIP_DEFLATED)
    digests: dict[str, str] = {}
    with open_bundle(z, digests=digests) as root:
        assert digests == {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes())
                           .hexdigest() for p in root.rglob("*") if p.is_file()}
    assert set(digests) == {"bagit.txt", "data/records/orders.json"}
    folder: dict[str, str] = {}
    with open_bundle(tmp_path, digests=folder):
        assert folder == {}  # a folder is read where it is: nothing hashed ahead


def test_the_temp_folder_goes_on_error_too(tmp_path: Path) -> None:
    z = make_zip(tmp_path / "b.zip", GOOD)
    with pytest.raises(RuntimeError), open_bundle(z) as root:
        unpacked = root.parent
        raise RuntimeError("boom")
    assert not unpacked.exists()


@pytest.mark.parametrize("name, words", [
    ("bag/../evil.txt", "'..'"),
    ("../evil.txt", "'..'"),
    ("/etc/evil", "absolute"),
    ("C:/x", "drive"),
    ("c:evil", "drive"),
    ("\\\\server\\share\\x", "backslash"),
    ("bag\\..\\..\\evil", "backslash"),
    ("bag/data/x:stream", "':'"),
    ("bag//x", "empty folder"),
    ("bag/./x", "'.'"),
    ("bag/x\x01", "control"),
])
def test_bad_names_are_refused_before_extracting(tmp_path: Path, name: str, words: str) -> None:
    info = zipfile.ZipInfo("placeholder")
    info.filename = name  # ZipInfo would clean some of them; a hostile zip does not
    z = make_zip(tmp_path / "b.zip", [*GOOD, (info, b"x")])
    before = temp_dirs()
    with pytest.raises(UnsafeArchive) as e, open_bundle(z):
        pass
    assert words in str(e.value)
    assert repr(name) in str(e.value)
    assert temp_dirs() == before
    assert not (tmp_path / "evil.txt").exists()


def test_a_symlink_entry_is_refused(tmp_path: Path) -> None:
    info = zipfile.ZipInfo("bag/data/link")
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    z = make_zip(tmp_path / "b.zip", [*GOOD, (info, b"/etc/passwd")])
    with pytest.raises(UnsafeArchive, match="symbolic link"), open_bundle(z):
        pass


def test_a_device_entry_is_refused(tmp_path: Path) -> None:
    info = zipfile.ZipInfo("bag/data/fifo")
    info.create_system = 3
    info.external_attr = (stat.S_IFIFO | 0o644) << 16
    z = make_zip(tmp_path / "b.zip", [*GOOD, (info, b"")])
    with pytest.raises(UnsafeArchive, match="not a regular file"), open_bundle(z):
        pass


def test_an_encrypted_entry_is_refused(tmp_path: Path) -> None:
    z = make_zip(tmp_path / "b.zip", [*GOOD, ("bag/data/secret", b"x")])
    data = bytearray(z.read_bytes())  # zipfile writes no encrypted entry: set the flag
    central = data.rindex(b"PK\x01\x02")  # the last entry's central directory header
    data[central + 8] |= 0x1
    z.write_bytes(bytes(data))
    with pytest.raises(UnsafeArchive, match="encrypted"), open_bundle(z):
        pass


def test_too_many_entries(tmp_path: Path) -> None:
    z = make_zip(tmp_path / "b.zip", [*GOOD, *((f"bag/data/{i}", b"") for i in range(9))])
    with pytest.raises(UnsafeArchive, match="11 entries, more than the limit of 10"), \
            open_bundle(z, Limits(max_entries=10)):
        pass
    with open_bundle(z, Limits(max_entries=11)):
        pass


@pytest.mark.parametrize("names", [
    ["bag/data/Report.pdf", "bag/data/report.PDF"],
    ["bag/data/x", "bag/data/x"],
    ["bag/data/caf\u00e9", "bag/data/cafe\u0301"],  # the same name, NFC and NFD
])
def test_duplicate_names(tmp_path: Path, names: list[str]) -> None:
    z = tmp_path / "b.zip"
    with zipfile.ZipFile(z, "w") as zf, pytest.warns(UserWarning) if names[0] == names[1] \
            else _nothing():
        for n in [*dict(GOOD), *names]:
            zf.writestr(n, b"x")
    with pytest.raises(UnsafeArchive, match="same name"), open_bundle(z):
        pass


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def test_folders_differing_in_case_and_file_folder_clashes(tmp_path: Path) -> None:
    z = make_zip(tmp_path / "a.zip", [*GOOD, ("bag/Data/x", b"1")])
    with pytest.raises(UnsafeArchive, match="also spelled"), open_bundle(z):
        pass
    z = make_zip(tmp_path / "b.zip", [*GOOD, ("bag/data/records", b"1")])
    with pytest.raises(UnsafeArchive, match="both a file and a folder"), open_bundle(z):
        pass


@pytest.mark.parametrize("extra", [("other/x", b"1"), ("loose.txt", b"1"), ("Bag/x", b"1")])
def test_one_top_folder(tmp_path: Path, extra: tuple[str, bytes]) -> None:
    z = make_zip(tmp_path / "b.zip", [*GOOD, extra])
    with pytest.raises(UnsafeArchive, match=repr(extra[0])), open_bundle(z):
        pass


def test_zip_bomb_ratio_counted_while_decompressing(tmp_path: Path) -> None:
    z = make_zip(tmp_path / "b.zip", [*GOOD, ("bag/data/zeros", b"\0" * 2_000_000)],
                 zipfile.ZIP_DEFLATED)
    limits = Limits(max_ratio=50, ratio_floor_bytes=10_000)
    with pytest.raises(UnsafeArchive, match="'bag/data/zeros' unpacks to more than 50 times"), \
            open_bundle(z, limits):
        pass


def test_size_limits_counted_not_trusted(tmp_path: Path) -> None:
    z = make_zip(tmp_path / "b.zip", [*GOOD, ("bag/data/big", os.urandom(50_000))],
                 zipfile.ZIP_DEFLATED)
    with pytest.raises(UnsafeArchive, match="more than the limit of 40,000"), \
            open_bundle(z, Limits(max_entry_bytes=40_000)):
        pass
    with pytest.raises(UnsafeArchive, match="unpacks to more than the limit of 30,000"), \
            open_bundle(z, Limits(max_total_bytes=30_000)):
        pass
    # a header lying about the size: the count while decompressing still stops it
    data = bytearray(z.read_bytes())
    with zipfile.ZipFile(z) as zf:
        info = zf.getinfo("bag/data/big")
    for pos in range(len(data) - 4):  # every copy of the real size (local and central)
        if int.from_bytes(data[pos:pos + 4], "little") == info.file_size:
            data[pos:pos + 4] = (10).to_bytes(4, "little")
    liar = tmp_path / "liar.zip"
    liar.write_bytes(bytes(data))
    with pytest.raises(UnsafeArchive), open_bundle(liar, Limits(max_entry_bytes=40_000)):
        pass


def test_a_small_repetitive_file_is_no_bomb(tmp_path: Path) -> None:
    z = make_zip(tmp_path / "b.zip", [*GOOD, ("bag/data/nulls.json", b"null," * 20_000)],
                 zipfile.ZIP_DEFLATED)
    with open_bundle(z) as root:
        assert (root / "data/nulls.json").stat().st_size == 100_000


def test_not_a_zip(tmp_path: Path) -> None:
    p = tmp_path / "x.zip"
    p.write_bytes(b"not a zip")
    with pytest.raises(UnsafeArchive, match="not a readable zip"), open_bundle(p):
        pass
    with pytest.raises(UnsafeArchive, match="no such file"), open_bundle(tmp_path / "nope"):
        pass


def test_folders(tmp_path: Path) -> None:
    bag = tmp_path / "outer" / "bag"
    (bag / "data").mkdir(parents=True)
    (bag / "bagit.txt").write_text("BagIt-Version: 1.0\n")
    (bag / "tagmanifest-sha256.txt").write_text("x\n")
    with open_bundle(tmp_path / "outer") as root:
        assert root == bag
    with open_bundle(bag) as root:
        assert root == bag
    assert bundle_sha256(bag) == hashlib.sha256(b"x\n").hexdigest()
    (tmp_path / "outer" / "stray").mkdir()  # not a bag: ignored
    with open_bundle(tmp_path / "outer") as root:
        assert root == bag
    (tmp_path / "outer" / "second").mkdir()
    (tmp_path / "outer" / "second" / "bagit.txt").write_text("BagIt-Version: 1.0\n")
    with pytest.raises(UnsafeArchive, match="more than one bag"), \
            open_bundle(tmp_path / "outer"):
        pass
    if hasattr(os, "symlink"):
        (bag / "data" / "link").symlink_to(tmp_path)
        with pytest.raises(UnsafeArchive, match="link"), open_bundle(bag):
            pass


def test_bundle_sha256_of_a_zip(tmp_path: Path) -> None:
    z = make_zip(tmp_path / "b.zip", GOOD)
    assert bundle_sha256(z) == hashlib.sha256(z.read_bytes()).hexdigest()
