"""Keys a person can tell apart.

Text is stored in NFC. A key (a request number, an exemption number…) may not contain a
control, format or invisible character (LF, TAB, CR, U+0085, U+2028, U+202E, U+FEFF, a
zero-width space…) nor begin or end with a space. Two keys of one kind may not look the same
on screen: they may not share a form of :func:`look_alike_forms` —

- NFKC with case folding (full-width letters, ligatures, letter case), then Unicode's
  confusables skeleton (UTS #39 section 4: Latin "a" and Cyrillic "а", "rn" and "m", "0"
  and "O"), and
- the skeleton of the key's NFKC form as typed (capital "I" and small "l", which case
  folding alone would set apart).

The skeleton's prototypes are Unicode's data, held in ``calnet_desk/data/confusables.txt``
(its header names the source, version and licence; scripts/make_confusables.py makes it).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

LOOK_ALIKE = ("they differ only in letter case, width, a compatibility form or characters "
              "that look the same, such as Latin and Cyrillic letters, per Unicode's "
              "confusables")

# Characters shown as nothing or as a blank that is not a space (Unicode's
# Default_Ignorable_Code_Point among them); categories Cc, Cf, Zl, Zp, Co, Cs, Cn are refused
# as a whole.
_INVISIBLE = frozenset("\u115f\u1160\u3164\uffa0\u2800\u034f\u180b\u180c\u180d\u180e"
                       "\u17b4\u17b5\u00ad")
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Co", "Cs", "Cn"})


def nfc(text: str) -> str:
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
NOT_STORED = ("the register stores only whole characters, so nothing was written. Type or "
              "paste the text again, or save its file as UTF-8")


def lone_surrogate(text: str) -> str | None:
    """Why a text cannot be stored, or None: it holds a lone surrogate, which UTF-8 (SQLite's
    and the history's encoding) has no bytes for. Python text gets one from a JSON "\\ud800"
    escape, or from an argument or file name whose bytes were not UTF-8 (decoded with
    surrogateescape)."""
    if text.isascii():
        return None
    found = _LONE_SURROGATE.search(text)
    if found is None:
        return None
    return (f"holds U+{ord(found.group()):04X} at character {found.start() + 1:,}, which is "
            "not a character (half of a UTF-16 pair, or a byte that was not UTF-8 text)")


def control_character(text: str) -> str | None:
    """Why a one-line name is refused (a line break, ESC, a direction override…), or None."""
    for ch in text:
        if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp"):
            name = unicodedata.name(ch, "a control character")
            return (f"contains {name} (U+{ord(ch):04X}), a control or format character; "
                    "type it again without it")
    return None


def key_problem(key: str) -> str | None:
    """Why a key is refused, or None."""
    if key.isascii() and key.isprintable():  # no control, format or invisible character
        return "begins or ends with a space" if key != key.strip() else None
    for ch in key:
        cat = unicodedata.category(ch)
        if cat in _REFUSED_CATEGORIES or ch in _INVISIBLE or (cat == "Zs" and ch != " "):
            name = unicodedata.name(ch, "a control character")
            return (f"contains {name} (U+{ord(ch):04X}), a control, format or invisible "
                    "character; type the key again without it")
    if key != key.strip():
        return "begins or ends with a space"
    return None


def fold(key: str) -> str:
    """NFKC with case folding (to a fixed point)."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", key).casefold())
    while True:
        again = unicodedata.normalize("NFKC", folded.casefold())
        if again == folded:
            return folded
        folded = again


@lru_cache(maxsize=1)
def _prototypes() -> dict[int, str]:
    """Unicode's confusables as a str.translate table: code point -> its prototype."""
    from importlib import resources

    text = (resources.files("calnet_desk") / "data" / "confusables.txt").read_text("ascii")
    table: dict[int, str] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            source, _, target = line.partition("\t")
            table[int(source, 16)] = "".join(chr(int(c, 16)) for c in target.split())
    return table


def _nfd(text: str) -> str:
    return text if unicodedata.is_normalized("NFD", text) else unicodedata.normalize("NFD",
                                                                                      text)


@lru_cache(maxsize=1)
def _ascii_tables() -> tuple[dict[int, str], tuple[tuple[str, str], ...]]:
    """The ASCII characters' prototypes, split so that an ASCII key is mapped at C speed:
    one-to-one ASCII ones for str.translate's fast path, the rest for str.replace."""
    table = _prototypes()
    # every ASCII character in the table, itself when it has no prototype: a missing one
    # would cost str.translate a KeyError per character
    one = {k: table.get(k, chr(k)) for k in range(128)}
    more = tuple((chr(k), v) for k, v in one.items() if len(v) != 1 or not v.isascii())
    for source, _ in more:
        one[ord(source)] = source
    return one, more


def _ascii_skeleton(text: str) -> str:
    one, more = _ascii_tables()
    mapped = text.translate(one)
    for source, prototype in more:  # each source character maps once: no chaining
        if source in mapped:
            mapped = mapped.replace(source, prototype)
    return mapped if mapped.isascii() else _nfd(mapped)


def skeleton(text: str) -> str:
    """UTS #39 section 4: NFD, each character replaced by its prototype, NFD again. Two
    strings with the same skeleton are confusable."""
    if text.isascii():  # most keys: the same mapping, several times faster
        return _ascii_skeleton(text)
    return _nfd(_nfd(text).translate(_prototypes()))


def look_alike_forms(key: str) -> tuple[str, str]:
    """The forms two keys that look alike share (either one is enough): the skeleton of the
    case-folded NFKC form, and the skeleton of the NFKC form as typed."""
    if key.isascii():  # NFKC changes no ASCII text, and case folding is lower()
        return "c:" + _ascii_skeleton(key.lower()), "s:" + _ascii_skeleton(key)
    return "c:" + skeleton(fold(key)), "s:" + skeleton(unicodedata.normalize("NFKC", key))


def look_alike_forms_many(keys: list[str]) -> list[tuple[str, str]]:
    """:func:`look_alike_forms` of each key: printable ASCII keys mapped together, as one
    text of the keys a line each (a prototype replaces one character, so no mapping
    crosses a line; each key stays one line), the others one by one."""
    plain = [k for k in keys if k.isascii() and k.isprintable()]
    forms: dict[str, tuple[str, str]] = {}
    if plain:
        text = "\n".join(plain)
        folded = _ascii_skeleton(text.lower()).split("\n")
        typed = _ascii_skeleton(text).split("\n")
        if len(folded) == len(typed) == len(plain):
            forms = {k: ("c:" + c, "s:" + s)
                     for k, c, s in zip(plain, folded, typed, strict=True)}
    return [forms.get(k) or look_alike_forms(k) for k in keys]


def clashes(keys: Iterable[str]) -> list[tuple[str, str]]:
    """(key, twin) for each key that looks the same as an earlier one (in sorted order):
    keys written before the rule refused them. Reported, never merged."""
    seen: dict[str, str] = {}
    found = []
    for key in sorted(keys):
        twin = None
        for form in look_alike_forms(key):
            first = seen.setdefault(form, key)
            if first != key and twin is None:
                twin = first
        if twin is not None:
            found.append((key, twin))
    return found


def unusual_characters(key: str, limit: int = 3) -> str:
    """What sets a look-alike key apart, in words: its characters outside ASCII, by code
    point and name (" (U+0430 CYRILLIC SMALL LETTER A)"), or "" when it has none."""
    seen = list(dict.fromkeys(ch for ch in key if not ch.isascii()))
    if not seen:
        return ""
    names = [f"U+{ord(ch):04X} {unicodedata.name(ch, 'an unnamed character')}"
             for ch in seen[:limit]]
    more = f" and {len(seen) - limit} more" if len(seen) > limit else ""
    return f" (with {', '.join(names)}{more})"
