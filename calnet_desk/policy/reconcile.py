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
import math
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any, NamedTuple, cast

from ..progress import collector_paused
from ..store import RecordError, Register
from ..store.billing import (
    Mark,
    Statement,
    contractor_names,
    get_mark,
    get_statement,
    line_bans,
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

_NOT_ALNUM = re.compile(r"[\W_]+")


def normalise(value: str | None) -> str | None:
    """The matching form of a circuit id, WTN or order circuit_id (None when nothing is
    left): the last ten digits of a phone-like value of 10 or 11 digits (nothing but
    digits, spaces and ``()+-.``), else its letters and digits upper-cased."""
    if not value:
        return None
    # the six punctuation marks dropped (str.replace is several times faster than
    # str.translate deleting characters)
    digits = (value.replace(" ", "").replace("-", "").replace("(", "").replace(")", "")
              .replace(".", "").replace("+", ""))
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
    """One contractor's lines matched to its services, which are numbered: the services of
    its orders first (numbers below ``known``: matched), then each unmatched value as it
    is met. Per service of the orders, what reconcile asks of its last order is kept in
    lists by number. Whole numbers keep the per-line work cheap (a tuple's hash is
    computed again on every look-up, an int's is the int)."""

    def __init__(self, orders: _Orders) -> None:
        self.by_request = orders.by_request
        self.keys: list[ServiceKey] = list(orders.services)
        self.groups: list[list[Order]] = list(orders.services.values())
        self.known = len(self.keys)
        self.number: dict[ServiceKey, int] = {k: i for i, k in enumerate(self.keys)}
        # the lines of one service (port, access, features) repeat the same values, and so
        # do the months: each (circuit id, WTN, SR number) is matched once per run
        self.seen: dict[tuple[str | None, str | None, str | None], int] = {}
        lasts = [group[-1] for group in self.groups]
        self.costs: list[int | None] = [last[_MONTHLY] for last in lasts]
        # the services that should be billed: their last order a completed new, change or
        # move with a monthly cost (ordered-not-billed when no line bills them)
        self.billable: list[tuple[int, str]] = [
            (s, last[_DONE]) for s, last in enumerate(lasts)
            if last[_STATUS] == "completed" and last[_TYPE] in ("new", "change", "move")
            and last[_DONE] is not None and (last[_MONTHLY] or 0) > 0]
        # the services that may not be billed: (the last order when it is a completed
        # disconnect, every order cancelled)
        self.ended: dict[int, tuple[Order | None, bool]] = {}
        self.tolerated: tuple[list[float], list[float]] | None = None  # see Reconciler
        for s, group in enumerate(self.groups):
            last = group[-1]
            gone = (last[_TYPE] == "disconnect" and last[_STATUS] == "completed"
                    and last[_DONE] is not None)
            cancelled = all(o[_STATUS] == "cancelled" for o in group)
            if gone or cancelled:
                self.ended[s] = (last if gone else None, cancelled)

    def service(self, raw: tuple[str | None, str | None, str | None]) -> int:
        """The number of the service a line's (circuit id, WTN, SR number) bills."""
        s = self.seen.get(raw)
        if s is None:
            key = self._match(*raw)
            s = self.number.get(key)
            if s is None:
                s = self.number[key] = len(self.keys)
                self.keys.append(key)
            self.seen[raw] = s
        return s

    def _match(self, circuit: str | None, wtn: str | None, sr: str | None) -> ServiceKey:
        number = self.number
        nc = normalise(circuit)
        if nc is not None and ("c", nc) in number:
            return ("c", nc)
        nw = normalise(wtn)
        if nw is not None and ("c", nw) in number:
            return ("c", nw)
        if sr is not None:
            order = self.by_request.get(sr)
            if order is not None:
                return service_of(order)
        ident = nc or nw
        # not a service of the orders (those are "c" and "r"): numbered past ``known``
        return ("u", ident) if ident else ("s", sr or "")


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
        self._zero_usage: dict[tuple[str, str], set[int]] = {}
        # one matcher per contractor for the whole run: the same line values come back
        # every month, and each is normalised and looked up once
        self._matchers: dict[str, _Matcher] = {}

    def _matcher(self, contractor: str) -> _Matcher:
        folded = contractor.casefold()
        m = self._matchers.get(folded)
        if m is None:
            m = self._matchers[folded] = _Matcher(self.orders.get(folded) or _Orders())
        return m

    def _zero_usage_services(self, contractor: str, month: str) -> set[int] | None:
        """The services (numbers) whose every line has usage 0 in that month; None when
        the month has no statement for the contractor."""
        key = (contractor, month)
        if key in self._zero_usage:
            return self._zero_usage[key]
        if get_statement(self.reg, contractor, month) is None:
            return None
        matcher = self._matcher(contractor)
        seen, service = matcher.seen, matcher.service
        billed: set[int] = set()
        used: set[int] = set()  # a line's usage blank or not zero
        for _row, wtn, circuit, sr, _product, _mrc, usage_not_zero in lines_for_matching(
                self.reg, contractor, month):
            raw = (circuit, wtn, sr)
            s = seen.get(raw)
            if s is None:
                s = service(raw)
            billed.add(s)
            if usage_not_zero:
                used.add(s)
        found = billed - used
        self._zero_usage[key] = found
        return found

    def statement(self, st: Statement) -> list[Finding]:
        """The findings of one statement: one pass over its lines (whole numbers for
        services, a line's BAN read only for the lines that make a finding)."""
        contractor, month = st.contractor, st.month
        matcher = self._matcher(contractor)
        known, ended = matcher.known, matcher.ended
        seen, service = matcher.seen, matcher.service
        # per service billed (by number): its first row and line as written
        first: dict[int, tuple[int, str]] = {}
        billed: dict[int, int] = {}  # the MRC of its lines, the extras of a duplicate left out
        # per service: its first line's product (blank: None, stored lines hold no ""), and
        # every product once a second one is billed
        product_of: dict[int, str | None] = {}
        products: dict[int, set[str | None]] = {}
        used: set[int] = set()  # a line's usage blank or not zero
        # per line: (row, service, its line as written, product, MRC)
        extras: list[tuple[int, int, str, str | None, int]] = []
        unmatched: list[tuple[int, int, str, str | None, int]] = []
        ending: list[tuple[int, int, str, str | None, int]] = []
        for row, wtn, circuit, sr, product, mrc, usage_not_zero in lines_for_matching(
                self.reg, contractor, month):
            raw = (circuit, wtn, sr)
            s = seen.get(raw)
            if s is None:
                s = service(raw)
            cents = mrc or 0
            if s not in billed:
                billed[s] = cents
                first[s] = (row, circuit or wtn or sr or "")
                product_of[s] = product
            elif product == product_of[s] or (s in products and product in products[s]):
                extras.append((row, s, circuit or wtn or sr or "", product, cents))
            else:
                if s in products:
                    products[s].add(product)
                else:
                    products[s] = {product_of[s], product}
                billed[s] += cents
            if usage_not_zero:
                used.add(s)
            if s >= known:
                unmatched.append((row, s, circuit or wtn or sr or "", product, cents))
            elif s in ended:
                ending.append((row, s, circuit or wtn or sr or "", product, cents))
        return self._findings(st, first, billed, used, extras, unmatched, ending)

    def _findings(self, st: Statement, first: dict[int, tuple[int, str]],
                  billed: dict[int, int], used: set[int],
                  extras: list[tuple[int, int, str, str | None, int]],
                  unmatched: list[tuple[int, int, str, str | None, int]],
                  ending: list[tuple[int, int, str, str | None, int]]) -> list[Finding]:
        contractor, month = st.contractor, st.month
        first_day = f"{month}-01"
        matcher = self._matcher(contractor)
        known, groups, ended = matcher.known, matcher.groups, matcher.ended
        texts = self._texts
        found: list[Finding] = []
        # per service ending: why it should not be billed this month (None: it may be)
        problems = {s: self._disconnected(ended[s], first_day)
                    for s in {line[1] for line in ending}}
        after = {s for s, problem in problems.items() if problem}
        zero = set(first).difference(used)  # every line's usage zero
        zero_before: list[set[int] | None] = []
        if zero:
            before = month
            for _ in range(self.months_before):
                before = _previous_month(before)
                zero_before.append(self._zero_usage_services(contractor, before))
        self._zero_usage[(contractor, month)] = zero
        oldest = month
        for _ in range(self.months_before):
            oldest = _previous_month(oldest)
        for key in [k for k in self._zero_usage if k[0] == contractor and k[1] < oldest]:
            del self._zero_usage[key]  # one contractor's recent months only: memory stays flat
        # the services whose rate differs (billed outside the range the tolerance allows)
        # and those unused
        low, high = self._tolerated(matcher)
        costs = matcher.costs
        mismatched: list[tuple[int, int, int]] = [  # (service, cost, difference)
            (s, cast(int, costs[s]), total - cast(int, costs[s])) for s, total in billed.items()
            if s < known and not low[s] <= total <= high[s] and s not in after]
        unused = [s for s in zero if all(z is not None and s in z for z in zero_before)]
        # the BANs of the lines that make a finding, read now
        rows = ([line[0] for line in extras] + [line[0] for line in unmatched]
                + [line[0] for line in ending if problems[line[1]]]
                + [first[s][0] for s, _c, _d in mismatched] + [first[s][0] for s in unused])
        bans = line_bans(self.reg, contractor, month, rows) if rows else {}

        def add(code: str, key: str, ban: str | None, line: str, order: str | None,
                cents: int, row: int, /, **values: object) -> None:
            severity, citation, template = texts[code]
            filled = {"key": key, "contractor": contractor, "month": month, "line": line,
                      **{name: str(v) for name, v in values.items()}}
            found.append(Finding(code, severity, contractor, month, ban, line, order, cents,
                                 template.format_map(filled), citation, row))

        def order_of(s: int) -> str | None:
            return groups[s][-1][_RN] if s < known else None

        for row, s, shown, product, cents in extras:
            add("duplicate-billing", shown, bans[row], shown, order_of(s), cents, row,
                product=product or "(blank)", first_row=first[s][0], row=row,
                amount=money_text(cents))
        for row, _s, shown, _product, cents in unmatched:
            add("billed-not-in-register", shown, bans[row], shown, None, cents, row,
                ban=bans[row] or "(none)", amount=money_text(cents))
        for row, s, shown, _product, cents in ending:
            problem = problems[s]
            if problem:
                last = groups[s][-1]
                add("billed-after-disconnect", shown, bans[row], shown, last[_RN], cents,
                    row, order=last[_RN], problem=problem, amount=money_text(cents))
        for s, cost, diff in mismatched:
            row, line = first[s]
            add("rate-mismatch", line, bans[row], line, groups[s][-1][_RN], diff, row,
                order=groups[s][-1][_RN], billed=money_text(billed[s]),
                ordered=money_text(cost), difference=money_text(diff))
        for s in unused:
            row, line = first[s]
            add("unused-line", line, bans[row], line, order_of(s), billed[s], row,
                months=self.months_before + 1, amount=money_text(billed[s]))
        for s, done in matcher.billable:
            if done < first_day and s not in first:
                last = groups[s][-1]
                shown = last[_CIRCUIT] or last[_RN]
                add("ordered-not-billed", shown, last[_BAN], shown, last[_RN], 0, 0,
                    order=last[_RN], completed_on=_us(done),
                    ordered=money_text(last[_MONTHLY]))
        return found

    def _tolerated(self, matcher: _Matcher) -> tuple[list[float], list[float]]:
        """Per service of the orders, the least and most the month's lines may bill in
        all (cents): the order's monthly cost give or take the tolerance (the larger of
        tolerance_cents and tolerance_percent of the cost; a difference past it, strictly,
        is a rate mismatch); without a monthly cost any amount."""
        if matcher.tolerated is None:
            low: list[float] = []
            high: list[float] = []
            for cost in matcher.costs:
                if cost is None:
                    low.append(-math.inf)
                    high.append(math.inf)
                    continue
                # |billed - cost| * 100 > limit  <=>  |billed - cost| > limit // 100
                margin = max(self.tolerance_cents * 100,
                             abs(cost) * self.tolerance_percent) // 100
                low.append(cost - margin)
                high.append(cost + margin)
            matcher.tolerated = (low, high)
        return matcher.tolerated

    @staticmethod
    def _disconnected(facts: tuple[Order | None, bool], first_day: str) -> str | None:
        """Why the service should not be billed in the month starting first_day (its
        last order a disconnect completed before it, or every order cancelled), or None."""
        last_gone, cancelled = facts
        if last_gone is not None and last_gone[_DONE] < first_day:
            return f"was disconnected on {_us(last_gone[_DONE])} (order {last_gone[_RN]})"
        if cancelled:
            return "has only cancelled orders"
        return None


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
        del r  # its orders and matchers freed now, not scanned by the collector after
        kept = marks(reg)
        if kept:
            found = [f if f.ident not in kept else _with_mark(f, kept[f.ident])
                     for f in found]
        found.sort(key=_SORT_KEY)
    return found


_SORT_KEY = attrgetter("month", "contractor", "code", "line", "row")  # Finding.sort_key


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
