"""Reconcile: the contractors' statements side by side with the orders.

The six codes, their matching and their amounts are CALNET Desk's own design (no policy
text prescribes a billing check); each code's severity, message, citation ("design") and
parameters are in the rule set (``[findings.CODE]``) like the other findings.

Matching. Only orders of the statement's contractor (after the rule set's contractor
aliases) are considered, drafts never. A value normalises to its last ten digits when it
holds 10 or 11 digits and nothing but digits, spaces and ``()+-.``; otherwise to its letters
and digits, upper-cased. A line matches the orders whose normalised ``circuit_id`` equals
its normalised circuit id, else its normalised WTN; else the order whose request number is
its SR number. The orders of one service (same normalised circuit id) are ordered by
(request_date, completed_on with blanks last, request_number); the last describes it.

Nothing here is stored: the findings are computed from the register every time; only a
person's marks (:func:`mark_finding`) are kept, through the history.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from ..progress import collector_paused
from ..store import RecordError, Register
from ..store.billing import (
    Mark,
    Statement,
    contractor_names,
    get_mark,
    get_statement,
    lines,
    lines_for_matching,
    marks,
    orders_for_matching,
    put_mark,
    statements,
)
from .billing_codes import RECONCILE_PLACEHOLDERS
from .findings import Catalog
from .rules import RuleSet

DEFAULT_TOLERANCE_CENTS = 100
DEFAULT_TOLERANCE_PERCENT = 1
DEFAULT_UNUSED_MONTHS_BEFORE = 2
TOLL_FREE_PREFIXES = ("800", "833", "844", "855", "866", "877", "888")

_PHONE_PUNCTUATION = str.maketrans("", "", " ()+-.")
_NOT_ALNUM = re.compile(r"[\W_]+")


def normalise(value: str | None) -> str | None:
    """The matching form of a circuit id, WTN or order circuit_id (None when nothing is
    left): the last ten digits of a phone-like value of 10 or 11 digits (nothing but
    digits, spaces and ``()+-.``), else its letters and digits upper-cased."""
    if not value:
        return None
    digits = value.translate(_PHONE_PUNCTUATION)
    if digits.isascii() and digits.isdigit() and len(digits) in (10, 11):
        return digits[-10:]
    return _NOT_ALNUM.sub("", value).upper() or None


def money_text(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    return f"{sign}${whole:,}.{frac:02d}"


def dollars(cents: int | None) -> int | float | None:
    """Cents as JSON dollars (a whole number when there are no cents)."""
    if cents is None:
        return None
    return cents // 100 if cents % 100 == 0 else cents / 100


def _us(iso: str | None) -> str:
    if not iso:
        return "an unknown date"
    d = dt.date.fromisoformat(iso)
    return f"{d.month:02d}/{d.day:02d}/{d.year}"


@dataclass(frozen=True)
class Finding:
    code: str
    severity: str
    contractor: str
    month: str
    ban: str | None
    line: str
    order: str | None
    monthly_amount: int  # cents
    message: str
    citation: str
    row: int = 0  # the statement row (0: none, e.g. ordered-not-billed)
    mark: Mark | None = None

    @property
    def sort_key(self) -> tuple[str, str, str, str, int]:
        return (self.month, self.contractor, self.code, self.line, self.row)

    @property
    def ident(self) -> tuple[str, str, str, str]:
        return (self.month, self.contractor, self.code, self.line)

    @property
    def open(self) -> bool:
        """Still to act on: unmarked or disputed."""
        return self.mark is None or self.mark.mark == "disputed"

    def as_dict(self) -> dict[str, Any]:
        m = self.mark
        return {"code": self.code, "contractor": self.contractor, "month": self.month,
                "ban": self.ban, "line": self.line, "order": self.order,
                "monthly_amount": dollars(self.monthly_amount),
                "annual_amount": dollars(12 * self.monthly_amount),
                "message": self.message,
                "mark": None if m is None else {"as": m.mark, "amount": dollars(m.amount),
                                                "note": m.note, "by": m.marked_by,
                                                "at": m.marked_at}}


# Order columns as orders_for_matching gives them
_RN, _RDATE, _TYPE, _CONTRACTOR, _STATUS, _DONE, _CIRCUIT, _BAN, _MONTHLY = range(9)
Order = tuple[Any, ...]
ServiceKey = tuple[str, str]


@dataclass
class _Orders:
    """One contractor's orders: services by key, orders by request number."""
    services: dict[ServiceKey, list[Order]] = field(default_factory=dict)
    by_request: dict[str, Order] = field(default_factory=dict)


def service_of(order: Order) -> ServiceKey:
    n = normalise(order[_CIRCUIT])
    return ("c", n) if n else ("r", order[_RN])


def _order_sort(order: Order) -> tuple[str, bool, str, str]:
    return (order[_RDATE], order[_DONE] is None, order[_DONE] or "", order[_RN])


def load_orders(reg: Register, rules: RuleSet) -> dict[str, _Orders]:
    by_contractor: dict[str, _Orders] = {}
    canonical: dict[str, str] = {}
    for order in orders_for_matching(reg):
        name = order[_CONTRACTOR]
        c = canonical.get(name)
        if c is None:
            c = canonical[name] = rules.canonical_contractor(name).casefold()
        o = by_contractor.get(c)
        if o is None:
            o = by_contractor[c] = _Orders()
        o.services.setdefault(service_of(order), []).append(order)
        o.by_request[order[_RN]] = order
    for o in by_contractor.values():
        for group in o.services.values():
            if len(group) > 1:
                group.sort(key=_order_sort)
    return by_contractor


class _Matcher:
    def __init__(self, orders: _Orders) -> None:
        self.services = orders.services
        self.by_request = orders.by_request
        # the lines of one service (port, access, features) repeat the same values
        self.seen: dict[tuple[str | None, str | None, str | None],
                        tuple[ServiceKey, bool]] = {}

    def __call__(self, circuit: str | None, wtn: str | None, sr: str | None
                 ) -> tuple[ServiceKey, bool]:
        """(service key, matched an order)."""
        raw = (circuit, wtn, sr)
        found = self.seen.get(raw)
        if found is None:
            found = self.seen[raw] = self._match(circuit, wtn, sr)
        return found

    def _match(self, circuit: str | None, wtn: str | None, sr: str | None
               ) -> tuple[ServiceKey, bool]:
        services = self.services
        nc = normalise(circuit)
        if nc is not None and ("c", nc) in services:
            return ("c", nc), True
        nw = normalise(wtn)
        if nw is not None and ("c", nw) in services:
            return ("c", nw), True
        if sr is not None:
            order = self.by_request.get(sr)
            if order is not None:
                return service_of(order), True
        ident = nc or nw
        return (("u", ident) if ident else ("s", sr or "")), False


class _Made(NamedTuple):
    severity: str
    message: str
    citation: str


class Reconciler:
    """Reconciles statements; one per run (orders and rules read once)."""

    def __init__(self, reg: Register, rules: RuleSet) -> None:
        self.reg = reg
        self.catalog = Catalog(rules, RECONCILE_PLACEHOLDERS)
        # (severity, citation, message template) by code: the catalog checked each
        # template's names once; every finding fills its code's in
        self._texts = {code: (str(e["severity"]), str(e["citation"]), str(e["message"]))
                       for code, e in self.catalog.entries.items()}
        self.orders = load_orders(reg, rules)
        self.tolerance_cents = self.catalog.param("rate-mismatch", "tolerance_cents",
                                                  DEFAULT_TOLERANCE_CENTS)
        self.tolerance_percent = self.catalog.param("rate-mismatch", "tolerance_percent",
                                                    DEFAULT_TOLERANCE_PERCENT)
        self.months_before = self.catalog.param("unused-line", "months_before",
                                                DEFAULT_UNUSED_MONTHS_BEFORE)
        self._zero_usage: dict[tuple[str, str], set[ServiceKey]] = {}
        # one matcher per contractor for the whole run: the same line values come back
        # every month, and each is normalised and looked up once
        self._matchers: dict[str, _Matcher] = {}
        # per service: (its last order, every order cancelled), worked out once
        self._facts: dict[str, dict[ServiceKey, tuple[Order | None, bool]]] = {}

    def _matcher(self, contractor: str) -> _Matcher:
        folded = contractor.casefold()
        m = self._matchers.get(folded)
        if m is None:
            m = self._matchers[folded] = _Matcher(self.orders.get(folded) or _Orders())
        return m

    def _zero_usage_services(self, contractor: str, month: str) -> set[ServiceKey] | None:
        """The services whose every line has usage 0 in that month; None when the month
        has no statement for the contractor."""
        key = (contractor, month)
        if key in self._zero_usage:
            return self._zero_usage[key]
        if get_statement(self.reg, contractor, month) is None:
            return None
        match = self._matcher(contractor)
        usage_zero: dict[ServiceKey, bool] = {}
        for _row, _ban, wtn, circuit, sr, _product, _mrc, usage in lines_for_matching(
                self.reg, contractor, month):
            sk, _ = match(circuit, wtn, sr)
            usage_zero[sk] = usage_zero.get(sk, True) and usage == 0
        found = {sk for sk, zero in usage_zero.items() if zero}
        self._zero_usage[key] = found
        return found

    def statement(self, st: Statement) -> list[Finding]:
        contractor, month = st.contractor, st.month
        first_day = f"{month}-01"
        orders = self.orders.get(contractor.casefold()) or _Orders()
        matcher = self._matcher(contractor)
        seen, match = matcher.seen, matcher._match
        texts = self._texts

        def make(code: str, key: str, **values: object) -> _Made:
            severity, citation, template = texts[code]
            filled = {"key": key, **{name: str(v) for name, v in values.items()}}
            return _Made(severity, template.format_map(filled), citation)

        found: list[Finding] = []
        # per service: [first row, its line, its BAN, matched, MRC (extras left out),
        #               products seen, every usage zero, billed after disconnect]
        groups: dict[ServiceKey, list[Any]] = {}
        disconnected: dict[ServiceKey, str | None] = {}
        services = orders.services
        ended = self._ended(contractor, services)
        rows = lines_for_matching(self.reg, contractor, month)
        for row, ban, wtn, circuit, sr, product, mrc, usage in rows:
            raw = (circuit, wtn, sr)
            m = seen.get(raw)
            if m is None:
                m = seen[raw] = match(circuit, wtn, sr)
            sk, matched = m
            cents = mrc or 0
            g = groups.get(sk)
            if g is None:
                shown = circuit or wtn or sr or ""
                groups[sk] = g = [row, shown, ban, matched, cents, {product or ""},
                                  usage == 0, False]
            else:
                shown = circuit or wtn or sr or ""
                product_key = product or ""
                if product_key in g[5]:
                    found.append(self._finding(make(
                        "duplicate-billing", shown, contractor=contractor, month=month,
                        line=shown, product=product or "(blank)", first_row=g[0], row=row,
                        amount=money_text(cents)), "duplicate-billing", contractor, month,
                        ban, shown, services[sk][-1][_RN] if matched else None, cents, row))
                else:
                    g[5].add(product_key)
                    g[4] += cents
                if g[6] and usage != 0:
                    g[6] = False
            if not matched:
                found.append(self._finding(make(
                    "billed-not-in-register", shown, contractor=contractor, month=month,
                    line=shown, ban=ban or "(none)", amount=money_text(cents)),
                    "billed-not-in-register", contractor, month, ban, shown, None, cents, row))
                continue
            if sk not in ended:
                continue
            if sk in disconnected:
                problem = disconnected[sk]
            else:
                problem = disconnected[sk] = self._disconnected(ended, sk, first_day)
            if problem:
                g[7] = True
                last = services[sk][-1]
                found.append(self._finding(make(
                    "billed-after-disconnect", shown, contractor=contractor, month=month,
                    line=shown, order=last[_RN], problem=problem, amount=money_text(cents)),
                    "billed-after-disconnect", contractor, month, ban, shown, last[_RN],
                    cents, row))
        # per service
        zero_before: list[set[ServiceKey] | None] = []
        needs_usage = any(g[6] for g in groups.values())
        if needs_usage:
            before = month
            for _ in range(self.months_before):
                before = _previous_month(before)
                zero_before.append(self._zero_usage_services(contractor, before))
        self._zero_usage[(contractor, month)] = {sk for sk, g in groups.items() if g[6]}
        oldest = month
        for _ in range(self.months_before):
            oldest = _previous_month(oldest)
        for key in [k for k in self._zero_usage if k[0] == contractor and k[1] < oldest]:
            del self._zero_usage[key]  # one contractor's recent months only: memory stays flat
        tolerance_cents, tolerance_percent = self.tolerance_cents, self.tolerance_percent
        for sk, (first_row, line, ban, matched, billed, _p, usage_zero, after) in groups.items():
            if matched and not after:
                last = services[sk][-1]
                cost = last[_MONTHLY]
                if cost is not None:
                    diff = billed - cost
                    if abs(diff) * 100 > max(tolerance_cents * 100, abs(cost) * tolerance_percent):
                        found.append(self._finding(make(
                            "rate-mismatch", line, contractor=contractor, month=month,
                            line=line, order=last[_RN], billed=money_text(billed),
                            ordered=money_text(cost), difference=money_text(diff)),
                            "rate-mismatch", contractor, month, ban, line, last[_RN], diff,
                            first_row))
            if usage_zero and needs_usage and all(
                    z is not None and sk in z for z in zero_before):
                found.append(self._finding(make(
                    "unused-line", line, contractor=contractor, month=month, line=line,
                    months=self.months_before + 1, amount=money_text(billed)),
                    "unused-line", contractor, month, ban, line,
                    services[sk][-1][_RN] if matched else None, billed, first_row))
        for sk, group in services.items():
            last = group[-1]
            if (last[_STATUS] == "completed" and last[_TYPE] in ("new", "change", "move")
                    and last[_DONE] is not None and last[_DONE] < first_day
                    and (last[_MONTHLY] or 0) > 0 and sk not in groups):
                shown = last[_CIRCUIT] or last[_RN]
                found.append(self._finding(make(
                    "ordered-not-billed", shown, contractor=contractor, month=month,
                    line=shown, order=last[_RN], completed_on=_us(last[_DONE]),
                    ordered=money_text(last[_MONTHLY])),
                    "ordered-not-billed", contractor, month, last[_BAN], shown, last[_RN], 0,
                    0))
        return found

    def _ended(self, contractor: str, services: dict[ServiceKey, list[Order]]
               ) -> dict[ServiceKey, tuple[Order | None, bool]]:
        """The contractor's services that may not be billed: (the last order when it is a
        completed disconnect, every order cancelled), worked out once per run; the other
        services are not in it."""
        folded = contractor.casefold()
        ended = self._facts.get(folded)
        if ended is None:
            ended = self._facts[folded] = {}
            for sk, group in services.items():
                last = group[-1]
                gone = (last[_TYPE] == "disconnect" and last[_STATUS] == "completed"
                        and last[_DONE] is not None)
                cancelled = all(o[_STATUS] == "cancelled" for o in group)
                if gone or cancelled:
                    ended[sk] = (last if gone else None, cancelled)
        return ended

    @staticmethod
    def _disconnected(ended: dict[ServiceKey, tuple[Order | None, bool]], sk: ServiceKey,
                      first_day: str) -> str | None:
        """Why the service should not be billed in the month starting first_day (its
        last order a disconnect completed before it, or every order cancelled), or None."""
        facts = ended.get(sk)
        if facts is None:
            return None
        last_gone, cancelled = facts
        if last_gone is not None and last_gone[_DONE] < first_day:
            return f"was disconnected on {_us(last_gone[_DONE])} (order {last_gone[_RN]})"
        if cancelled:
            return "has only cancelled orders"
        return None

    def _finding(self, made: _Made, code: str, contractor: str, month: str, ban: str | None,
                 line: str, order: str | None, cents: int, row: int) -> Finding:
        return Finding(code, made.severity, contractor, month, ban, line, order, cents,
                       made.message, made.citation, row)


def _previous_month(month: str) -> str:
    y, m = int(month[:4]), int(month[5:7])
    return f"{y - 1}-12" if m == 1 else f"{y}-{m - 1:02d}"


def resolve_contractor(reg: Register, rules: RuleSet, name: str) -> str:
    """A contractor as the register spells it: the rule set's alias applied, then the
    spelling of a statement or an order naming the same contractor in other letter case
    ("verizon" is "Verizon")."""
    canonical = rules.canonical_contractor(name)
    folded = canonical.casefold()
    for st in statements(reg):
        if st.contractor.casefold() == folded:
            return st.contractor
    for name_in_orders in contractor_names(reg):
        spelled = rules.canonical_contractor(name_in_orders)
        if spelled.casefold() == folded:
            return spelled
    return canonical


class NoStatement(RecordError):
    pass


def select_statements(reg: Register, month: str | None, contractor: str | None
                      ) -> list[Statement]:
    chosen = statements(reg, contractor, month)
    if not chosen:
        who = f" for {contractor}" if contractor else ""
        if month:
            raise NoStatement(f"no statement{who} for {month} is imported; import one with "
                              f"import-billing FILE --contractor NAME --month {month}")
        raise NoStatement(f"no statement{who} is imported; import one with import-billing "
                          "FILE --contractor NAME --month YYYY-MM")
    return chosen


def reconcile(reg: Register, rules: RuleSet, month: str | None = None,
              contractor: str | None = None,
              progress: Callable[[int, int], None] | None = None) -> list[Finding]:
    """Every finding of the chosen statements, marks attached, sorted by (month,
    contractor, code, line). Raises NoStatement when there is none to reconcile."""
    chosen = select_statements(reg, month, contractor)
    found: list[Finding] = []
    with collector_paused():
        r = Reconciler(reg, rules)
        for i, st in enumerate(chosen):
            found.extend(r.statement(st))
            if progress:
                progress(i + 1, len(chosen))
    kept = marks(reg)
    if kept:
        found = [f if f.ident not in kept else _with_mark(f, kept[f.ident]) for f in found]
    found.sort(key=lambda f: f.sort_key)
    return found


def _with_mark(f: Finding, mark: Mark) -> Finding:
    from dataclasses import replace

    return replace(f, mark=mark)


@dataclass(frozen=True)
class Totals:
    monthly_at_stake: int
    disputed: int
    recovered: int

    @property
    def annual_at_stake(self) -> int:
        return 12 * self.monthly_at_stake


def totals(found: Iterable[Finding]) -> Totals:
    """Dollars at stake (the positive amounts of open findings, a month), disputed and
    recovered (credited marks)."""
    stake = disputed = recovered = 0
    for f in found:
        amount = max(f.monthly_amount, 0)
        if f.open:
            stake += amount
        if f.mark is not None and f.mark.mark == "disputed":
            disputed += amount
        if f.mark is not None and f.mark.mark == "credited":
            recovered += f.mark.amount or 0
    return Totals(stake, disputed, recovered)


def mark_finding(reg: Register, rules: RuleSet, month: str, contractor: str, code: str,
                 line: str, mark: str, amount: int | None, note: str | None) -> str:
    """Mark a current finding (through the history); insert|update|unchanged."""
    found = reconcile(reg, rules, month, contractor)
    if not any(f.code == code and f.line == line for f in found):
        raise RecordError(f"no {code} finding on line {line} of {contractor} {month}; see "
                          f"reconcile --month {month} --contractor \"{contractor}\"")
    kept = get_mark(reg, month, contractor, code, line)
    if kept is not None and (kept["mark"], kept["amount"], kept["note"]) == (mark, amount, note):
        return "unchanged"  # marked so already: who and when stay as they were
    at = reg.clock().astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    with reg.transaction(f"reconcile-mark {code} {line}") as tx:
        return put_mark(tx, Mark(month, contractor, code, line, mark, amount, note, reg.user,
                                 at))


# --- toll-free numbers (STMM 0507.0) ------------------------------------------------------


@dataclass
class TollFree:
    number: str
    contractor: str | None = None
    ban: str | None = None
    monthly_cost: int | None = None
    sources: list[str] = field(default_factory=list)
    _from_statement: str = ""  # the latest statement month seen

    def as_dict(self) -> dict[str, Any]:
        return {"number": self.number, "contractor": self.contractor, "ban": self.ban,
                "monthly_cost": dollars(self.monthly_cost), "sources": sorted(self.sources)}


def toll_free_number(value: str | None) -> str | None:
    n = normalise(value)
    if n is not None and len(n) == 10 and n.isdigit() and n[:3] in TOLL_FREE_PREFIXES:
        return n
    return None


def toll_free(reg: Register, rules: RuleSet) -> list[TollFree]:
    """Every toll-free number (800, 833, 844, 855, 866, 877, 888) in the orders (not
    drafts) and the statements: one entry per number, sorted by number. Contractor, BAN
    and monthly cost come from the latest statement billing it, else its latest order."""
    found: dict[str, TollFree] = {}
    latest_order: dict[str, Order] = {}
    for order in orders_for_matching(reg):
        number = toll_free_number(order[_CIRCUIT])
        if number is None:
            continue
        entry = found.setdefault(number, TollFree(number))
        entry.sources.append(f"order:{order[_RN]}")
        before = latest_order.get(number)
        if before is None or _order_sort(order) > _order_sort(before):
            latest_order[number] = order
    for number, order in latest_order.items():
        entry = found[number]
        entry.contractor = rules.canonical_contractor(order[_CONTRACTOR])
        entry.ban = order[_BAN]
        entry.monthly_cost = order[_MONTHLY]
    for st in statements(reg):
        billed: dict[str, tuple[str | None, int]] = {}
        for line in lines(reg, st.contractor, st.month):
            number = toll_free_number(line[2]) or toll_free_number(line[3])
            if number is None:
                continue
            ban, cents = billed.get(number, (line[1], 0))
            billed[number] = (ban or line[1], cents + (line[8] or 0))
        for number, (ban, cents) in billed.items():
            entry = found.setdefault(number, TollFree(number))
            entry.sources.append(f"statement:{st.contractor}:{st.month}")
            if st.month >= entry._from_statement:
                entry._from_statement = st.month
                entry.contractor, entry.ban, entry.monthly_cost = st.contractor, ban, cents
    return [found[n] for n in sorted(found)]


def statements_for_bundle(reg: Register, contractors: Iterable[str] | None = None
                          ) -> Iterator[tuple[Statement, list[Mark]]]:
    """For the bundle code: every statement (optionally of some contractors) with the
    marks on its findings. A statement's file is the document ``statement.sha256``; the
    reconciliation itself is computed when needed, never stored."""
    wanted = None if contractors is None else set(contractors)
    kept = marks(reg)
    for st in statements(reg):
        if wanted is not None and st.contractor not in wanted:
            continue
        yield st, [m for (month, contractor, _c, _l), m in sorted(kept.items())
                   if month == st.month and contractor == st.contractor]


@dataclass(frozen=True)
class BillingOverview:
    """What the window's Billing page shows: every statement with its findings."""
    statements: list[Statement]
    findings: list[Finding]

    def of(self, contractor: str, month: str) -> list[Finding]:
        return [f for f in self.findings if f.contractor == contractor and f.month == month]


def billing_overview(reg: Register, rules: RuleSet) -> BillingOverview:
    """Every statement and the reconciliation of all of them (none: empty)."""
    chosen = statements(reg)
    if not chosen:
        return BillingOverview([], [])
    return BillingOverview(chosen, reconcile(reg, rules))
