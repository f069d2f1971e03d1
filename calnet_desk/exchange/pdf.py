"""The PDF engines: Typst for the tagged request packets and bundle summary (``typeset``,
below), fpdf2 (pure Python, imported only when a PDF is made) for the other PDFs; the
bundled DejaVu fonts (real, searchable text in any Latin script) and the house look. A
change of PDF library starts here."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from ..store.exceptions import StoreError

FONT_FAMILY = "DejaVuSansCondensed"
FONT_FILES = {"": "DejaVuSansCondensed.ttf", "B": "DejaVuSansCondensed-Bold.ttf"}

# Colours (RGB): a dark state blue for the letterhead and headings, a plain red for what is
# missing, greys for labels and citations.
INK = (33, 37, 41)
BLUE = (22, 58, 102)
GREY = (96, 103, 112)
LIGHT = (214, 219, 225)
RED = (176, 0, 32)
RED_FILL = (253, 236, 238)
GREEN = (25, 105, 52)
GREEN_FILL = (232, 245, 236)
BAND = (242, 245, 248)

MARGIN = 66.0  # points (a little under an inch)
TOP, BOTTOM = 54.0, 64.0


@contextlib.contextmanager
def _font_paths() -> Iterator[dict[str, Path]]:
    with contextlib.ExitStack() as stack:
        base = resources.files("calnet_desk") / "data" / "fonts"
        yield {style: stack.enter_context(resources.as_file(base / name))
               for style, name in FONT_FILES.items()}


@contextlib.contextmanager
def fonts_added(pdf: Any) -> Iterator[None]:
    """The bundled DejaVu fonts added to ``pdf`` (as FONT_FAMILY, regular and bold), their
    files kept at hand until the block ends (make the PDF's bytes inside it)."""
    with _font_paths() as fonts:
        for style, path in fonts.items():
            pdf.add_font(FONT_FAMILY, style, str(path))
        yield


# --- tagged PDFs: Typst ------------------------------------------------------------------
# The request packets and the bundle summary are typeset by Typst (its Python binding, a
# compiled wheel for Linux, macOS and Windows): it writes a tagged PDF whose structure tree
# follows the reading order (headings, paragraphs, lists, tables with header cells), with
# the title, language and creation date the template sets, the same bytes for the same
# data. fpdf2 2.8 tags only images and links (its structure tree is one flat level), so a
# screen reader met its PDFs as untagged text in drawing order.
# The data goes in as JSON (``sys.inputs.data``) and is shown as text, never read as
# markup: a value like "*bold* #1 $x$" prints as typed.

TEMPLATES = "typst"  # calnet_desk/data/typst/: house.typ and one template per document


class TypesetError(StoreError):
    """Typst refused the document (a bug in the template, not in the data): said as a
    sentence like any refusal (exit 1, a dialog), never a traceback."""


@contextlib.contextmanager
def _template_dir() -> Iterator[Path]:
    with resources.as_file(resources.files("calnet_desk") / "data" / TEMPLATES) as path:
        yield Path(path)


# The process in which Typst first ran: its thread pool lives there. A child forked from it
# inherits the pool's state but not its threads, so Typst would wait for them forever; such
# a child (POSIX only: the tests drop privileges in forked children) typesets in a fresh
# Python process instead.
_typst_pid: int | None = None

_IN_A_FRESH_PROCESS = """
import json, sys, typst
a = json.loads(sys.stdin.buffer.read())
try:
    pdf = typst.compile(a["input"], root=a["root"], font_paths=a["font_paths"],
                        ignore_system_fonts=True, sys_inputs=a["sys_inputs"],
                        pdf_standards=a["pdf_standards"])
except (typst.TypstError, OSError, ValueError) as e:
    sys.stderr.write(getattr(e, "message", None) or str(e))
    sys.exit(3)
sys.stdout.buffer.write(pdf)
"""


def _compile(args: dict[str, Any]) -> bytes:
    global _typst_pid
    if _typst_pid is not None and _typst_pid != os.getpid() and not getattr(
            sys, "frozen", False):
        done = subprocess.run([sys.executable, "-c", _IN_A_FRESH_PROCESS],
                              input=json.dumps(args).encode("utf-8"), capture_output=True,
                              check=False)
        if done.returncode != 0:
            raise ValueError(done.stderr.decode("utf-8", "replace").strip()
                             or f"exit {done.returncode}")
        return done.stdout
    import typst

    _typst_pid = _typst_pid or os.getpid()
    return bytes(typst.compile(args["input"], root=args["root"],
                               font_paths=args["font_paths"], ignore_system_fonts=True,
                               sys_inputs=args["sys_inputs"],
                               pdf_standards=args["pdf_standards"]))


def typeset(template: str, data: dict[str, Any], created: dt.datetime,
            ua_checks: bool = False) -> bytes:
    """The PDF of ``data/typst/<template>.typ`` with ``data`` (JSON-able) as its input and
    ``created`` (UTC) as its creation date. ``ua_checks`` (tests) has Typst apply its own
    PDF/UA-1 checks, which also marks the file as PDF/UA-1: not done for the files people
    get, since no independent validator has confirmed that conformance."""
    import typst

    payload = json.dumps({**data, "created": created.astimezone(dt.UTC).strftime(
        "%Y-%m-%dT%H:%M:%S")}, ensure_ascii=False, sort_keys=True)
    with _template_dir() as root, _font_paths() as fonts:
        try:
            return show_title(_compile({
                "input": str(root / f"{template}.typ"), "root": str(root),
                "font_paths": sorted({str(p.parent) for p in fonts.values()}),
                "sys_inputs": {"data": payload},
                "pdf_standards": ["ua-1"] if ua_checks else []}))
        except (typst.TypstError, OSError, ValueError) as e:
            # a template or font file missing from the installation comes as an OSError
            why = e.message if isinstance(e, typst.TypstError) else str(e)
            raise TypesetError(f"the PDF could not be typeset ({why}); nothing was "
                               "written. This is a fault in CALNET Desk's PDF template: "
                               "please report it with this message") from e


_TRAILER = re.compile(rb"trailer\s*<<(.*?)>>\s*startxref\s*(\d+)\s*%%EOF\s*$", re.S)


def show_title(pdf: bytes) -> bytes:
    """``pdf`` with /DisplayDocTitle true in its viewer preferences, so that a viewer's title
    bar and a screen reader announce the document's title rather than its file name (Typst
    0.15 sets it only in PDF/UA mode, which would also claim a conformance no validator has
    confirmed here). Added as an incremental update: one new version of the catalog and an
    xref section for it after the original bytes, which are left as they are."""
    trailer = _TRAILER.search(pdf)
    root = trailer and re.search(rb"/Root (\d+) 0 R", trailer.group(1))
    if not trailer or not root:
        return pdf
    number = int(root.group(1))
    obj = re.search(rb"\n%d 0 obj\s*(<<.*?>>)\s*endobj" % number, pdf, re.S)
    if not obj or b"/DisplayDocTitle" in obj.group(1):
        return pdf
    catalog = obj.group(1)
    if b"/ViewerPreferences<<" in catalog:
        catalog = catalog.replace(b"/ViewerPreferences<<",
                                  b"/ViewerPreferences<</DisplayDocTitle true", 1)
    else:
        catalog = catalog[:-2] + b"/ViewerPreferences<</DisplayDocTitle true>>>>"
    body = pdf if pdf.endswith(b"\n") else pdf + b"\n"
    at = len(body)
    update = b"%d 0 obj\n%s\nendobj\n" % (number, catalog)
    xref = len(body) + len(update)
    fields = re.sub(rb"/Prev \d+", b"", trailer.group(1))
    update += (b"xref\n%d 1\n%010d 00000 n \ntrailer\n<<%s/Prev %s>>\nstartxref\n%d\n%%%%EOF\n"
               % (number, at, fields, trailer.group(2), xref))
    return body + update


def page_count(pdf: bytes) -> int:
    """The number of pages of a PDF Typst wrote (its page objects are uncompressed)."""
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))


# --- plain one-page documents (the demo's sample forms and letters) ------------------------

LETTER = (612.0, 792.0)  # points
PLAIN_MARGIN = 72.0  # an inch
PLAIN_LINES = 44  # lines of body text on the page; more are left off


def _winansi(text: str) -> str:
    """``text`` as the PDF core fonts can show it (Windows-1252); other characters become
    '?' (the core fonts carry no others)."""
    return text.encode("cp1252", errors="replace").decode("cp1252")


_CHAR_WIDTHS: dict[tuple[str, str, float], dict[str, float]] = {}


def _wrap_to(pdf: Any, line: str, width: float) -> list[str]:
    """``line`` broken at spaces into lines no wider than ``width`` in the current font;
    continuations indented by four spaces; a word wider than a line is cut."""
    sizes = _CHAR_WIDTHS.setdefault((pdf.font_family, pdf.font_style, pdf.font_size_pt), {})

    def size(ch: str) -> float:
        if ch not in sizes:  # fpdf2's measure is slow; a core font's widths never change
            sizes[ch] = pdf.get_string_width(ch)
        return sizes[ch]

    out: list[str] = []
    while True:
        used, fits = 0.0, len(line)
        for i, ch in enumerate(line):
            used += size(ch)
            if used > width:
                fits = i
                break
        if fits == len(line):
            out.append(line)
            return out
        cut = line.rfind(" ", 5, fits + 1)  # past a continuation's indent: always progress
        cut = cut if cut > 0 else max(fits, 5)
        out.append(line[:cut].rstrip())
        line = "    " + line[cut:].lstrip()


def plain_pdf(title: str, note: str, lines: Sequence[str], created: dt.datetime,
              producer: str = "CALNET Desk") -> bytes:
    """A one-page Letter document: ``title`` in bold, a small ``note`` under it, then
    ``lines`` (wrapped to the margins; past the page's PLAIN_LINES lines the rest is left off).
    Set in the PDF core fonts (Helvetica, Windows-1252: nothing to embed, so it takes
    milliseconds) with uncompressed text (searchable as it is). Deterministic: the same
    arguments give the same bytes; ``created`` is the document's creation date."""
    from fpdf import FPDF

    pdf = FPDF(orientation="P", unit="pt", format="letter")
    pdf.core_fonts_encoding = "windows-1252"
    pdf.set_compression(False)
    pdf.set_creation_date(created)
    pdf.set_producer(producer)
    pdf.set_title(title)
    pdf.set_auto_page_break(False)
    pdf.add_page()
    left = PLAIN_MARGIN
    width = LETTER[0] - 2 * PLAIN_MARGIN
    pdf.set_text_color(*BLUE)
    pdf.set_font("helvetica", "B", 15)
    pdf.text(left, 62, _winansi(title))
    pdf.set_text_color(*GREY)
    pdf.set_font("helvetica", "", 8)
    pdf.text(left, 80, _winansi(note))
    pdf.set_text_color(*INK)
    pdf.set_font("helvetica", "", 10)
    wrapped = [w for line in lines for w in _wrap_to(pdf, _winansi(line), width)]
    for n, line in enumerate(wrapped[:PLAIN_LINES]):
        if line:
            pdf.text(left, 108 + 14 * n, line)
    return bytes(pdf.output())
