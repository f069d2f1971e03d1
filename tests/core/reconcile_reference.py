"""The reconciliation as it was written before its one lean pass (session 3), kept to
compare with: a plain pass over every line of a statement with tuple keys per service, one
group (a list and a set) per service. ``test_reconcile_equivalence`` checks that
``policy.reconcile.reconcile`` finds exactly what this finds. Not used by the product."""

# ruff: noqa
# mypy: ignore-errors

from __future__ import annotations

from typing import Any

from calnet_desk.policy.billing_codes import RECONCILE_PLACEHOLDERS
from calnet_desk.policy.findings import Catalog
from calnet_desk.policy.reconcile import (
    DEFAULT_TOLERANCE_CENTS,
    DEFAULT_TOLERANCE_PERCENT,
    DEFAULT_UNUSED_MONTHS_BEFORE,
    Finding,
    Order,
    ServiceKey,
    _BAN,
    _CIRCUIT,
    _DONE,
    _Made,
    _MONTHLY,
    _Orders,
    _RN,
    _STATUS,
    _TYPE,
    _previous_month,
    _us,
    load_orders,
    money_text,
    normalise,
    select_statements,
    service_of,
)
from calnet_desk.policy.rules import RuleSet
from calnet_desk.progress import collector_paused
from calnet_desk.store import Register
from calnet_desk.store.billing import get_statement, lines


def lines_for_matching(reg: Register, contractor: str, month: str):
    """(row, ban, wtn, circuit_id, sr_number, product_id, mrc, usage) in file order."""
    for row, ban, wtn, circuit, sr, product, _d, _q, mrc, _n, usage, *_ in lines(
            reg, contractor, month):
        yield row, ban, wtn, circuit, sr, product, mrc, usage


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


def reference_reconcile(reg: Register, rules: RuleSet, month: str | None = None,
                        contractor: str | None = None) -> list[Finding]:
    """reconcile() of before, without marks."""
    found: list[Finding] = []
    with collector_paused():
        r = Reconciler(reg, rules)
        for st in select_statements(reg, month, contractor):
            found.extend(r.statement(st))
    found.sort(key=lambda f: f.sort_key)
    return found
