"""The procurement check: for an agency class and a planned purchase, what the rules
require, which rule says so, and what the file must hold. The decision table itself is
data (``procurement`` in the rule set); first matching case wins."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any

from ..records import AGENCY_CLASSES
from .rules import RuleSet

OFFERINGS = ("calnet", "not-on-calnet", "contact-center-agents", "contact-center-mixed")
# Offerings that were answered once and are gone, with what to use instead.
RETIRED_OFFERINGS = {
    "public-safety": "--offering public-safety is gone: no source puts public-safety purchases "
                     "outside CALNET (CALNET carries FirstNet and First Responder services). "
                     "Use --offering calnet (with its --catalog-status).",
}
# A mixed contact-center purchase is answered in parts: (part, the offering it is answered as).
MIXED_PARTS = (("technology", "calnet"), ("agents", "contact-center-agents"))


class UsageError(ValueError):
    """Contradictory or missing answers (exit 2); the message says which."""


@dataclass(frozen=True)
class Purchase:
    agency_class: str
    offering: str
    catalog_status: str | None = None
    delegation_flag: str | None = None  # yes|no; None = not given (no)
    buy_outside: bool = False
    ato_term_active: str | None = None  # yes|no; non-state only; None = not given (no)

    def validate(self) -> None:
        if self.agency_class not in AGENCY_CLASSES:
            raise UsageError(f"--agency-class must be one of {'|'.join(AGENCY_CLASSES)}")
        if self.offering in RETIRED_OFFERINGS:
            raise UsageError(RETIRED_OFFERINGS[self.offering])
        if self.offering not in OFFERINGS:
            raise UsageError(f"--offering must be one of {'|'.join(OFFERINGS)}")
        if self.ato_term_active == "yes" and self.offering in ("not-on-calnet",
                                                              "contact-center-agents"):
            raise UsageError(f"--ato-term-active yes contradicts --offering {self.offering}: "
                             "an ATO lists CALNET services, and CALNET does not offer this")
        if self.offering == "not-on-calnet":
            given = [flag for flag, on in (
                ("--catalog-status", self.catalog_status is not None),
                ("--delegation-flag", self.delegation_flag is not None),
                ("--buy-outside", self.buy_outside)) if on]
            if given:
                raise UsageError(f"{', '.join(given)} contradicts --offering not-on-calnet: "
                                 "a service CALNET does not offer has no catalog entry and "
                                 "cannot be bought 'outside' CALNET")
        if self.ato_term_active is not None and self.agency_class != "non-state":
            raise UsageError("--ato-term-active applies to non-state agencies only (this one "
                             f"is {self.agency_class})")
        if (self.agency_class == "non-exempt-state"
                and self.offering in ("calnet", "contact-center-mixed")
                and self.catalog_status is None):
            raise UsageError("--catalog-status required|discretionary is needed for a "
                             "non-exempt state agency buying a CALNET-offered service: the "
                             "catalog's Required/Discretionary column decides")

    def answers(self) -> dict[str, str]:
        return {"agency_class": self.agency_class, "offering": self.offering,
                "catalog_status": self.catalog_status or "",
                "delegation_flag": self.delegation_flag or "no",
                "buy_outside": "yes" if self.buy_outside else "no",
                "ato_term_active": self.ato_term_active or "no"}


def _matches(when: dict[str, Any], answers: dict[str, str]) -> bool:
    return all(answers.get(k, "") in allowed for k, allowed in when.items())


def check_purchase(rules: RuleSet, purchase: Purchase) -> dict[str, Any]:
    """``{"requirements", "citations", "explanation", "documents", "conflicts", "parts"}``:
    ``conflicts`` lists the sources that differ on this purchase (source, date, what it
    says); ``parts`` answers a mixed contact-center purchase part by part (its own
    requirements then are the union of the parts')."""
    purchase.validate()
    if purchase.offering == "contact-center-mixed":
        return _in_parts(rules, purchase)
    return _decide(rules, purchase)


def result_lines(result: dict[str, Any]) -> list[str]:
    """The check's result in words, line by line: what `check-purchase` prints and what the
    desktop keeps with a record it creates from the check."""
    lines = [f"Requirements: {', '.join(result['requirements'])}",
             f"Why: {result['explanation']}",
             f"Sources: {', '.join(result['citations'])}"]
    for part in result["parts"]:
        lines.append(f"Part {part['part']}: {', '.join(part['requirements'])}  "
                     f"[{', '.join(part['citations'])}]")
    if result["conflicts"]:
        lines.append("Where the sources differ:")
        for c in result["conflicts"]:
            lines.append(f"  - {c['source']} ({c['date'] or 'undated'}): \u201c{c['says']}\u201d")
    if result["documents"]:
        lines.append("The file must hold:")
        lines += [f"  - {d}" for d in result["documents"]]
    return lines


def record_of_check(purchase: Purchase, result: dict[str, Any], day: dt.date,
                    kept_with: str) -> str:
    """The text kept with a record created from a check (``kept_with``, e.g. "exemption
    EX-1"): the day, the record, the answers, the result."""
    answers = [f"  {name.replace('_', ' ')}: {value}" for name, value in vars(purchase).items()
               if value not in (None, False)]
    return "\n".join([f"Procurement check of {day.isoformat()} (CALNET Desk), kept with "
                      f"{kept_with}", "Answers:",
                      *answers, "", *result_lines(result)]) + "\n"


def _in_parts(rules: RuleSet, purchase: Purchase) -> dict[str, Any]:
    parts = []
    whole: dict[str, Any] = {"requirements": [], "citations": [], "explanation": [],
                             "documents": [], "conflicts": []}
    for part, offering in MIXED_PARTS:
        answer = _decide(rules, replace(purchase, offering=offering))
        parts.append({"part": part, "requirements": answer["requirements"],
                      "citations": answer["citations"], "explanation": answer["explanation"]})
        for key in ("requirements", "citations", "documents", "conflicts"):
            whole[key] += [v for v in answer[key] if v not in whole[key]]
        whole["explanation"].append(f"{part.capitalize()}: {answer['explanation']}")
    return {**whole, "explanation": " ".join(whole["explanation"]), "parts": parts}


def _decide(rules: RuleSet, purchase: Purchase) -> dict[str, Any]:
    answers = purchase.answers()
    for case in rules.procurement:
        if not _matches(case.get("when", {}), answers):
            continue
        requirements = list(case["requirements"])
        citations = list(case["citations"])
        explanation = [case["explanation"]]
        documents = list(case.get("documents", []))
        for extra in case.get("extra", []):
            if _matches(extra.get("when", {}), answers):
                requirements += [r for r in extra["requirements"] if r not in requirements]
                citations += [c for c in extra.get("citations", []) if c not in citations]
                explanation.append(extra["explanation"])
                documents += [d for d in extra.get("documents", []) if d not in documents]
        return {"requirements": requirements, "citations": citations,
                "explanation": " ".join(explanation), "documents": documents,
                "conflicts": _conflicts(rules, case), "parts": []}
    raise UsageError("no rule in the rule set covers this purchase; check the answers")


def _conflicts(rules: RuleSet, case: dict[str, Any]) -> list[dict[str, str]]:
    out = []
    for c in case.get("conflicts", []):
        source = str(c.get("source", ""))
        doc = rules.documents.get(source, {})
        out.append({"source": source, "date": str(doc.get("date", "")),
                    "says": str(c.get("says", ""))})
    return out
