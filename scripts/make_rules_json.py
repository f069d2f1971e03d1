"""Write each shipped rule set's parse beside it as JSON (``common.toml`` ->
``common.toml.json``): the app reads the JSON, which takes a millisecond where parsing the
TOML took a tenth of the desktop's cold start (issue 16 item 15). The TOML stays the source
a person reads and edits; run this after changing one (tests/core/test_rules.py fails while
a JSON copy differs from its TOML).

    .venv/bin/python scripts/make_rules_json.py
"""

from __future__ import annotations

import json
import tomllib

from calnet_desk.policy.rules import PACKAGED, packaged_rule_sets, parsed_copy_name


def main() -> int:
    for name in packaged_rule_sets():
        data = tomllib.loads((PACKAGED / name).read_text("utf-8"))
        target = PACKAGED / parsed_copy_name(name)
        target.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", "utf-8")
        print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
