"""How values look on screen: the system locale's dates and currency, readable words."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDate, QLocale

from calnet_desk.records import Field, Value


def readable(word: str) -> str:
    """'in-progress' -> 'In progress', 'non-exempt-state' -> 'Non-exempt state'."""
    special = {"non-exempt-state": "Non-exempt state", "exempt-state": "Exempt state",
               "non-state": "Non-state (local)", "catr": "CATR", "atr": "ATR",
               "ipr": "IPR", "calnet-2": "CALNET 2", "calnet-3": "CALNET 3",
               "nextgen": "CALNET NextGen", "feature-gap": "Feature gap"}
    if word in special:
        return special[word]
    words = [_WORDS.get(w, w) for w in word.replace("_", "-").split("-")]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


_WORDS = {"ato": "ATO", "atr": "ATR", "catr": "CATR", "ipr": "IPR", "calnet": "CALNET",
          "form20": "Form 20", "cdt": "CDT", "sla": "SLA", "fsr": "FSR"}


def app_locale() -> QLocale:
    """The system's locale; US English where the system names none (the C locale)."""
    loc = QLocale.system()
    if loc.language() in (QLocale.Language.C, QLocale.Language.AnyLanguage):
        return QLocale(QLocale.Language.English, QLocale.Country.UnitedStates)
    return loc


def date_format(locale: QLocale | None = None) -> str:
    """The locale's short date format with four-digit years (03/20/2026, not 3/20/26)."""
    fmt: str = (locale or QLocale()).dateFormat(QLocale.FormatType.ShortFormat)
    if "yyyy" not in fmt:
        fmt = fmt.replace("yy", "yyyy")
    return "MM/dd/yyyy" if fmt == "M/d/yyyy" else fmt


def show_date(iso: str, locale: QLocale | None = None) -> str:
    d = dt.date.fromisoformat(iso)
    loc = locale or QLocale()
    text: str = loc.toString(QDate(d.year, d.month, d.day), date_format(loc))
    return text


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
