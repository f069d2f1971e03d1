"""Every record kind's fields, declared once.

Forms, import, export, the CLI's JSON and the history all read these declarations; no
other module lists a kind's columns. A field's ``citation`` names the policy text that
makes the agency keep it (see ../shared/DOMAIN.md).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

FieldType = Literal["text", "date", "money", "integer", "yesno", "choice", "list"]

# A stored value: text, ISO date text, cents (int), integer, bool, or a list of text.
Value = str | int | bool | list[str] | None
Record = dict[str, Value]


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    type: FieldType = "text"
    required: bool = False
    help: str = ""
    citation: str = ""
    choices: tuple[str, ...] = ()
    references: str | None = None  # kind whose key this field holds
    default: Value = None
    personal: bool = False  # a person's name, e-mail or phone (redacted in public copies)
    minimum: int | None = None  # the least a whole number may be (integer fields)
    multiline: bool = False  # free text of several lines (a paragraph in a form)
    later_than: str | None = None  # a date field of the kind this date must come after

    def choice_label(self, code: str) -> str:
        """How one of the choices reads for a person."""
        return choice_label(code)

    @property
    def labelled_choices(self) -> list[tuple[str, str]]:
        """(code, label) of each choice, in the declared order."""
        return [(c, choice_label(c)) for c in self.choices]


# How a code reads for a person where capitalising it is not enough: whole codes first,
# then single words inside a code ("ato-renewal" -> "ATO renewal").
CODE_LABELS = {"non-exempt-state": "Non-exempt state", "exempt-state": "Exempt state",
               "non-state": "Non-state (local)", "catr": "CATR", "atr": "ATR",
               "ipr": "IPR", "calnet-2": "CALNET 2", "calnet-3": "CALNET 3",
               "nextgen": "CALNET NextGen", "feature-gap": "Feature gap"}
WORD_LABELS = {"ato": "ATO", "atr": "ATR", "catr": "CATR", "ipr": "IPR", "calnet": "CALNET",
               "form20": "Form 20", "cdt": "CDT", "sla": "SLA", "fsr": "FSR"}


@functools.lru_cache(maxsize=4096)  # the dashboard asks it for thousands of findings' codes
def choice_label(code: str) -> str:
    """'in-progress' -> 'In progress', 'non-exempt-state' -> 'Non-exempt state'."""
    if code in CODE_LABELS:
        return CODE_LABELS[code]
    words = [WORD_LABELS.get(w, w) for w in code.replace("_", "-").split("-")]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


@dataclass(frozen=True)
class Kind:
    name: str  # plural, as on the command line: "orders"
    singular: str  # "order"
    label: str
    table: str
    fields: tuple[Field, ...]
    citation: str = ""
    status_field: str | None = None  # what the register pages filter by status
    date_field: str | None = None  # ... and by date range
    title_field: str | None = None  # a few words naming the record beside its key
    # A composite key: the fields that together name one record (e.g. a contractor's
    # statement is named by contractor and month). Empty: the first field alone.
    key_fields: tuple[str, ...] = ()
    by_name: Mapping[str, Field] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {f.name: f for f in self.fields})

    @property
    def key(self) -> Field:
        return self.fields[0]

    @property
    def columns(self) -> list[str]:
        return [f.name for f in self.fields]

    @property
    def key_names(self) -> tuple[str, ...]:
        """The fields naming one record: the composite key, else the first field."""
        return self.key_fields or (self.fields[0].name,)

    @property
    def composite(self) -> bool:
        return len(self.key_names) > 1

    @property
    def key_label(self) -> str:
        """How the key reads for a person: "Contract number and Product id"."""
        return " and ".join(self.by_name[n].label for n in self.key_names)

    def record_key(self, record: Mapping[str, Value]) -> str:
        """The key text naming a record: its key field, or its key fields joined by
        :data:`KEY_SEPARATOR` ("C4DNCS19:PROD-1"). It is what the history, the document
        links, the command line and the window call the record."""
        names = self.key_names
        if len(names) == 1:
            v = record.get(names[0])
            return "" if v is None else str(v)
        return KEY_SEPARATOR.join("" if record.get(n) is None else str(record.get(n))
                                  for n in names)

    def key_values(self, key: str) -> dict[str, str]:
        """The key fields' values named by a key text (the inverse of :meth:`record_key`).
        Every part but the last is free of the separator (:meth:`key_problem` sees to it),
        so the last may hold one. Raises UnknownKey for text that names no record."""
        names = self.key_names
        if len(names) == 1:
            return {names[0]: key}
        parts = key.split(KEY_SEPARATOR, len(names) - 1)
        if len(parts) != len(names) or not all(parts):
            raise UnknownKey(
                f"{key!r} does not name a {self.singular}: give "
                f"{KEY_SEPARATOR.join(n.upper() for n in names)} "
                f"({self.key_label}, joined by '{KEY_SEPARATOR}')")
        return dict(zip(names, parts, strict=True))

    def key_problem(self, record: Mapping[str, Value]) -> str | None:
        """Why a record's key fields name no record (one blank, or a separator inside a
        part other than the last), or None."""
        names = self.key_names
        for i, n in enumerate(names):
            v = record.get(n)
            if not isinstance(v, str) or not v:
                return f"a record without {self.by_name[n].label}"
            if len(names) > 1 and i < len(names) - 1 and KEY_SEPARATOR in v:
                return (f"the {self.by_name[n].label} {v!r} contains '{KEY_SEPARATOR}', which "
                        "joins the parts of the key; use a value without it")
        return None


# Joins the parts of a composite key into the key text ("C4DNCS19:PROD-1"), as statements'
# keys are (CONTRACTOR:MONTH).
KEY_SEPARATOR = ":"


class UnknownKey(ValueError):
    """Text that cannot name a record of a kind (a composite key without its parts)."""


YESNO_HELP = "yes or no (also true/false, y/n, 1/0)"
LIST_HELP = "several values separated by ';'"

ORDER_TYPES = ("new", "change", "move", "disconnect")
ORDER_STATUSES = ("draft", "submitted", "approved", "in-progress", "completed", "cancelled")
CATALOG_STATUSES = ("required", "discretionary")
DECISIONS = ("pending", "approved", "denied")
EXEMPTION_REASONS = ("feature-gap", "ipr")
DELEGATION_TYPES = ("general", "contract")
ROLES = ("catr", "atr")
GENERATIONS = ("calnet-2", "calnet-3", "nextgen")
AGENCY_CLASSES = ("non-exempt-state", "exempt-state", "non-state")

ORDERS = Kind(
    "orders",
    "order",
    "Orders (STD. 20)",
    "orders",
    (
        Field("request_number", "Request number", required=True,
              help="The agency's own request number on the STD. 20; unique per agency.",
              citation="design"),
        Field("request_date", "Request date", "date", required=True, citation="design"),
        Field("order_type", "Order type", "choice", required=True, choices=ORDER_TYPES,
              citation="design"),
        Field("contractor", "Contractor", required=True, help="The CALNET contractor."),
        Field("contract_number", "Contract number", references=None,
              help="The CALNET contract the service is ordered under."),
        Field("category", "Category", help="Contract category or subcategory."),
        Field("description", "Description", help="Catalog product ids and descriptions.",
              multiline=True),
        Field("quantity", "Quantity", "integer"),
        Field("street", "Street address", help="Service address.", citation="design"),
        Field("city", "City"),
        Field("zip", "ZIP"),
        Field("one_time_cost", "One-time cost", "money"),
        Field("monthly_cost", "Monthly cost", "money"),
        Field("catalog_status", "Catalog status", "choice", choices=CATALOG_STATUSES,
              help="Required (mandatory) or Discretionary, as of the date beside it.",
              citation="STMM 400.1"),
        Field("catalog_status_as_of", "Catalog status as of", "date", citation="STMM 400.1"),
        Field("delegation_required", "Delegation required", "yesno",
              help="The catalog's Delegation (Yes/No) column.", citation="STMM 3-502.0"),
        Field("status", "Status", "choice", choices=ORDER_STATUSES, default="draft"),
        Field("delegation_id", "Delegation", references="delegations",
              help="The delegation this order was placed under.", citation="STMM 3-502.0"),
        Field("exemption_id", "Exemption", references="exemptions",
              help="The exemption this order was placed under.", citation="STMM 501.0"),
        Field("circuit_id", "Circuit id / phone number"),
        Field("billing_account", "Billing account"),
        Field("placed_by", "Placed by (ATR)", personal=True),
        Field("completed_on", "Completed on", "date"),
        # Added in schema 0010 (so at the end: a migration appends columns).
        Field("product_id", "Product id",
              help="The catalog product id ordered. With the contract number it names a "
                   "catalog item, whose status, delegation flag and as-of date the order "
                   "takes when its own are blank."),
    ),
    citation="STMM 400.1",
    status_field="status",
    date_field="request_date",
    title_field="description",
)

EXEMPTIONS = Kind(
    "exemptions",
    "exemption",
    "Exemptions",
    "exemptions",
    (
        Field("exemption_id", "Exemption id", required=True, citation="STMM 501.0"),
        Field("project", "Project or acquisition", required=True,
              help="An exemption applies to one specific project or acquisition.",
              citation="STMM 501.0"),
        Field("services", "Services", "list", help=LIST_HELP, citation="STMM 501.0"),
        Field("service_locations", "Quantities, types and street addresses",
              help="Quantity, type and location of each service, street address included.",
              citation="STMM 501.0", multiline=True),
        Field("reason", "Reason", "choice", choices=EXEMPTION_REASONS,
              help="feature-gap: CALNET lacks features, functionality or availability; "
                   "ipr: an Individual Price Reduction.", citation="STMM 501.0"),
        Field("calnet_gap", "Why CALNET cannot meet the need", citation="STMM 501.0",
              multiline=True),
        Field("consequences", "Consequences if not granted", citation="STMM 501.0", multiline=True),
        Field("provider", "Provider", citation="STMM 501.0"),
        Field("provider_documents", "Provider documents", citation="STMM 501.0", multiline=True),
        Field("contract_length_months", "Contract length (months)", "integer",
              citation="STMM 501.0"),
        Field("contract_terms", "Contract terms", citation="STMM 501.0", multiline=True),
        Field("early_termination", "Early termination commitments", citation="STMM 501.0",
              multiline=True),
        Field("extensions", "Extension commitments", citation="STMM 501.0", multiline=True),
        Field("total_cost", "Total cost", "money", citation="STMM 501.0"),
        Field("cost_by_item", "Cost by contract item", citation="STMM 501.0", multiline=True),
        Field("sla_rights_remedies", "Service levels, rights and remedies",
              citation="STMM 501.0", multiline=True),
        Field("ipr_documentation", "IPR documentation", citation="STMM 501.0", multiline=True),
        Field("fsr_reference", "FSR / project approval reference", citation="STMM 501.0"),
        Field("signer", "Signer (AIO/CIO)", personal=True, citation="STMM 501.0"),
        Field("signer_title", "Signer title", citation="STMM 501.0"),
        Field("submitted_on", "Submitted on", "date"),
        Field("decision", "Decision", "choice", choices=DECISIONS, default="pending"),
        Field("decided_on", "Decided on", "date"),
        Field("term_end", "Term end", "date",
              help="Exemptions are granted for a limited term.", citation="SAM 4605"),
        Field("general_delegation_id", "General delegation", references="delegations",
              help="The General Delegation paired with the exemption.", citation="SAM 4605"),
        # Added in schema 0006 (so at the end: a migration appends columns).
        Field("need", "Why the services are needed",
              help="Pertinent and specific information on the proposed services and why "
                   "they are needed (apart from why CALNET cannot meet the need).",
              citation="STMM 501.0"),
        Field("ipr_comparability", "IPR comparability",
              help="How the alternative compares with CALNET: service level agreements, "
                   "network support, diversity, survivability, recoverability, scalability.",
              citation="STMM 501.0"),
        Field("ipr_network_ok", "Will not unduly interfere with the statewide network",
              "yesno", help="A separately bid contract will not unduly interfere with the "
                            "state's goal of a statewide consolidated wide area network.",
              citation="STMM 501.0"),
    ),
    citation="STMM 501.0",
    status_field="decision",
    date_field="submitted_on",
    title_field="project",
)

DELEGATIONS = Kind(
    "delegations",
    "delegation",
    "Delegations",
    "delegations",
    (
        Field("delegation_id", "Delegation id", required=True, citation="STMM 3-502.0"),
        Field("type", "Type", "choice", required=True, choices=DELEGATION_TYPES,
              help="general: things CALNET does not provide; contract: catalog items "
                   "marked Delegation = Yes.", citation="STMM 3-502.0"),
        Field("project", "Project", required=True, citation="STMM 3-502.0"),
        Field("scope", "Scope", citation="STMM 3-502.0", multiline=True),
        Field("purpose", "Purpose", citation="STMM 3-502.0", multiline=True),
        Field("activities", "Activities", "list",
              help="planning; design and development; oversight; installation; "
                   "operation and maintenance", citation="STMM 3-502.0"),
        Field("locations", "Locations", citation="STMM 3-502.0", multiline=True),
        Field("products_equipment", "Products and equipment", citation="STMM 3-502.0",
              multiline=True),
        Field("staff_qualifications", "Staff qualifications and experience",
              citation="STMM 3-502.0", multiline=True),
        Field("justification", "Justification", citation="STMM 3-502.0", multiline=True),
        Field("consequences_if_denied", "Consequences if denied", citation="STMM 3-502.0",
              multiline=True),
        Field("signer", "Signer (CIO)", personal=True, citation="STMM 3-502.0"),
        Field("signer_title", "Signer title", citation="STMM 3-502.0"),
        Field("submitted_on", "Submitted on", "date"),
        Field("decision", "Decision", "choice", choices=DECISIONS, default="pending"),
        Field("decided_on", "Decided on", "date"),
        Field("timeframe_end", "Timeframe end", "date", citation="STMM 3-502.0",
              later_than="timeframe_start"),
        # Added in schema 0006 (so at the end: a migration appends columns).
        Field("timeframe_start", "Timeframe start", "date", citation="STMM 3-502.0"),
    ),
    citation="STMM 3-502.0",
    status_field="decision",
    date_field="submitted_on",
    title_field="project",
)

ATOS = Kind(
    "atos",
    "ato",
    "ATOs",
    "atos",
    (
        Field("ato_id", "ATO id", required=True, citation="STMM 400.1"),
        Field("contractor", "Contractor", required=True),
        Field("contract_number", "Contract number"),
        Field("services", "Services listed", "list", required=True, help=LIST_HELP,
              citation="STMM 400.1"),
        Field("approved_on", "Approved on", "date",
              help="The exclusive term starts when the State approves the ATO.",
              citation="STMM 400.1"),
        Field("term_months", "Exclusive term (months)", "integer", minimum=0,
              help="From the signed ATO (0: no exclusive term). Blank takes the rule set's "
                   "default, where it has one (none for NextGen).", citation="STMM 400.1"),
        Field("notice_given_on", "Notice given on", "date", citation="STMM 400.1"),
    ),
    citation="STMM 400.1",
    date_field="approved_on",
    title_field="contractor",
)

OUTSIDE_CONTRACTS = Kind(
    "outside-contracts",
    "outside-contract",
    "Outside contracts",
    "outside_contracts",
    (
        Field("contract_id", "Contract id", required=True),
        Field("provider", "Provider", required=True),
        Field("services", "Services", "list", required=True, help=LIST_HELP),
        Field("end_date", "End date", "date", citation="STMM 501.0"),
        Field("renewal_date", "Renewal date", "date",
              help="Extending or re-bidding needs an approved exemption first.",
              citation="STMM 501.0"),
        Field("exemption_id", "Exemption", references="exemptions", citation="STMM 501.0"),
        Field("calnet_offers", "CALNET offers these services", "yesno", default=True,
              citation="STMM 501.0"),
    ),
    citation="STMM 501.0",
    date_field="end_date",
    title_field="provider",
)

PEOPLE = Kind(
    "people",
    "person",
    "People",
    "people",
    (
        Field("person_id", "Person id", required=True),
        Field("name", "Name", required=True, personal=True),
        Field("role", "Role", "choice", required=True, choices=ROLES,
              help="catr: designated on CDT-965; atr: places orders."),
        Field("cdt965_date", "CDT-965 date", "date"),
        Field("active", "Active", "yesno", default=True),
        Field("email", "E-mail", personal=True),
        Field("phone", "Phone", personal=True),
    ),
    status_field="role",
    date_field="cdt965_date",
    title_field="name",
)

CONTRACTS = Kind(
    "contracts",
    "contract",
    "CALNET contracts",
    "contracts",
    (
        Field("contract_number", "Contract number", required=True),
        Field("generation", "Generation", "choice", required=True, choices=GENERATIONS,
              citation="design"),
        Field("contractor", "Contractor", required=True),
        Field("categories", "Categories", "list", help=LIST_HELP),
        Field("award_date", "Award date", "date"),
        Field("end_date", "End date", "date"),
        # Added in schema 0010 (so at the end: a migration appends columns).
        Field("source", "Source", help="Where the contract's number, contractor and dates "
                                       "were read (a public record, the contract itself)."),
        Field("source_date", "Source dated", "date",
              help="The date of that record (or the day it was read)."),
    ),
    citation="design",
    date_field="end_date",
    title_field="contractor",
)

CATALOG_ITEMS = Kind(
    "catalog-items",
    "catalog item",
    "Catalog items",
    "catalog_items",
    (
        Field("contract_number", "Contract number", required=True,
              help="The CALNET contract whose catalogs list the item."),
        Field("product_id", "Product id", required=True,
              help="The contractor's catalog product id."),
        Field("description", "Description"),
        Field("category", "Category", help="Contract category or subcategory."),
        Field("catalog_status", "Catalog status", "choice", choices=CATALOG_STATUSES,
              help="Required or Discretionary, per the contractor's Pricing Catalog "
                   "(Catalog A); the state may change it at any time.",
              citation="STMM 3-502.0"),
        Field("delegation_required", "Delegation required", "yesno",
              help="The Delegation (Yes/No) column of the contractor's Product Catalog B.",
              citation="STMM 3-502.0"),
        Field("as_of", "Status as of", "date",
              help="The day the catalogs said so (staleness is counted from it)."),
        Field("source", "Source",
              help="Where the status and flag were read: catalog, its date or address."),
    ),
    citation="STMM 3-502.0",
    status_field="catalog_status",
    date_field="as_of",
    title_field="description",
    key_fields=("contract_number", "product_id"),
)

KINDS: dict[str, Kind] = {
    k.name: k
    for k in (ORDERS, EXEMPTIONS, DELEGATIONS, ATOS, OUTSIDE_CONTRACTS, PEOPLE, CONTRACTS,
              CATALOG_ITEMS)
}
_BY_SINGULAR = {k.singular: k for k in KINDS.values()}

# --- Billing: contractors' monthly statements (issue 18) ------------------------------------
# Not record kinds of their own (they are not imported with `import` or listed with `list`):
# a statement is imported from the contractor's file, which is stored as a document, and its
# lines are derived from that file. Declared here so every column has one name and label.

STATEMENTS = Kind(
    "statements",
    "statement",
    "Billing statements",
    "statements",
    (
        Field("contractor", "Contractor", required=True,
              help="The CALNET contractor (after the rule set's contractor aliases)."),
        Field("month", "Service month", required=True, help="YYYY-MM"),
        Field("sha256", "Statement file SHA-256", required=True),
        Field("name", "Statement file name", required=True),
        Field("lines", "Lines", "integer", required=True),
        Field("total_mrc", "Total MRC", "money", required=True),
        Field("total_nrc", "Total NRC", "money", required=True),
    ),
    date_field="month",
    title_field="name",
    key_fields=("contractor", "month"),
)

STATEMENT_LINES = Kind(
    "statement-lines",
    "statement line",
    "Statement lines",
    "statement_lines",
    (
        Field("ban", "BAN", help="Billing account number."),
        Field("wtn", "WTN", help="Working telephone number."),
        Field("circuit_id", "Circuit id"),
        Field("sr_number", "SR number", help="The service request number (the order's "
                                             "request number)."),
        Field("product_id", "Product id"),
        Field("description", "Description"),
        Field("quantity", "Quantity", "integer"),
        Field("mrc", "MRC", "money", help="Monthly recurring charge."),
        Field("nrc", "NRC", "money", help="Non-recurring charge."),
        Field("usage", "Usage", help="Minutes or units of use; blank is not zero."),
        Field("street", "Street"),
        Field("city", "City"),
        Field("zip", "ZIP"),
    ),
    title_field="description",
)

# A line needs at least one of these to be matched to an order.
STATEMENT_LINE_IDS = ("circuit_id", "wtn", "sr_number")
BILLING_KINDS: dict[str, Kind] = {k.name: k for k in (STATEMENTS, STATEMENT_LINES)}

AGENCY_FIELDS: tuple[Field, ...] = (
    Field("name", "Agency name", required=True),
    Field("agency_class", "Agency class", "choice", required=True, choices=AGENCY_CLASSES,
          citation="STMM 400.1"),
    Field("billing_code", "Billing code"),
)


def order_problems(kind: Kind, record: Mapping[str, Value]) -> list[tuple[str, str]]:
    """(field, problem) for each date that does not come after the date it must follow
    (``Field.later_than``: a delegation's timeframe starts before it ends)."""
    out = []
    for f in kind.fields:
        if f.later_than is None:
            continue
        before, after = record.get(f.later_than), record.get(f.name)
        if isinstance(before, str) and isinstance(after, str) and after <= before:
            first = kind.by_name[f.later_than]
            out.append((f.name, f"{f.label} {_us(after)} must come after {first.label} "
                                f"{_us(before)}"))
    return out


def _us(iso: str) -> str:
    y, m, d = iso[:4], iso[5:7], iso[8:10]
    return f"{m}/{d}/{y}" if len(iso) == 10 else iso


class UnknownKind(ValueError):
    pass


def kind_named(name: str) -> Kind:
    """The kind for a plural or singular name ("orders", "order", "outside_contracts")."""
    n = name.strip().lower().replace("_", "-")
    if n in KINDS:
        return KINDS[n]
    if n in _BY_SINGULAR:
        return _BY_SINGULAR[n]
    raise UnknownKind(f"unknown record kind {name!r}; use one of: {', '.join(KINDS)}")


def kind_among(name: str, names: tuple[str, ...] | frozenset[str] | set[str]) -> Kind | None:
    """The kind for ``name`` if it is one of ``names`` (plural kind names), else None."""
    try:
        kind = kind_named(name)
    except UnknownKind:
        return None
    return kind if kind.name in names else None
