"""How values look on screen: the system locale's dates and currency, readable words."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDate, QLocale, QTime

from calnet_desk.records import Field, Value, choice_label


def readable(word: str) -> str:
    """A code as a person reads it (declared with the records: records.choice_label)."""
    return choice_label(word)


def app_locale() -> QLocale:
    """The system's locale; US English where the system names none (the C locale)."""
    loc = QLocale.system()
    if loc.language() in (QLocale.Language.C, QLocale.Language.AnyLanguage):
        return QLocale(QLocale.Language.English, QLocale.Country.UnitedStates)
    return loc


# How dates are shown (the setting "date display"): the system's short format, ISO 8601 or
# US month/day/year. One process-wide choice, set from the settings object at start-up and
# when the settings change (see set_date_display).
DATE_DISPLAYS = {"system": "The system's short format", "iso": "ISO 8601 (2026-03-05)",
                 "us": "MM/DD/YYYY (03/05/2026)"}
_FIXED_FORMATS = {"iso": "yyyy-MM-dd", "us": "MM/dd/yyyy"}
_date_display = "system"


def set_date_display(mode: str) -> None:
    global _date_display
    _date_display = mode if mode in DATE_DISPLAYS else "system"


def date_display() -> str:
    return _date_display


def date_format(locale: QLocale | None = None) -> str:
    """The date display setting's format; for "system", the locale's short date format with
    four-digit years (03/20/2026, not 3/20/26)."""
    if _date_display in _FIXED_FORMATS:
        return _FIXED_FORMATS[_date_display]
    fmt: str = (locale or QLocale()).dateFormat(QLocale.FormatType.ShortFormat)
    if "yyyy" not in fmt:
        fmt = fmt.replace("yy", "yyyy")
    return "MM/dd/yyyy" if fmt == "M/d/yyyy" else fmt


def to_date(day: QDate) -> dt.date:
    """A QDate as a date (QDate.toPython is typed as returning object)."""
    return dt.date(day.year(), day.month(), day.day())


def show_date(iso: str, locale: QLocale | None = None) -> str:
    d = dt.date.fromisoformat(iso)
    loc = locale or QLocale()
    text: str = loc.toString(QDate(d.year, d.month, d.day), date_format(loc))
    return text


# The zone times are shown in; None: this computer's (tests pin one).
time_zone: dt.tzinfo | None = None


def local_moment(iso: str) -> dt.datetime:
    """A UTC timestamp as kept (2026-11-21T18:30:00Z) in the local zone."""
    at = dt.datetime.fromisoformat(iso.replace("Z", "+00:00"))
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    return at.astimezone(time_zone)


def show_moment(iso: str, locale: QLocale | None = None) -> str:
    """A UTC timestamp in local time with its zone, which says which: "11/21/2026 10:30 AM
    PST (UTC−08:00)". The history keeps UTC; people read their own clock."""
    local = local_moment(iso)
    loc = locale or QLocale()
    clock = loc.toString(QTime(local.hour, local.minute),
                         loc.timeFormat(QLocale.FormatType.ShortFormat))
    offset = local.strftime("%z") or "+0000"
    utc = f"UTC{'−' if offset[0] == '-' else '+'}{offset[1:3]}:{offset[3:5]}"
    name = local.tzname() or ""
    zone = f"{name} ({utc})" if name and not name.startswith(("UTC", "+", "-")) else utc
    return f"{show_date(local.date().isoformat(), loc)} {clock} {zone}"


def show_money(cents: int, locale: QLocale | None = None) -> str:
    loc = locale or QLocale()
    text: str = loc.toCurrencyString(cents / 100, "$", 2)
    return text


def show(f: Field, value: Value, locale: QLocale | None = None) -> str:
    if value is None:
        return ""
    if f.type == "date":
        assert isinstance(value, str)
        return show_date(value, locale)
    if f.type == "money":
        assert isinstance(value, int)
        return show_money(value, locale)
    if f.type == "yesno":
        return "Yes" if value else "No"
    if f.type == "choice":
        return readable(str(value))
    if f.type == "list":
        assert isinstance(value, list)
        return "; ".join(value)
    return str(value)
