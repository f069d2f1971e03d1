"""Rule sets: every policy number and decision as data, each naming its source.

The package ships ``data/rules/common.toml`` and one file per contract generation with only
what differs; a person's overrides live in ``rules.toml`` in the register folder (the
program folder is read-only). Merging: common, then the generation, then the overrides.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..files import write_text_atomically
from ..records import GENERATIONS as GENERATIONS  # the contract generations, declared there
from ..records import choice_label

OVERRIDE_FILE = "rules.toml"


class RulesError(Exception):
    """A rule-set file that cannot be used; the message names the file and the entry."""


@dataclass(frozen=True)
class Rule:
    id: str
    value: Any
    citation: str
    text: str
    unit: str = ""
    also: tuple[str, ...] = ()
    source: str = "common.toml"
    by_kind: dict[str, Any] = field(default_factory=dict)
    # The sentence it rests on (see policy/provenance.py): `quote` from `citation`, `quotes`
    # by source for the others, the day it was last checked, any other keys (effective_from).
    quote: str = ""
    quotes: dict[str, str] = field(default_factory=dict)
    checked: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def citations(self) -> list[str]:
        return [self.citation, *self.also]

    def as_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"id": self.id, "value": self.value, "unit": self.unit,
                             "citation": self.citation, "also": list(self.also),
                             "text": self.text, "source": self.source}
        for name, value in (("quote", self.quote), ("quotes", self.quotes),
                            ("checked", self.checked)):
            if value:
                d[name] = value
        d.update(self.extra)
        if self.by_kind:
            d["by_kind"] = self.by_kind
        return d


@dataclass(frozen=True)
class RuleSet:
    name: str
    generation: str | None
    rules: dict[str, Rule]
    deadlines: dict[str, dict[str, str]]
    procurement: list[dict[str, Any]]
    aliases: dict[str, str]
    sources: tuple[str, ...]
    # What a complete request holds, per kind ([requests.KIND], see policy/requests.py) and
    # each finding's severity, citation and message ([findings.CODE], policy/findings.py).
    requests: dict[str, dict[str, Any]] = field(default_factory=dict)
    findings: dict[str, dict[str, Any]] = field(default_factory=dict)
    # [sources.ID]: every document the entries cite (policy/provenance.py reads it).
    documents: dict[str, dict[str, Any]] = field(default_factory=dict)

    def value(self, rule_id: str) -> Any:
        return self.rules[rule_id].value

    def citation(self, rule_id: str) -> str:
        return self.rules[rule_id].citation

    def label(self, section: str, code: str) -> str:
        """The words a person reads for a finding's or deadline's code ([findings.CODE] or
        [deadlines.CODE] ``label``): PDFs and reports show these, the record files and JSON
        keep the code."""
        entry = {"findings": self.findings, "deadlines": self.deadlines}[section].get(code, {})
        return str(entry.get("label") or choice_label(code))

    def ladder(self, record_kind: str) -> list[int]:
        rule = self.rules["reminder-ladder-days"]
        return [int(d) for d in rule.by_kind.get(record_kind, rule.value)]

    def canonical_contractor(self, name: str) -> str:
        """Contractor aliases (CenturyLink -> Lumen, Sprint -> T-Mobile), case-insensitive."""
        folded = {k.casefold(): v for k, v in self.aliases.items()}
        return folded.get(name.strip().casefold(), name.strip())

    def contractor_names(self, name: str) -> list[str]:
        """Every name the contractor goes by (for search and matching)."""
        canonical = self.canonical_contractor(name)
        others = sorted(k for k, v in self.aliases.items() if v == canonical)
        return [canonical, *others]


def _read(text: str, label: str) -> dict[str, Any]:
    import tomllib  # the shipped rule sets are read from their JSON copies (start-up)

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise RulesError(f"{label}: not valid TOML ({e})") from e


def _merge(base: dict[str, Any], layer: dict[str, Any], label: str) -> None:
    for rule_id, entry in layer.get("rules", {}).items():
        if not isinstance(entry, dict):
            raise RulesError(f"{label}: rules.{rule_id} must be a table")
        target = base.setdefault("rules", {}).setdefault(rule_id, {})
        if "citation" not in entry and "citation" not in target:
            raise RulesError(f"{label}: rules.{rule_id} needs a citation (the STMM chapter, "
                             "TL or SAM section it comes from)")
        _update(target, entry)
        target["_source"] = label
    for key in ("deadlines", "findings", "sources"):
        for k, v in layer.get(key, {}).items():
            if not isinstance(v, dict):
                raise RulesError(f"{label}: {key}.{k} must be a table")
            _update(base.setdefault(key, {}).setdefault(k, {}), v)
    _merge_requests(base, layer, label)
    if "procurement" in layer:
        base["procurement"] = layer["procurement"]
    base.setdefault("aliases", {}).update(layer.get("aliases", {}))
    for k in ("name", "generation"):
        if k in layer:
            base[k] = layer[k]


PROVENANCE_KEYS = ("quote", "quotes", "checked", "unconfirmed")


def _update(target: dict[str, Any], entry: dict[str, Any]) -> None:
    """An entry's keys replace the target's; a new citation without its own sentence drops
    the sentence the old citation rested on (it would be shown under the wrong source)."""
    changed = any(k in entry and entry[k] != target.get(k)
                  for k in ("citation", "also", "citations"))
    if changed and not any(k in entry for k in PROVENANCE_KEYS):
        for k in PROVENANCE_KEYS:
            target.pop(k, None)
    target.update(entry)


def _merge_requests(base: dict[str, Any], layer: dict[str, Any], label: str) -> None:
    """[requests.KIND]: plain keys replace; elements merge by code (a layer may change one
    element's citation or fields, or add an element)."""
    for kind, entry in layer.get("requests", {}).items():
        if not isinstance(entry, dict):
            raise RulesError(f"{label}: requests.{kind} must be a table")
        target = base.setdefault("requests", {}).setdefault(kind, {})
        _update(target, {k: v for k, v in entry.items() if k != "elements"})
        elements: list[dict[str, Any]] = target.setdefault("elements", [])
        for element in entry.get("elements", []):
            if not isinstance(element, dict) or not element.get("code"):
                raise RulesError(f"{label}: every [[requests.{kind}.elements]] needs a code")
            same = next((e for e in elements if e.get("code") == element["code"]), None)
            if same is None:
                elements.append(dict(element))
            else:
                _update(same, element)


PACKAGED = Path(__file__).resolve().parent.parent / "data" / "rules"  # shipped rule sets


def _packaged(name: str) -> str:
    return (PACKAGED / name).read_text("utf-8")


def packaged_rule_sets() -> list[str]:
    """The shipped rule sets load_rules reads: common.toml and one per generation."""
    return ["common.toml", *(f"{g}.toml" for g in GENERATIONS)]


def parsed_copy_name(name: str) -> str:
    """The shipped rule set ``name`` parsed, as JSON beside it (``common.toml.json``)."""
    return f"{name}.json"


@functools.cache
def _parsed_text(name: str) -> str:
    """The rule set as JSON text. The TOML is the source a person reads and edits; each
    shipped one has its parse beside it (scripts/make_rules_json.py writes them, and
    tests/core/test_rules.py fails when one differs from its TOML), because parsing
    common.toml took a tenth of the desktop's cold start (issue 16 item 15) where JSON
    takes a millisecond. Without the copy, the TOML is parsed."""
    try:
        return (PACKAGED / parsed_copy_name(name)).read_text("utf-8")
    except FileNotFoundError:
        return json.dumps(_read(_packaged(name), name))


def _packaged_rules(name: str) -> dict[str, Any]:
    """A rule set shipped with the app, a fresh copy for the caller to merge into."""
    loaded: dict[str, Any] = json.loads(_parsed_text(name))
    return loaded


def override_state(register_root: Path) -> bytes:
    """The register's own rule-set override as it is now (b"" without one): with the
    shipped rule sets, all the rules a computation over the register depends on."""
    try:
        return (register_root / OVERRIDE_FILE).read_bytes()
    except FileNotFoundError:
        return b""
    except OSError:
        return b"unreadable"  # load_rules will say why


def load_rules(generation: str | None = None, register_root: Path | None = None) -> RuleSet:
    merged = _packaged_rules("common.toml")
    for entry in merged.get("rules", {}).values():
        entry["_source"] = "common.toml"
    sources = ["common.toml"]
    if generation:
        if generation not in GENERATIONS:
            raise RulesError(f"no rule set for contract generation {generation!r}")
        label = f"{generation}.toml"
        _merge(merged, _packaged_rules(label), label)
        sources.append(label)
    if register_root is not None:
        override = register_root / OVERRIDE_FILE
        if override.is_file():
            label = str(override)
            _merge(merged, _read(override.read_text("utf-8"), label), label)
            sources.append(label)
    rules: dict[str, Rule] = {}
    for rule_id, e in merged.get("rules", {}).items():
        if "value" not in e:
            raise RulesError(f"{e.get('_source')}: rules.{rule_id} has no value")
        known = {"value", "citation", "text", "unit", "also", "_source", "by-kind", "quote",
                 "quotes", "checked"}
        rules[rule_id] = Rule(rule_id, e["value"], str(e["citation"]), str(e.get("text", "")),
                              str(e.get("unit", "")), tuple(e.get("also", ())),
                              str(e["_source"]), dict(e.get("by-kind", {})),
                              str(e.get("quote", "")), dict(e.get("quotes", {})),
                              str(e.get("checked", "")),
                              {k: v for k, v in e.items() if k not in known})
    for rule_id in ("ato-exclusive-term-months", "ato-notice-days", "reminder-ladder-days",
                    "ipr-max-percent-of-calnet"):
        if rule_id not in rules:
            raise RulesError(f"the rule set has no {rule_id}")
    return RuleSet(str(merged.get("name", "CALNET rules")), merged.get("generation"), rules,
                   merged.get("deadlines", {}), list(merged.get("procurement", [])),
                   dict(merged.get("aliases", {})), tuple(sources),
                   dict(merged.get("requests", {})), dict(merged.get("findings", {})),
                   dict(merged.get("sources", {})))


# --- the reminder ladder per record kind, kept in the register's override -------------------

LADDER_RULE = "reminder-ladder-days"
_LADDER_HEADER = re.compile(r'^\s*\[\s*rules\s*\.\s*("reminder-ladder-days"|reminder-ladder-days)'
                            r'(\s*\.\s*("by-kind"|by-kind))?\s*\]\s*(#.*)?$')
_ANY_HEADER = re.compile(r"^\s*\[")


def kind_ladders(rules: RuleSet, kinds: Iterable[str]) -> dict[str, list[int]]:
    """The reminder ladder of each record kind as the rule set has it now."""
    return {kind: rules.ladder(kind) for kind in kinds}


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a TOML basic string
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise RulesError(f"cannot write {value!r} to {OVERRIDE_FILE}")


def write_kind_ladders(register_root: Path, ladders: Mapping[str, Sequence[int]]) -> Path:
    """Keep the reminder ladder of each record kind in the register's ``rules.toml``
    (``[rules.reminder-ladder-days.by-kind]``, citation "design"), where every deadline
    computation reads it. The rest of the file, comments included, stays as it was; the
    ``[rules.reminder-ladder-days]`` table keeps its other keys. The whole by-kind table is
    written (a layer replaces it as a whole). Written atomically (a temporary file, then
    os.replace), and read back: RulesError, with nothing written, when the result would not
    load or would not give these ladders (e.g. the file defines the rule some other way)."""
    for kind, days in ladders.items():
        if not days or any(isinstance(d, bool) or not isinstance(d, int) or d < 0
                           for d in days):
            raise RulesError(f"the reminder ladder of {kind} must be whole days, at least one")
    target = register_root / OVERRIDE_FILE
    old = target.read_text("utf-8") if target.is_file() else ""
    entry = dict(_read(old, str(target)).get("rules", {}).get(LADDER_RULE, {}))
    entry.pop("by-kind", None)
    entry["citation"] = "design"
    kept: list[str] = []
    skipping = False
    for line in old.splitlines():
        if _LADDER_HEADER.match(line):
            skipping = True
            continue
        if skipping and _ANY_HEADER.match(line):
            skipping = False
        if not skipping:
            kept.append(line)
    while kept and not kept[-1].strip():
        kept.pop()
    lines = [*kept, "", f"[rules.{LADDER_RULE}]"] if kept else [f"[rules.{LADDER_RULE}]"]
    lines += [f"{k} = {_toml_value(v)}" for k, v in entry.items()]
    lines += ["", f"[rules.{LADDER_RULE}.by-kind]"]
    lines += [f"{kind} = {_toml_value(sorted({int(d) for d in days}, reverse=True))}"
              for kind, days in ladders.items()]
    text = "\n".join(lines) + "\n"
    check = _read(text, str(target)).get("rules", {}).get(LADDER_RULE, {}).get("by-kind", {})
    if any(check.get(kind) != sorted({int(d) for d in days}, reverse=True)
           for kind, days in ladders.items()):
        raise RulesError(f"{target} defines {LADDER_RULE} in a way this cannot change; "
                         "edit its by-kind table by hand. Nothing was written.")
    write_text_atomically(target, text)
    return target


class CodeLabels(Mapping[str, str]):
    """The labels of one section's codes ("findings" or "deadlines") in the packaged rule
    set, read when first asked for (where no register's rule set is at hand: calendar
    events, the billing page)."""

    def __init__(self, section: str, codes: Sequence[str]) -> None:
        self.section, self.codes = section, tuple(codes)

    def __getitem__(self, code: str) -> str:
        if code not in self.codes:
            raise KeyError(code)
        return _packaged_common().label(self.section, code)

    def __iter__(self) -> Iterator[str]:
        return iter(self.codes)

    def __len__(self) -> int:
        return len(self.codes)


@functools.cache
def _packaged_common() -> RuleSet:
    return load_rules(None, None)
