"""A bundle's XLSX files hold fixed times: the zip entries' headers are set in place (the
compressed parts untouched), byte for byte what re-writing the whole zip gave."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

import pytest

from calnet_desk.exchange.sheets import xlsx_bytes

WHEN = [dt.datetime(2026, 12, 1), dt.datetime(1999, 1, 31), dt.datetime(2107, 12, 31)]


def rewritten(content: bytes, when: dt.datetime) -> bytes:
    """The earlier way: every entry read and written again with the fixed time."""
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dest:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(<)",
                              rb"\g<1>" + stamp + rb"\g<2>", data)
            fixed = zipfile.ZipInfo(info.filename, when.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.create_system = 3
            fixed.external_attr = 0o100644 << 16
            dest.writestr(fixed, data)
    return out.getvalue()


@pytest.mark.parametrize("when", WHEN)
@pytest.mark.parametrize("rows", [0, 3, 2000])
def test_fixed_times_are_what_rewriting_the_zip_gave(when: dt.datetime, rows: int) -> None:
    data = [[f"=x{i}", i, dt.date(2026, 1, 1 + i % 28), "é" * (i % 7) or None]
            for i in range(rows)]
    args = ("orders", ["a", "b", "c", "d"], data, [None, "0", "mm/dd/yyyy", None])
    fixed = xlsx_bytes(*args, fixed_time=when)
    assert fixed == rewritten(xlsx_bytes(*args), when)
    with zipfile.ZipFile(io.BytesIO(fixed)) as zf:
        assert zf.testzip() is None
        assert all(i.date_time == when.timetuple()[:6] and i.create_system == 3
                   and i.external_attr == 0o100644 << 16 for i in zf.infolist())
