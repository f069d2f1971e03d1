"""Request completeness: does an exemption or delegation request hold every element the
policy asks for, before it goes out?

The elements are data (``[requests.exemptions]`` and ``[requests.delegations]`` in the rule
set), each with a stable code, a label, a citation, the record fields that satisfy it and
the conditions under which it applies. The findings' ``exemption-request-incomplete`` and
``delegation-request-incomplete`` use the same check.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..records import Kind, Value, kind_among
from ..store import RecordError, Register
from .rules import RulesError, RuleSet, load_rules

REQUEST_KINDS = ("exemptions", "delegations")


class UsageError(ValueError):
    """A kind that has no request (exit 2)."""


def request_kind(name: str | Kind) -> Kind:
    """The kind for exemptions/delegations (plural or singular); anything else is refused."""
    kind = (name if name.name in REQUEST_KINDS else None) if isinstance(name, Kind) \
        else kind_among(name, REQUEST_KINDS)
    if kind is None:
        raise UsageError(f"{name if isinstance(name, str) else name.name!r} has no request; "
                         f"use one of: {', '.join(REQUEST_KINDS)}")
    return kind


def _text(value: Value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return str(value)


def _filled(value: Value) -> bool:
    if value is None:
        return False
    if isinstance(value, list):
        return any(str(v).strip() for v in value)
    if isinstance(value, str):
        return bool(value.strip())
    return True  # numbers (0 included) and yes/no


@dataclass(frozen=True)
class Element:
    code: str
    label: str
    citation: str
    fields: tuple[str, ...]
    condition: str = ""
    when: tuple[tuple[str, tuple[str, ...]], ...] = ()
    mention_fields: tuple[str, ...] = ()
    mention_patterns: tuple[re.Pattern[str], ...] = ()
    formats: tuple[tuple[str, re.Pattern[str], str], ...] = ()  # (field, pattern, help)

    def applies(self, record: Mapping[str, Value]) -> bool:
        for name, allowed in self.when:
            value = record.get(name)
            values = ([str(v) for v in value] if isinstance(value, list)
                      else [_text(value)])
            if not any(v in allowed for v in values):
                return False
        if self.mention_patterns:
            text = "\n".join(_text(record.get(f)) for f in self.mention_fields)
            if not any(p.search(text) for p in self.mention_patterns):
                return False
        return True

    def problems(self, record: Mapping[str, Value]) -> list[str]:
        """Why the element is not met (empty when it is)."""
        out = [f"{f} is empty" for f in self.fields if not _filled(record.get(f))]
        for name, pattern, help_text in self.formats:
            value = record.get(name)
            if _filled(value) and not pattern.search(_text(value)):
                out.append(f"{name} does not give {help_text}")
        return out

    def as_dict(self) -> dict[str, str]:
        return {"element": self.code, "label": self.label, "citation": self.citation}


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RulesError(f"{where} must be a list of text")
    return tuple(value)


def _field_names(kind: Kind, names: tuple[str, ...], where: str) -> tuple[str, ...]:
    unknown = [n for n in names if n not in kind.by_name]
    if unknown:
        raise RulesError(f"{where} names {', '.join(unknown)}, not a field of {kind.name} "
                         f"(fields: {', '.join(kind.columns)})")
    return names


def _regex(text: str, where: str) -> re.Pattern[str]:
    try:
        return re.compile(text)
    except re.error as e:
        raise RulesError(f"{where}: {text!r} is not a regular expression ({e})") from None


def _element(kind: Kind, entry: Any, where: str) -> Element:
    if not isinstance(entry, dict):
        raise RulesError(f"{where} must be a table")
    code = entry.get("code")
    where = f"{where} {code!r}"
    for key in ("code", "label", "citation"):
        if not isinstance(entry.get(key), str) or not entry[key].strip():
            raise RulesError(f"{where} needs a {key} (text)")
    fields = _field_names(kind, _strings(entry.get("fields"), f"{where} fields"),
                          f"{where} fields")
    if not fields:
        raise RulesError(f"{where} needs the fields that satisfy it")
    when_raw = entry.get("when", {})
    if not isinstance(when_raw, dict):
        raise RulesError(f"{where} when must be a table {{field = [values]}}")
    when = tuple((name, _strings(allowed, f"{where} when.{name}"))
                 for name, allowed in when_raw.items())
    _field_names(kind, tuple(name for name, _ in when), f"{where} when")
    mentions = entry.get("when_mentions", {})
    if not isinstance(mentions, dict):
        raise RulesError(f"{where} when_mentions must be a table {{fields, patterns}}")
    mention_fields = _field_names(
        kind, _strings(mentions.get("fields", list(kind.columns)), f"{where} when_mentions"),
        f"{where} when_mentions")
    mention_patterns = tuple(_regex(p, f"{where} when_mentions")
                             for p in _strings(mentions.get("patterns", []),
                                               f"{where} when_mentions.patterns"))
    formats_raw = entry.get("formats", {})
    if not isinstance(formats_raw, dict):
        raise RulesError(f"{where} formats must be a table {{field = {{pattern, help}}}}")
    formats = []
    for name, spec in formats_raw.items():
        _field_names(kind, (name,), f"{where} formats")
        if not isinstance(spec, dict) or not isinstance(spec.get("pattern"), str):
            raise RulesError(f"{where} formats.{name} needs a pattern")
        formats.append((name, _regex(spec["pattern"], f"{where} formats.{name}"),
                        str(spec.get("help", f"the form {spec['pattern']}"))))
    return Element(entry["code"], entry["label"], entry["citation"], fields,
                   str(entry.get("condition", "")), when, mention_fields, mention_patterns,
                   tuple(formats))


def elements(rules: RuleSet, kind: str | Kind) -> list[Element]:
    """The elements a request of this kind needs, in the rule set's order."""
    k = request_kind(kind)
    section = rules.requests.get(k.name)
    if not isinstance(section, dict) or not section.get("elements"):
        raise RulesError(f"the rule set has no [requests.{k.name}] elements")
    found = [_element(k, e, f"requests.{k.name} element")
             for e in section["elements"] if not (isinstance(e, dict) and e.get("retired"))]
    codes = [e.code for e in found]
    dupes = sorted({c for c in codes if codes.count(c) > 1})
    if dupes:
        raise RulesError(f"requests.{k.name}: element code(s) {', '.join(dupes)} repeated")
    return found


def missing_elements(rules: RuleSet, kind: str | Kind, record: Mapping[str, Value]
                     ) -> list[Element]:
    """The applicable elements the record does not meet."""
    return [e for e in elements(rules, kind) if e.applies(record) and e.problems(record)]


def check_request(source: Register | Mapping[str, Value], kind: str | Kind,
                  key: str | None = None, rules: RuleSet | None = None) -> dict[str, Any]:
    """``{"kind", "key", "complete", "missing": [{"element", "label", "citation"}]}`` for
    the request ``key`` in a register, or for a record given directly (``key`` then
    defaults to the record's own). Raises RecordError when the register has no such one."""
    k = request_kind(kind)
    if isinstance(source, Register):
        if key is None:
            raise UsageError(f"which {k.singular}? give its key")
        found = source.get(k, key)
        if found is None:
            raise RecordError(f"no {k.singular} {key} in the register")
        record: Mapping[str, Value] = found
        if rules is None:
            rules = load_rules(None, source.paths.root)
    else:
        record = source
        key = key if key is not None else _text(record.get(k.key.name))
        if rules is None:
            rules = load_rules()
    missing = missing_elements(rules, k, record)
    return {"kind": k.name, "key": key, "complete": not missing,
            "missing": [e.as_dict() for e in missing]}
