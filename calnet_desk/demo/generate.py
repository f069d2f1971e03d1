"""Generating the demo: every record and document from a seed, no I/O."""

from __future__ import annotations

import datetime as dt
import itertools
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..policy.deadlines import add_months
from ..records import (
    DELEGATIONS,
    EXEMPTIONS,
    ORDER_STATUSES,
    ORDER_TYPES,
    ORDERS,
    Kind,
    Record,
)
from .pdf import order_pdf, record_pdf, simple_pdf
from .reference import (
    ACTIVITIES,
    AS_OF,
    BILLING_PREFIX,
    CALNET_CONTRACTS,
    CATALOG,
    CIRCUIT_CODES,
    CIRCUIT_SUFFIX,
    CITIES,
    CONTRACT_DELEGATION_PROJECTS,
    DEFAULT_ORDERS,
    DEFAULT_SEED,
    DEMO_AGENCY,
    DEMO_CLASS,
    EXEMPTION_TEMPLATES,
    FIRST_NAMES,
    GENERAL_TEMPLATES,
    LAST_NAMES,
    OUTSIDE_PROVIDERS,
    STREETS,
    WINDOW_START,
    Contract,
    Item,
)

# --- what a demo is ----------------------------------------------------------------------


@dataclass(frozen=True)
class DemoDocument:
    name: str
    content: bytes
    links: tuple[tuple[Kind, str], ...]


@dataclass
class DemoData:
    records: dict[str, list[Record]] = field(default_factory=dict)  # kind name -> records
    documents: list[DemoDocument] = field(default_factory=list)


@dataclass(frozen=True)
class Site:
    street: str
    city: str
    zip: str
    area: str


@dataclass
class _Circuit:
    circuit_id: str
    item: Item
    contract: Contract
    account: str
    quantity: int
    monthly: int


@dataclass(frozen=True)
class _Span:
    key: str
    start: dt.date
    end: dt.date


def _services(r: Record) -> list[str]:
    v = r.get("services")
    return v if isinstance(v, list) else []


def _clamp(n: int, lo: int, hi: int) -> int:
    return max(lo, min(hi, n))


class _Generator:
    def __init__(self, orders: int, seed: int, agency: str,
                 agency_class: str = DEMO_CLASS) -> None:
        self.n = orders
        self.agency_class = agency_class
        self.rng = random.Random(seed)
        self.seed = seed
        self.agency = agency
        self.data = DemoData()
        self.serial = 0
        self.accounts: dict[tuple[str, str], str] = {}
        self.used_names: set[tuple[str, str]] = set()
        self.sites: list[Site] = []
        self.atrs: list[tuple[str, dt.date, dt.date | None]] = []
        self.catr = ""
        self.cio: list[tuple[str, dt.date]] = []
        self.contract_delegations: dict[str, list[_Span]] = {}
        self.approved_exemptions: list[tuple[Record, _Span, Site]] = []
        self.live_contracts: dict[dt.date, tuple[list[Contract], list[int]]] = {}
        self.live_atrs: dict[dt.date, list[str]] = {}

    # --- helpers ---

    def day_between(self, start: dt.date, end: dt.date) -> dt.date:
        if end <= start:
            return start
        return start + dt.timedelta(days=self.rng.randint(0, (end - start).days))

    def money(self, lo: int, hi: int) -> int:
        """Cents between lo and hi dollars, in quarters."""
        return self.rng.randint(lo * 4, hi * 4) * 25

    def name(self) -> tuple[str, str]:
        while True:
            first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
            if (first, last) not in self.used_names or len(self.used_names) > 1000:
                self.used_names.add((first, last))
                return first, last

    def cio_on(self, day: dt.date) -> str:
        current = self.cio[0][0]
        for name, since in self.cio:
            if since <= day:
                current = name
        return current

    def account(self, contractor: str, city: str) -> str:
        k = (contractor, city)
        if k not in self.accounts:
            prefix = BILLING_PREFIX.get(contractor, "BA")
            self.accounts[k] = f"{prefix}-{self.rng.randint(10**9, 10**10 - 1)}"
        return self.accounts[k]

    def circuit_id(self, item: Item, contractor: str, site: Site) -> str | None:
        self.serial += 1
        # A serial unique per circuit (7919 is prime to 900000): the ids never repeat.
        unique = (self.serial * 7919 + 104729) % 900000 + 100000
        if item.circuit == "circuit":
            return (f"{self.rng.randint(10, 99)}/{self.rng.choice(CIRCUIT_CODES)}/{unique}/"
                    f"{CIRCUIT_SUFFIX.get(contractor, 'XX')}")
        if item.circuit in ("phone", "mobile"):
            return f"{site.area}-555-{unique % 10000:04d}"
        if item.circuit == "tollfree":
            return f"{self.rng.choice(('800', '833', '844', '855', '866', '877', '888'))}-" \
                   f"{unique % 900 + 100}-{unique % 10000:04d}"
        return None

    # --- kinds ---

    def run(self) -> DemoData:
        self.make_sites()
        self.make_contracts()
        self.make_people()
        self.make_delegations_and_exemptions()
        self.make_atos()
        self.make_outside_contracts()
        self.make_orders()
        return self.data

    def make_sites(self) -> None:
        count = _clamp(self.n // 40, 12, 600)
        weights = [c[3] for c in CITIES]
        hq_city = CITIES[0]
        self.sites.append(Site("1325 J Street, Floor 14", hq_city[0], "95814", hq_city[2]))
        seen = {self.sites[0].street + self.sites[0].city}
        while len(self.sites) < count:
            city, zips, area, _w = self.rng.choices(CITIES, weights)[0]
            number = self.rng.choice((self.rng.randint(100, 999), self.rng.randint(1000, 9999)))
            street = f"{number} {self.rng.choice(STREETS)}"
            r = self.rng.random()
            if r < 0.15:
                street += f", Suite {self.rng.randint(1, 30) * 10}"
            elif r < 0.2:
                street += f", Floor {self.rng.randint(2, 12)}"
            if street + city in seen:
                continue
            seen.add(street + city)
            self.sites.append(Site(street, city, self.rng.choice(zips), area))

    def make_contracts(self) -> None:
        self.data.records["contracts"] = [
            {"contract_number": c.number, "generation": c.generation,
             "contractor": c.contractor, "categories": list(c.categories),
             "award_date": c.award.isoformat(), "end_date": c.end.isoformat()}
            for c in CALNET_CONTRACTS]
        # The catalogs as the coordinator last read them (no random numbers drawn): every
        # item of every category of the contracts still running, with today's status.
        read = AS_OF - dt.timedelta(days=CATALOG_READ_DAYS_AGO)
        self.data.records["catalog-items"] = [
            {"contract_number": c.number, "product_id": product_id(item),
             "description": item.description, "category": category,
             "catalog_status": item.status_on(read), "delegation_required": item.delegation,
             "as_of": read.isoformat(),
             "source": f"{c.contractor} Catalog A and B (sample data)"}
            for c in CALNET_CONTRACTS if c.end >= AS_OF
            for category in c.categories for item in CATALOG[category]]

    def make_people(self) -> None:
        people: list[Record] = []

        def person(pid: str, role: str, active: bool, cdt965: dt.date | None) -> str:
            first, last = self.name()
            email = f"{first}.{last}".lower().replace("'", "") + "@example.ca.gov"
            phone = f"916-555-{100 + len(people):04d}"
            people.append({"person_id": pid, "name": f"{first} {last}", "role": role,
                           "cdt965_date": cdt965.isoformat() if cdt965 else None,
                           "active": active, "email": email, "phone": phone})
            return f"{first} {last}"

        designated = self.day_between(WINDOW_START, WINDOW_START + dt.timedelta(days=500))
        person("P-001", "catr", False, WINDOW_START - dt.timedelta(days=900))  # the former
        self.catr = person("P-002", "catr", True, designated)
        n_atr = _clamp(5 + self.n // 4000, 5, 30)
        for i in range(n_atr):
            start = WINDOW_START if i < 2 else self.day_between(WINDOW_START, AS_OF - dt.timedelta(
                days=120))
            end = None
            if i >= 2 and self.rng.random() < 0.3:
                end = self.day_between(start + dt.timedelta(days=180), AS_OF)
            if i == 1:  # the agency's first ATR left mid-way
                end = WINDOW_START + dt.timedelta(days=700)
            name = person(f"P-{i + 3:03d}", "atr", end is None, None)
            self.atrs.append((name, start, end))
        for i in range(2):
            first, last = self.name()
            self.cio.append((f"{first} {last}", WINDOW_START - dt.timedelta(days=2000)
                             if i == 0 else WINDOW_START + dt.timedelta(days=900)))
        self.data.records["people"] = people

    def make_delegations_and_exemptions(self) -> None:
        delegations: list[Record] = []
        exemptions: list[Record] = []
        rng = self.rng
        per_year: dict[str, int] = {}

        def next_id(prefix: str, day: dt.date) -> str:
            k = f"{prefix}-{day.year}"
            per_year[k] = per_year.get(k, 0) + 1
            return f"{k}-{per_year[k]:02d}"

        def site_text(site: Site) -> str:
            return f"{site.street}, {site.city}, CA {site.zip}"

        def delegation(kind: str, project: str, scope: str, purpose: str, products: str | None,
                       justification: str | None, submitted: dt.date, decision: str,
                       sites: Sequence[Site], years: int, staff: str | None = None,
                       r: random.Random | None = None) -> Record:
            r = r or rng
            decided = submitted + dt.timedelta(days=r.randint(20, 75))
            if decision == "pending":
                decided_on = None
            else:
                decided_on = min(decided, AS_OF)
            activities = [a for a in ACTIVITIES if r.random() < 0.7] or ["installation"]
            record: Record = {
                "delegation_id": next_id("GD" if kind == "general" else "CD", submitted),
                "type": kind, "project": project, "scope": scope, "purpose": purpose,
                "activities": activities,
                "locations": "; ".join(site_text(s) for s in sites),
                "products_equipment": products,
                "staff_qualifications": staff or r.choice((
                    "Two certified voice engineers, 10+ years operating the agency PBX",
                    "Telecom unit of four; vendor-certified installers on staff",
                    "Voice engineer and a contracted integrator under state supervision")),
                "justification": justification,
                "consequences_if_denied": r.choice((
                    "Loss of voice service when the end-of-life system fails",
                    "Field offices stay on slow, costly legacy circuits",
                    "The public line cannot handle seasonal call volumes",
                    "The project misses its funded timeframe")),
                "signer": self.cio_on(submitted),
                "signer_title": "Chief Information Officer",
                "submitted_on": submitted.isoformat(),
                "decision": decision,
                "decided_on": decided_on.isoformat() if decided_on else None,
                # the timeframe the request asks for; from the decision once approved
                "timeframe_start": (decided_on if decision == "approved" and decided_on
                                    else decided).isoformat(),
                "timeframe_end": add_months(decided_on if decision == "approved" and decided_on
                                            else decided, 12 * years).isoformat(),
            }
            if r.random() < 0.15:  # an incomplete file, as in real life
                record[r.choice(("scope", "purpose", "staff_qualifications",
                                   "consequences_if_denied"))] = None
            delegations.append(record)
            return record

        # Contract delegations covering the whole period, per category marked Delegation=Yes.
        catalog_b = "The contractor's Catalog B marks these items Delegation = Yes"
        for category, (project, staff) in CONTRACT_DELEGATION_PROJECTS.items():
            spans: list[_Span] = []
            start = WINDOW_START - dt.timedelta(days=rng.randint(200, 400))
            products = "; ".join(i.description for i in CATALOG[category])
            while start < AS_OF:
                rec = delegation(
                    "contract", project, f"{category} items marked Delegation = Yes",
                    f"Order {category} catalog items under the agency's own authority",
                    products, catalog_b, start, "approved",
                    rng.sample(self.sites, min(3, len(self.sites))), 2, staff)
                span_start = dt.date.fromisoformat(str(rec["decided_on"]))
                end = dt.date.fromisoformat(str(rec["timeframe_end"]))
                spans.append(_Span(str(rec["delegation_id"]), span_start, end))
                start = end - dt.timedelta(days=rng.randint(80, 150))
            self.contract_delegations[category] = spans
        # A pending and a denied contract delegation.
        for decision in ("pending", "denied"):
            category = rng.choice(list(CONTRACT_DELEGATION_PROJECTS))
            project, staff = CONTRACT_DELEGATION_PROJECTS[category]
            delegation("contract", project + " (phase 2)", f"Additional {category} sites",
                       "Extend the rollout", "; ".join(i.description for i in CATALOG[category]),
                       catalog_b, AS_OF - dt.timedelta(days=rng.randint(20, 200)), decision,
                       rng.sample(self.sites, min(2, len(self.sites))), 2, staff)

        # General delegations for things CALNET does not provide.
        n_general = _clamp(self.n // 250, 3, 40)
        decisions = ("approved", "pending", "denied")
        for i in range(n_general):
            project, products, why = GENERAL_TEMPLATES[i % len(GENERAL_TEMPLATES)]
            site = rng.choice(self.sites)
            decision = decisions[i] if i < 3 else rng.choices(decisions, (8, 1, 1))[0]
            delegation("general", project.format(city=site.city),
                       f"Design, installation and support at {site.city}",
                       "Replace or add equipment CALNET does not provide", products, why,
                       self.day_between(WINDOW_START, AS_OF - dt.timedelta(days=10)),
                       decision, [site], rng.choice((1, 2, 3)))

        # Exemptions; every approved one is paired with a General Delegation. Only a
        # non-exempt state agency asks for them: for the others CALNET is optional (exempt
        # state) or binding only through an ATO (non-state).
        n_ex = _clamp(self.n // 40, 8, 120) if self.agency_class == "non-exempt-state" else 0
        combos = [(r, d) for r in ("feature-gap", "ipr") for d in ("approved", "pending",
                                                                    "denied")]
        optional = ("service_locations", "consequences", "provider_documents",
                    "early_termination", "extensions", "cost_by_item", "sla_rights_remedies",
                    "fsr_reference", "contract_terms")
        pending: list[tuple[Record, Site, str, dt.date, int]] = []
        for i in range(n_ex):
            if i < len(combos):
                reason, decision = combos[i]
            else:
                reason = rng.choice(("feature-gap", "ipr"))
                decision = rng.choices(("approved", "pending", "denied"), (6, 2, 1))[0]
            template = rng.choice([t for t in EXEMPTION_TEMPLATES if t[0] == reason])
            _r, project_t, service, provider, _category, gap_t = template
            site = rng.choice(self.sites[1:] or self.sites)
            pct = rng.randint(21, 38)
            submitted = (AS_OF - dt.timedelta(days=rng.randint(5, 60)) if decision == "pending"
                         else self.day_between(WINDOW_START - dt.timedelta(days=200),
                                               AS_OF - dt.timedelta(days=90)))
            decided = None if decision == "pending" else submitted + dt.timedelta(
                days=rng.randint(30, 100))
            months = rng.choice((36, 48, 60))
            qty = rng.randint(1, 4)
            one_time = self.money(2000, 40000)
            monthly = self.money(400, 6000)
            total = one_time + monthly * months
            term_end = add_months(decided, rng.choice((24, 36, 60))) if (
                decided and decision == "approved") else None
            eid = next_id("EX", submitted)
            gd_id = None
            if decision == "approved" and decided:
                gd = delegation("general", project_t.format(city=site.city),
                                f"Acquisition under exemption {eid}",
                                "The General Delegation paired with the exemption",
                                service, "Paired with an approved exemption (SAM 4605)",
                                decided, "approved", [site], months // 12)
                gd_id = str(gd["delegation_id"])
            calnet_price = monthly * 100 // (100 - pct)
            record: Record = {
                "exemption_id": eid,
                "project": project_t.format(city=site.city),
                "services": [service],
                "service_locations": f"{qty} x {service}, {site.street}, {site.city}, "
                                     f"CA {site.zip}",
                "reason": reason,
                "calnet_gap": gap_t.format(pct=pct),
                "need": (f"{qty} x {service} for the {site.city} site, which the program "
                         "needs to reach the network and the public it serves"),
                "ipr_comparability": (
                    "Same 99.9% availability and 4-hour restore as CALNET; 24x7 network "
                    "support; diverse entrance; same recoverability and scalability"
                    if reason == "ipr" else None),
                "ipr_network_ok": True if reason == "ipr" else None,
                "consequences": (
                    f"The agency pays about {pct}% more for the same service"
                    if reason == "ipr" else rng.choice((
                        f"The {site.city} site keeps no usable connection to the network",
                        "Field staff cannot file reports or reach dispatch from the site"))),
                "provider": provider,
                "provider_documents": f"Quote Q-{rng.randint(1000, 9999)} dated "
                                      f"{(submitted - dt.timedelta(days=rng.randint(10, 60)))}; "
                                      "service description; SLA schedule",
                "contract_length_months": months,
                "contract_terms": f"{months} months, fixed monthly rate, net 45 payment",
                "early_termination": "Termination for convenience on 30 days' notice; no "
                                     "early-termination fee after month 12",
                "extensions": rng.choice(("Two optional 12-month extensions at the same rates",
                                          "One optional 24-month extension, rates capped at "
                                          "CPI", "No extension commitments")),
                "total_cost": total,
                "cost_by_item": _cost_by_item(one_time, monthly, months, total),
                "sla_rights_remedies": "99.9% availability; 4-hour restore; credit of 10% of "
                                       "the monthly charge per hour over target; termination "
                                       "for chronic outage",
                "ipr_documentation": (
                    f"IPR worksheet: alternative ${monthly // 100:,}/month vs CALNET "
                    f"${calnet_price // 100:,}/month ({pct}% lower); comparability checklist "
                    "(SLAs, network support, diversity, survivability, recoverability, "
                    "scalability) complete" if reason == "ipr" else None),
                "fsr_reference": (f"FSR {submitted.year}-DOD-{rng.randint(1, 40):02d}"
                                  if rng.random() < 0.4 else None),
                "signer": self.cio_on(submitted),
                "signer_title": rng.choice(("Chief Information Officer",
                                            "Agency Information Officer")),
                "submitted_on": submitted.isoformat(),
                "decision": decision,
                "decided_on": decided.isoformat() if decided else None,
                "term_end": term_end.isoformat() if term_end else None,
                "general_delegation_id": gd_id,
            }
            if i == 1 or rng.random() < 0.2:  # some STMM 501.0 elements missing
                for name in rng.sample(optional, rng.randint(1, 3)):
                    record[name] = None
            exemptions.append(record)
            if decision == "pending":
                pending.append((record, site, service, submitted, months))
            if decision == "approved" and decided and term_end:
                self.approved_exemptions.append((record, _Span(eid, decided, term_end), site))
        delegations.sort(key=lambda r: str(r["delegation_id"]))
        exemptions.sort(key=lambda r: str(r["exemption_id"]))
        self.data.records["delegations"] = delegations
        self.data.records["exemptions"] = exemptions
        self.documents_for_delegations_and_exemptions(delegations, exemptions)
        # Since SAM 4605 a request goes with its General Delegation request: made last (after the
        # documents), with their own random numbers, so the rest of the sample stays as it was.
        paired = random.Random(f"{self.seed}-paired")
        for record, site, service, submitted, months in pending:
            gd = delegation("general", str(record["project"]),
                            f"Acquisition under exemption {record['exemption_id']}",
                            "The General Delegation paired with the exemption", service,
                            "Paired with the exemption requested (SAM 4605)", submitted,
                            "pending", [site], max(1, months // 12), r=paired)
            record["general_delegation_id"] = gd["delegation_id"]
        delegations.sort(key=lambda r: str(r["delegation_id"]))

    def make_atos(self) -> None:
        rng = self.rng
        nextgen = [c for c in CALNET_CONTRACTS if c.generation == "nextgen"]
        atos: list[Record] = []
        for i in range(_clamp(self.n // 100, 3, 20)):
            c = rng.choice(nextgen)
            approved = self.day_between(WINDOW_START, AS_OF - dt.timedelta(days=30))
            # NextGen sets no standard term: each ATO carries the one it was signed with
            term = rng.choices((24, 24, 36, 12), (6, 2, 1, 1))[0]
            anniversary = add_months(approved, term or 24)
            notice = None
            if anniversary < AS_OF and rng.random() < 0.4:
                notice = self.day_between(anniversary - dt.timedelta(days=60),
                                          min(AS_OF, anniversary + dt.timedelta(days=200)))
            services = rng.sample(c.categories, rng.randint(1, len(c.categories)))
            atos.append({"ato_id": f"ATO-{approved.year}-{i + 1:02d}",
                         "contractor": c.contractor, "contract_number": c.number,
                         "services": services, "approved_on": approved.isoformat(),
                         "term_months": term,
                         "notice_given_on": notice.isoformat() if notice else None})
        # Only a non-state agency signs ATOs; the others' demo draws them all the same (the
        # random numbers after them stay as they were) and keeps none.
        self.data.records["atos"] = atos if self.agency_class == "non-state" else []

    def make_outside_contracts(self) -> None:
        rng = self.rng
        rows: list[Record] = []
        n = _clamp(self.n // 100, 3, 25)
        # Those bought under an approved exemption first.
        for i, (ex, _span, _site) in enumerate(self.approved_exemptions[:n // 2 + 1]):
            end = add_months(dt.date.fromisoformat(str(ex["decided_on"])),
                             int(str(ex["contract_length_months"] or 36)))
            rows.append({"contract_id": f"OC-{i + 1:02d}", "provider": ex["provider"],
                         "services": ex["services"], "end_date": end.isoformat(),
                         "renewal_date": (end - dt.timedelta(days=90)).isoformat(),
                         "exemption_id": ex["exemption_id"],
                         # an IPR exemption buys a service CALNET offers, for less; a feature
                         # gap, one it does not
                         "calnet_offers": ex["reason"] == "ipr"})
        while len(rows) < n:
            provider, services, offers = rng.choice(OUTSIDE_PROVIDERS)
            end = self.day_between(AS_OF - dt.timedelta(days=400), AS_OF + dt.timedelta(
                days=1100))
            rows.append({"contract_id": f"OC-{len(rows) + 1:02d}", "provider": provider,
                         "services": list(services), "end_date": end.isoformat(),
                         "renewal_date": ((end - dt.timedelta(days=rng.choice((60, 90, 120))))
                                          .isoformat() if rng.random() < 0.7 else None),
                         "exemption_id": None, "calnet_offers": offers})
        self.data.records["outside-contracts"] = rows

    # --- orders ---

    def status_for_age(self, age: int) -> str:
        if age <= 30:
            weights = (20, 30, 25, 20, 0, 5)
        elif age <= 120:
            weights = (0, 5, 15, 30, 45, 5)
        else:
            weights = (0, 0, 0, 1, 95, 4)
        return self.rng.choices(ORDER_STATUSES, weights)[0]

    def date_for_status(self, status: str) -> dt.date:
        max_age = {"draft": 30, "submitted": 30, "approved": 60, "in-progress": 120}
        if status in max_age:
            return AS_OF - dt.timedelta(days=self.rng.randint(0, max_age[status]))
        if status == "completed":
            return self.day_between(WINDOW_START, AS_OF - dt.timedelta(days=20))
        return self.day_between(WINDOW_START, AS_OF)

    def contract_on(self, day: dt.date) -> Contract:
        if day not in self.live_contracts:
            live = [c for c in CALNET_CONTRACTS if c.award <= day <= c.end]
            weights = [c.weight * (3 if c.generation == "nextgen" else 2) for c in live]
            self.live_contracts[day] = (live, list(itertools.accumulate(weights)))
        live, cum = self.live_contracts[day]
        return self.rng.choices(live, cum_weights=cum)[0]

    def atr_on(self, day: dt.date) -> str:
        if day not in self.live_atrs:
            self.live_atrs[day] = [a for a, start, end in self.atrs
                                   if start <= day and (end is None or day < end)]
        return self.rng.choice(self.live_atrs[day] or [self.atrs[0][0]])

    def make_orders(self) -> None:
        rng = self.rng
        n = self.n
        combos = [(t, s) for t in ORDER_TYPES for s in ORDER_STATUSES]
        skeleton: list[tuple[dt.date, int, str, str, int]] = []  # date, i, type, status, ex
        n_ex_orders = (min(len(self.approved_exemptions) * 3, max(1, n // 200))
                       if n > len(combos) + 5 and self.approved_exemptions else 0)
        for i in range(n):
            ex = -1
            if i < len(combos):
                otype, status = combos[i]
                day = self.date_for_status(status)
            elif i < len(combos) + n_ex_orders:
                ex = (i - len(combos)) % len(self.approved_exemptions)
                span = self.approved_exemptions[ex][1]
                day = self.day_between(span.start, min(span.end, AS_OF))
                otype = "new" if i - len(combos) < len(self.approved_exemptions) else "change"
                status = self.status_for_age((AS_OF - day).days)
            else:
                day = self.day_between(WINDOW_START, AS_OF)
                otype = rng.choices(ORDER_TYPES, (40, 30, 15, 15))[0]
                status = self.status_for_age((AS_OF - day).days)
            skeleton.append((day, i, otype, status, ex))
        skeleton.sort()
        width = max(5, len(str(n)))
        per_year: dict[int, int] = {}
        pools: list[list[_Circuit]] = [[] for _ in self.sites]
        site_range = range(len(self.sites))
        site_cum = list(itertools.accumulate([15] + [1] * (len(self.sites) - 1)))
        orders: list[Record] = []
        for day, _i, otype, status, ex in skeleton:
            per_year[day.year] = per_year.get(day.year, 0) + 1
            number = f"TSR-{day.year}-{per_year[day.year]:0{width}d}"
            if ex >= 0:
                orders.append(self.exemption_order(number, day, otype, status, ex))
                continue
            site_i = rng.choices(site_range, cum_weights=site_cum)[0]
            site = self.sites[site_i]
            pool = pools[site_i]
            existing = None
            at = -1
            if otype != "new" and pool and rng.random() < 0.85:
                at = rng.randrange(len(pool))
                existing = pool[at]
                if existing.contract.end < day:
                    existing = None
            if existing:
                item, contract = existing.item, existing.contract
                circuit: str | None = existing.circuit_id
                account = existing.account
                quantity = existing.quantity
            else:
                contract = self.contract_on(day)
                item = rng.choice(CATALOG[rng.choice(contract.categories)])
                circuit = self.circuit_id(item, contract.contractor, site)
                account = self.account(contract.contractor, site.city)
                quantity = rng.randint(*item.quantity)
            monthly: int | None = (existing.monthly if existing
                                   else quantity * self.money(*item.monthly))
            one_time: int | None = quantity * self.money(*item.one_time)
            description = item.description
            if otype == "change":
                if item.quantity[1] > 1:
                    quantity = rng.randint(*item.quantity)
                    description = f"Change quantity to {quantity}: {item.description}"
                else:
                    description = rng.choice(("Upgrade bandwidth: ", "Change features: ",
                                              "Change hunting and routing: ")) + \
                        item.description
                one_time = self.money(0, 250)
                monthly = quantity * self.money(*item.monthly)
            elif otype == "move":
                old_site = site
                site_i = rng.randrange(len(self.sites))
                site = self.sites[site_i]
                description = (f"Move {item.description} from {old_site.street}, "
                               f"{old_site.city} to this address")
                one_time = self.money(150, 1500)
            elif otype == "disconnect":
                description = f"Disconnect {item.description}"
                one_time, monthly = None, 0
            if status == "draft" and rng.random() < 0.5:
                one_time, monthly = None, None
            completed = None
            if status == "completed":
                completed = min(day + dt.timedelta(days=rng.randint(5, 75)), AS_OF)
            delegation_id = None
            if item.delegation and status != "draft" and rng.random() < 0.97:
                delegation_id = self.covering(item.category, day)
            orders.append({
                "request_number": number, "request_date": day.isoformat(),
                "order_type": otype, "contractor": contract.contractor,
                "contract_number": contract.number, "category": item.category,
                "description": description, "quantity": quantity,
                "street": site.street, "city": site.city, "zip": site.zip,
                "one_time_cost": one_time, "monthly_cost": monthly,
                "catalog_status": item.status_on(day),
                "catalog_status_as_of": day.isoformat(),
                "delegation_required": item.delegation, "status": status,
                "product_id": product_id(item),
                "delegation_id": delegation_id, "exemption_id": None,
                "circuit_id": circuit,
                "billing_account": account if status != "draft" else None,
                "placed_by": self.atr_on(day),
                "completed_on": completed.isoformat() if completed else None,
            })
            if status == "completed" and circuit:
                if existing and otype in ("disconnect", "move"):
                    pool[at] = pool[-1]  # remove it (order in the pool does not matter)
                    pool.pop()
                if otype == "move" and existing:
                    pools[site_i].append(existing)
                elif otype == "new":
                    pool.append(_Circuit(circuit, item, contract, account, quantity,
                                         monthly or 0))
        self.data.records["orders"] = orders
        self.documents_for_orders(orders)

    def covering(self, category: str, day: dt.date) -> str | None:
        spans = self.contract_delegations.get(category, [])
        for span in spans:
            if span.start <= day <= span.end:
                return span.key
        return spans[0].key if spans and day < spans[0].start else None

    def exemption_order(self, number: str, day: dt.date, otype: str, status: str,
                        ex: int) -> Record:
        rng = self.rng
        record, _span, site = self.approved_exemptions[ex]
        service = _services(record)[0]
        completed = (min(day + dt.timedelta(days=rng.randint(10, 90)), AS_OF)
                     if status == "completed" else None)
        return {
            "request_number": number, "request_date": day.isoformat(),
            "order_type": otype, "contractor": record["provider"], "contract_number": None,
            "category": next(t[4] for t in EXEMPTION_TEMPLATES if t[2] == service),
            "description": (service if otype == "new" else f"Change features: {service}"),
            "quantity": 1, "street": site.street, "city": site.city, "zip": site.zip,
            "one_time_cost": self.money(500, 9000) if otype == "new" else self.money(0, 300),
            "monthly_cost": self.money(400, 6000),
            "catalog_status": "required", "catalog_status_as_of": day.isoformat(),
            "delegation_required": False, "status": status, "delegation_id": None,
            "exemption_id": record["exemption_id"], "circuit_id": None, "product_id": None,
            "billing_account": f"X-{rng.randint(100000, 999999)}",
            "placed_by": self.atr_on(day),
            "completed_on": completed.isoformat() if completed else None,
        }

    # --- documents ---

    def documents_for_orders(self, orders: list[Record]) -> None:
        """The signed STD. 20: nearly every order placed under a delegation or exemption
        has its copy in the file (STMM 3-502.0), and a sample of the others. Capped, so a
        huge demo stays quick to write (its later orders then show up in findings)."""
        placed = [o for o in orders if o["status"] in ("submitted", "approved", "in-progress",
                                                       "completed")]
        under = [o for o in placed if o["delegation_id"] or o["exemption_id"]]
        chosen = [o for o in under if self.rng.random() < 0.95][:1000]
        others = [o for o in placed if o["status"] != "submitted"
                  and not (o["delegation_id"] or o["exemption_id"])]
        chosen += self.rng.sample(others, min(len(others), _clamp(self.n // 20, 3, 300)))
        for o in sorted(chosen, key=lambda r: str(r["request_number"])):
            self.data.documents.append(DemoDocument(
                f"STD 20 {o['request_number']}.pdf", order_pdf(self.agency, self.catr, o),
                ((ORDERS, str(o["request_number"])),)))

    def documents_for_delegations_and_exemptions(self, delegations: list[Record],
                                                 exemptions: list[Record]) -> None:
        for d in delegations:
            if self.rng.random() < 0.6:
                self.data.documents.append(DemoDocument(
                    f"Delegation request {d['delegation_id']}.pdf",
                    record_pdf(self.agency, f"Delegation Request {d['delegation_id']}",
                               DELEGATIONS, d), ((DELEGATIONS, str(d["delegation_id"])),)))
        for e in exemptions:
            eid = str(e["exemption_id"])
            if self.rng.random() < 0.75:
                self.data.documents.append(DemoDocument(
                    f"Exemption request {eid}.pdf",
                    record_pdf(self.agency, f"CALNET Exemption Request {eid}", EXEMPTIONS, e),
                    ((EXEMPTIONS, eid),)))
            if e["decision"] == "approved":
                links: tuple[tuple[Kind, str], ...] = ((EXEMPTIONS, eid),)
                if e["general_delegation_id"]:  # one letter in both files
                    links += ((DELEGATIONS, str(e["general_delegation_id"])),)
                self.data.documents.append(DemoDocument(
                    f"Exemption approval {eid}.pdf",
                    simple_pdf(f"Exemption approval {eid}", [
                        f"To: {e['signer']}, {e['signer_title']}, {self.agency}",
                        f"Project: {e['project']}",
                        f"Services: {'; '.join(_services(e))}",
                        f"Provider: {e['provider']}",
                        f"Decision: approved on {e['decided_on']}; term ends {e['term_end']}",
                        f"Paired General Delegation: {e['general_delegation_id'] or '-'}",
                        "Keep this letter in the agency's central file of granted exemptions "
                        "(STMM 501.0).",
                    ]), links))


CATALOG_READ_DAYS_AGO = 20  # the demo's catalog items were read this long before AS_OF


def product_id(item: Item) -> str:
    """The demo catalog's product id of an item: its category's initials and its place."""
    initials = "".join(w[0] for w in item.category.replace("-", " ").split()).upper()
    return f"{initials}-{CATALOG[item.category].index(item) + 1:03d}"


def _money(cents: int) -> str:
    return f"${cents // 100:,}.{cents % 100:02d}"


def _cost_by_item(one_time: int, monthly: int, months: int, total: int) -> str:
    """The cost by contract item, adding up to the total cost (cents)."""
    return (f"Installation {_money(one_time)}; service {_money(monthly)}/month x {months} "
            f"months = {_money(monthly * months)}; total {_money(total)}")


def generate(orders: int = DEFAULT_ORDERS, seed: int = DEFAULT_SEED,
             agency: str = DEMO_AGENCY, agency_class: str = DEMO_CLASS) -> DemoData:
    """The demo's records and documents; no I/O, the same for the same arguments. The
    agency class decides what the agency holds: exemptions only for a non-exempt state
    agency, ATOs only for a non-state one."""
    return _Generator(orders, seed, agency, agency_class).run()
