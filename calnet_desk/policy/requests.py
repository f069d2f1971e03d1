"""Request completeness: does an exemption or delegation request hold every element the
policy asks for, before it goes out?

The elements are data (``[requests.exemptions]`` and ``[requests.delegations]`` in the rule
set), each with a stable code, a label, a citation, the record fields that satisfy it and
the conditions under which it applies. The findings' ``exemption-request-incomplete`` and
``delegation-request-incomplete`` use the same check.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
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


Check = Callable[[Value], bool]


def _parts(value: Value) -> list[str]:
    """A text's items: split at ';' and new lines (a list's items as they are)."""
    items = value if isinstance(value, list) else re.split(r"[;\n]", _text(value))
    return [str(i).strip() for i in items if str(i).strip()]


def _alternatives(words: list[str]) -> str:
    return "|".join(sorted({r"\s+".join(map(re.escape, w.strip().rstrip(".").split()))
                            for w in words if w.strip()}, key=len, reverse=True))


def street_pattern(suffixes: list[str], whole_names: list[str] | None = None
                   ) -> re.Pattern[str]:
    """A street address: a house number (not a quantity such as '4 x'), one to five words of
    street name, then a street suffix from the list (USPS Publication 28); or a house number
    and one of the street names that carry no suffix (Broadway)."""
    number = r"(?<![\w.])\d+[A-Za-z]?(?:-\d+[A-Za-z]?)?(?!\s*[x×]\b)"
    text = (number + r"(?:\s+[A-Za-z0-9'#.-]+){1,5}?\s+(?:" + _alternatives(suffixes)
            + r")\b\.?")
    if whole_names:
        text = f"(?:{text}|{number}" + r"\s+(?:" + _alternatives(list(whole_names)) + r")\b)"
    return re.compile(text, re.IGNORECASE)


def _titles_check(titles: list[str]) -> Check:
    wanted = [re.compile(r"\b" + re.escape(t.strip()) + r"\b", re.IGNORECASE)
              for t in titles if t.strip()]

    def check(value: Value) -> bool:
        return any(w.search(_text(value)) for w in wanted)
    return check


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
    formats: tuple[tuple[str, Check, str], ...] = ()  # (field, check, what it must give)
    since: tuple[str, dt.date] | None = None  # (date field, day): applies from that day on

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
        if self.since is not None:
            name, day = self.since
            value = record.get(name)
            if isinstance(value, str) and value and dt.date.fromisoformat(value) < day:
                return False
        return True

    def problems(self, record: Mapping[str, Value]) -> list[str]:
        """Why the element is not met (empty when it is)."""
        out = [f"{f} is empty" for f in self.fields if not _filled(record.get(f))]
        for name, check, help_text in self.formats:
            value = record.get(name)
            if _filled(value) and not check(value):
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


def _pattern_check(pattern: re.Pattern[str]) -> Check:
    return lambda value: bool(pattern.search(_text(value)))


def _format_check(rules: RuleSet, spec: dict[str, Any], where: str) -> tuple[Check, str]:
    """One format: a pattern, a street address in every item, a positive number, a signer
    title from the configured list, or yes."""
    if isinstance(spec.get("pattern"), str):
        pattern = _regex(spec["pattern"], where)
        return _pattern_check(pattern), str(spec.get("help", f"the form {spec['pattern']}"))
    if spec.get("street_address"):
        street = rules.requests.get("street-address", {})
        suffixes = street.get("suffixes") if isinstance(street, dict) else None
        if not isinstance(suffixes, list) or not suffixes:
            raise RulesError(f"{where}: the rule set has no [requests.street-address] "
                             "suffixes")
        whole = street.get("names_without_suffix", [])
        found = street_pattern([str(s) for s in suffixes],
                               [str(s) for s in whole] if isinstance(whole, list) else [])

        def every_item(value: Value) -> bool:
            items = _parts(value)
            return bool(items) and all(found.search(i) for i in items)
        return every_item, str(spec.get("help", "a street address for every location"))
    if spec.get("positive"):
        return (lambda value: isinstance(value, int) and not isinstance(value, bool)
                and value > 0), str(spec.get("help", "an amount above zero"))
    if spec.get("signer_title"):
        titles = rules.requests.get("signer-titles", {})
        names = titles.get("titles") if isinstance(titles, dict) else None
        if not isinstance(names, list) or not names:
            raise RulesError(f"{where}: the rule set has no [requests.signer-titles] titles")
        return _titles_check([str(n) for n in names]), str(spec.get(
            "help", f"a title the policy accepts ({', '.join(map(str, names))})"))
    if spec.get("yes"):
        return (lambda value: value is True), str(spec.get("help", "yes"))
    if isinstance(spec.get("one_of"), list):
        allowed = {str(v).casefold() for v in spec["one_of"]}
        return (lambda value: bool(_parts(value)) and all(
            i.casefold() in allowed for i in _parts(value))), str(spec.get(
                "help", f"one or more of: {'; '.join(map(str, spec['one_of']))}"))
    raise RulesError(f"{where} needs a pattern, street_address, positive, signer_title, yes "
                     "or one_of")


def _since(rules: RuleSet, kind: Kind, spec: Any, where: str) -> tuple[str, dt.date] | None:
    """``since = {field, rule}``: the element applies to records whose date field is on or
    after the rule's ``effective_from`` (or blank)."""
    if spec is None:
        return None
    if not isinstance(spec, dict) or not isinstance(spec.get("field"), str):
        raise RulesError(f"{where} since must be a table {{field, rule}}")
    _field_names(kind, (spec["field"],), f"{where} since")
    rule = rules.rules.get(str(spec.get("rule")))
    day = rule.extra.get("effective_from") if rule else None
    try:
        return spec["field"], dt.date.fromisoformat(str(day))
    except ValueError:
        raise RulesError(f"{where} since: rules.{spec.get('rule')} has no effective_from "
                         "date") from None


def _element(kind: Kind, entry: Any, where: str, rules: RuleSet) -> Element:
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
        if not isinstance(spec, dict):
            raise RulesError(f"{where} formats.{name} must be a table")
        check, help_text = _format_check(rules, spec, f"{where} formats.{name}")
        formats.append((name, check, help_text))
    return Element(entry["code"], entry["label"], entry["citation"], fields,
                   str(entry.get("condition", "")), when, mention_fields, mention_patterns,
                   tuple(formats), _since(rules, kind, entry.get("since"), where))


def elements(rules: RuleSet, kind: str | Kind) -> list[Element]:
    """The elements a request of this kind needs, in the rule set's order."""
    k = request_kind(kind)
    section = rules.requests.get(k.name)
    if not isinstance(section, dict) or not section.get("elements"):
        raise RulesError(f"the rule set has no [requests.{k.name}] elements")
    found = [_element(k, e, f"requests.{k.name} element", rules)
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
        key = key if key is not None else k.record_key(record)
        if rules is None:
            rules = load_rules()
    missing = missing_elements(rules, k, record)
    return {"kind": k.name, "key": key, "complete": not missing,
            "missing": [e.as_dict() for e in missing]}
