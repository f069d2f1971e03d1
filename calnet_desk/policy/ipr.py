"""The Individual Price Reduction (IPR) calculator [STMM 501.0].

An exemption may be granted when an IPR shows the alternative substantially below CALNET,
"about 20 %", with comparable SLAs, network support, diversity, survivability,
recoverability and scalability, and a separate contract would not unduly interfere with the
statewide network. The threshold (``ipr-max-percent-of-calnet``) and the checklist
(``ipr-checklist``) come from the rule set. The result is advisory: the text says "about".

Money is exact: integer cents in, Decimal arithmetic, the guide compared without rounding.
An exemption with reason ``ipr`` keeps its calculation's inputs (``ipr_calculations``); the
figures are computed from them whenever they are shown.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ..records import KINDS
from ..store import RecordError, Register
from ..store.tracked import IPR_CALCULATIONS, get_row, put_row
from ..values import BadValue, parse_money
from .rules import RulesError, RuleSet

THRESHOLD_RULE = "ipr-max-percent-of-calnet"
CHECKLIST_RULE = "ipr-checklist"

# How the checklist codes read in a sentence (an unknown code reads as itself).
CHECKLIST_LABELS = {"sla": "SLAs", "network-support": "network support",
                    "diversity": "diversity", "survivability": "survivability",
                    "recoverability": "recoverability", "scalability": "scalability"}


class IprUsageError(ValueError):
    """Input the calculator cannot use (exit 2); the message says what to give instead."""


@dataclass(frozen=True)
class IprInput:
    calnet_cost: int  # cents: the CALNET total over the term
    alternative_cost: int  # cents: the alternative's total over the same term
    months: int | None
    checklist: tuple[str, ...]  # the comparability items shown, in the rule set's order
    network_attested: bool  # a separate contract would not unduly interfere

    def row(self, exemption_id: str) -> dict[str, Any]:
        """The ipr_calculations row (yes/no as 0/1, as SQLite gives it back)."""
        return {"exemption_id": exemption_id, "calnet_cost": self.calnet_cost,
                "alternative_cost": self.alternative_cost, "months": self.months,
                "checklist": ",".join(self.checklist) or None,
                "network_attested": 1 if self.network_attested else 0}


def money_text(cents: int) -> str:
    """$1,234.56 (a minus sign before the dollar sign when negative)."""
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    return f"{sign}${whole:,}.{frac:02d}"


def checklist_items(rules: RuleSet) -> list[str]:
    value = rules.value(CHECKLIST_RULE)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RulesError(f"rules.{CHECKLIST_RULE} must be a list of text")
    return list(value)


def threshold_percent(rules: RuleSet) -> Decimal:
    value = rules.value(THRESHOLD_RULE)
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise RulesError(f"rules.{THRESHOLD_RULE} must be a number (percent)")
    percent = Decimal(str(value))
    if not percent.is_finite() or not 0 < percent <= 100:
        raise RulesError(f"rules.{THRESHOLD_RULE} must be a percentage above 0 and at most "
                         "100")
    return percent


def parse_dollars(text: str) -> int:
    """A cost given in dollars ('1234.50', '$1,234.50') as cents; more than zero."""
    hint = "give the total over the term in dollars, e.g. 125000 or $125,000.00"
    try:
        cents = parse_money(text)
    except BadValue as e:
        raise IprUsageError(f"{e}; {hint}") from None
    if cents is None:
        raise IprUsageError(f"no amount given; {hint}")
    assert isinstance(cents, int)
    if cents <= 0:
        raise IprUsageError(f"{text!r} is not more than zero; {hint}")
    return cents


def parse_checklist(rules: RuleSet, text: str | Iterable[str] | None) -> tuple[str, ...]:
    """Checklist codes (comma-separated text or a list) in the rule set's order."""
    known = checklist_items(rules)
    if text is None:
        return ()
    raw = text.split(",") if isinstance(text, str) else list(text)
    given = {item.strip().lower() for item in raw if item.strip()}
    unknown = sorted(given - set(known))
    if unknown:
        raise IprUsageError(f"unknown checklist item(s) {', '.join(unknown)}; use "
                            f"{', '.join(known)} (comma-separated)")
    return tuple(item for item in known if item in given)


def make_input(rules: RuleSet, calnet_cost: int, alternative_cost: int, months: int | None,
               checklist: Iterable[str], network_attested: bool) -> IprInput:
    for name, cents in (("the CALNET cost", calnet_cost),
                        ("the alternative cost", alternative_cost)):
        if cents <= 0:
            raise IprUsageError(f"{name} must be more than zero")
    if months is not None and months < 1:
        raise IprUsageError(f"months must be a positive whole number, not {months}")
    return IprInput(calnet_cost, alternative_cost, months,
                    parse_checklist(rules, list(checklist)), network_attested)


def _percent_text(value: Decimal) -> str:
    return f"{value:.2f} %"


def calculate(rules: RuleSet, ipr: IprInput) -> dict[str, Any]:
    """``{"saving", "saving_percent", "ratio", "checklist_complete", "meets_guide",
    "citation", "explanation"}``: saving in dollars, saving_percent of the CALNET cost
    (2 decimals), ratio alternative / CALNET (4 decimals)."""
    limit = threshold_percent(rules)
    known = checklist_items(rules)
    calnet, alternative = Decimal(ipr.calnet_cost), Decimal(ipr.alternative_cost)
    saving = ipr.calnet_cost - ipr.alternative_cost
    alternative_percent = alternative * 100 / calnet  # exact enough: 28 significant digits
    saving_percent = (Decimal(saving) * 100 / calnet).quantize(Decimal("0.01"), ROUND_HALF_UP)
    ratio = (alternative / calnet).quantize(Decimal("0.0001"), ROUND_HALF_UP)
    below = alternative * 100 <= limit * calnet  # exact: integers times the threshold
    lacking = [item for item in known if item not in ipr.checklist]
    meets = below and not lacking and ipr.network_attested
    citation = rules.citation(THRESHOLD_RULE)

    per_month = ""
    if ipr.months:
        monthly = (Decimal(saving) / ipr.months).quantize(Decimal("1"), ROUND_HALF_UP)
        per_month = f", about {money_text(int(monthly))} a month"
    term = f" over {ipr.months} months" if ipr.months else " over the same term"
    shown = _percent_text(alternative_percent.quantize(Decimal("0.01"), ROUND_HALF_UP))
    about = 100 - limit
    parts = [
        f"The alternative costs {money_text(ipr.alternative_cost)} against "
        f"{money_text(ipr.calnet_cost)} on CALNET{term}: {shown} of the CALNET cost, "
        + (f"a saving of {money_text(saving)} ({_percent_text(saving_percent)}{per_month})."
           if saving >= 0 else
           f"{money_text(-saving)} more than CALNET."),
        f"{citation} looks for an alternative substantially below CALNET, about "
        f"{about.normalize():f} % (at most {limit.normalize():f} % of the CALNET cost), with "
        f"comparable {_and_list(known)}, and a separate contract that would not unduly "
        "interfere with the statewide network.",
    ]
    if meets:
        parts.append("The calculation meets that guide.")
    else:
        why = []
        if not below:
            why.append(f"the alternative is {shown} of the CALNET cost, above "
                       f"{limit.normalize():f} %")
        if lacking:
            why.append(f"the comparability checklist lacks {_and_list(lacking)}")
        if not ipr.network_attested:
            why.append("no one has attested that a separate contract would not unduly "
                       "interfere with the statewide network")
        parts.append("The calculation does not meet that guide: " + "; ".join(why) + ".")
    parts.append('Advisory only: the threshold is a guide ("about"), not a rule, and the '
                 "CALNET Program decides on the exemption.")
    return {"saving": _dollars_json(saving), "saving_percent": float(saving_percent),
            "ratio": float(ratio), "checklist_complete": not lacking, "meets_guide": meets,
            "citation": citation, "explanation": " ".join(parts)}


def _and_list(codes: list[str]) -> str:
    labels = [CHECKLIST_LABELS.get(c, c) for c in codes] or ["service"]
    return labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} and {labels[-1]}"


def _dollars_json(cents: int) -> int | float:
    return cents // 100 if cents % 100 == 0 else cents / 100


# --- the saved calculation of an exemption -------------------------------------------------


def save_calculation(reg: Register, exemption_id: str, ipr: IprInput,
                     reason: str | None = None) -> str:
    """Store the calculation for an IPR exemption (insert, update or unchanged), with its
    history entry ("ipr-calculations"). RecordError when the exemption is not there or its
    reason is not ipr."""
    exemptions = KINDS["exemptions"]
    with reg.transaction(reason) as tx:
        record = reg.get(exemptions, exemption_id)
        if record is None:
            raise RecordError(f"no exemption {exemption_id} in the register; nothing was "
                              "saved")
        if record.get("reason") != "ipr":
            given = record.get("reason") or "none"
            raise RecordError(f"exemption {exemption_id} gives the reason {given}, not ipr: "
                              "only an Individual Price Reduction exemption keeps an IPR "
                              "calculation; nothing was saved. Set its reason to ipr first.")
        return put_row(tx, IPR_CALCULATIONS, ipr.row(exemption_id))


def saved_calculation(reg: Register, exemption_id: str) -> IprInput | None:
    row = get_row(reg, IPR_CALCULATIONS, {"exemption_id": exemption_id})
    if row is None:
        return None
    checklist = tuple(c for c in str(row["checklist"] or "").split(",") if c)
    return IprInput(int(row["calnet_cost"]), int(row["alternative_cost"]),
                    int(row["months"]) if row["months"] is not None else None, checklist,
                    bool(row["network_attested"]))
