"""Reading a tagged PDF as a screen reader does: its structure tree in order, each element's
role and the text it holds (poppler's ``pdfinfo -struct-text``), and the catalog entries
that make it a tagged document (pypdf)."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from pypdf import PdfReader


@dataclass
class Node:
    role: str
    depth: int
    texts: list[str] = field(default_factory=list)
    kids: list[Node] = field(default_factory=list)

    def text(self) -> str:
        """Every text below this element, in reading order, joined by spaces."""
        return " ".join(" ".join([*self.texts, *(k.text() for k in self.kids)]).split())

    def walk(self) -> list[Node]:
        return [self, *(n for k in self.kids for n in k.walk())]

    def all(self, role: str) -> list[Node]:
        return [n for n in self.walk() if n.role == role]


# a role, then its title in quotes, an ID in <>, "(block)" or "(inline)", and ":" before
# attribute lines
_ELEMENT = re.compile(r'^( *)([A-Za-z][A-Za-z0-9]*)\b(?: ".*")?(?: <[^>]*>)?'
                      r'(?: \((block|inline)\))?:?$')
_TEXT = re.compile(r'^( *)"(.*)"$')


def structure(path: Path) -> Node:
    """The structure tree under a root of role "(root)"."""
    # (an element's title, /T, is printed as its raw bytes: UTF-16 where it is not ASCII)
    out = subprocess.run(["pdfinfo", "-struct-text", str(path)], capture_output=True,
                         check=True).stdout.decode("utf-8", errors="replace")
    root = Node("(root)", -1)
    stack = [root]
    for line in out.splitlines():
        if m := _TEXT.match(line):
            stack[-1].texts.append(m.group(2))
            continue
        m = _ELEMENT.match(line)
        if not m:
            continue  # an attribute line (/Placement /Block)
        depth = len(m.group(1)) // 2
        while stack[-1].depth >= depth:
            stack.pop()
        node = Node(m.group(2), depth)
        stack[-1].kids.append(node)
        stack.append(node)
    return root


def tagged(path: Path) -> str:
    """pdfinfo's "Tagged:" line's value."""
    out = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True,
                         check=True).stdout
    return next(line.split(":", 1)[1].strip() for line in out.splitlines()
                if line.startswith("Tagged:"))


def catalog(path: Path) -> dict[str, object]:
    """/Lang, /MarkInfo /Marked and /ViewerPreferences /DisplayDocTitle of the catalog."""
    root = PdfReader(path).trailer["/Root"]
    return {"lang": root.get("/Lang"),
            "marked": root["/MarkInfo"]["/Marked"],
            "display_doc_title": root["/ViewerPreferences"]["/DisplayDocTitle"]}


def table_rows(table: Node) -> list[list[str]]:
    """A Table element's rows (header first), each as its cells' text."""
    return [[c.text() for c in tr.kids if c.role in ("TH", "TD")] for tr in table.all("TR")]


def in_order(haystack: list[str], needles: list[str]) -> bool:
    """Whether ``needles`` occur in ``haystack`` in this order (others may come between)."""
    it = iter(haystack)
    return all(any(n == h for h in it) for n in needles)
