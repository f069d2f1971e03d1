"""The PDF engine behind the request packets, the bundle summary: fpdf2 (pure Python,
imported only when a PDF is made), the bundled DejaVu fonts (real, searchable text in any
Latin script) and the house look. A change of PDF library starts here."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

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
