"""Keys a person can tell apart.

Text is stored in NFC. A key (a request number, an exemption number…) may not contain a
control, format or invisible character (LF, TAB, CR, U+0085, U+2028, U+202E, U+FEFF, a
zero-width space…) nor begin or end with a space. Two keys of one kind may not be equal under
NFKC with case folding (full-width letters, ligatures, letter case), so two records that look
the same on screen cannot both exist. (Unicode's confusables skeleton, UTS #39, is not applied
yet: Latin and Cyrillic look-alikes still pass.)
"""

from __future__ import annotations

import unicodedata

# Characters shown as nothing or as a blank that is not a space (Unicode's
# Default_Ignorable_Code_Point among them); categories Cc, Cf, Zl, Zp, Co, Cs, Cn are refused
# as a whole.
_INVISIBLE = frozenset("\u115f\u1160\u3164\uffa0\u2800\u034f\u180b\u180c\u180d\u180e"
                       "\u17b4\u17b5\u00ad")
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Co", "Cs", "Cn"})


def nfc(text: str) -> str:
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)


def key_problem(key: str) -> str | None:
    """Why a key is refused, or None."""
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
    """The form two keys that look alike share: NFKC with case folding (to a fixed point)."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", key).casefold())
    while True:
        again = unicodedata.normalize("NFKC", folded.casefold())
        if again == folded:
            return folded
        folded = again
