"""The record editor: one form per record kind, built from the core's field declarations.

Every value goes through the same per-cell parser the import uses (values.parser_for), then
the store's own checks (required, choices, references) are mirrored beside each field, so
what the form accepts the register accepts. Saves and undos run on the writer thread, one
transaction each, and land in the history.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QDate, QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPalette, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QCalendarWidget,
    QComboBox,
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QMenu,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
    QWidgetAction,
)

from calnet_desk.drafts import Draft, DraftError, Drafts
from calnet_desk.operations import SavedEdit, current_ladder, save_record
from calnet_desk.policy.deadlines import DEADLINE_RECORD_KINDS, parse_ladder
from calnet_desk.records import KINDS, Field, Kind, Record, Value, order_problems
from calnet_desk.store.browse import titles
from calnet_desk.values import BadValue, display, parser_for

from ..formatting import readable
from ..session import Session
from ..style import FOCUS_WIDTH, ring_room
from ..widgets import guard_wheel
from ..worker import operation

MODES = ("new", "edit", "duplicate")
REQUEST_KINDS = ("exemptions", "delegations")
LADDER_FIELD = "reminder_ladder"
# The answers when a changed form is closed without saving.
SAVE, DISCARD, KEEP = "save", "discard", "keep"
SEP = " — "  # between a key and its title in a picker


class RecordChanged(Exception):
    """The record changed in the register since the editor (or the last save) read it."""


def tip(f: Field) -> str:
    parts = [p for p in (f.help, f"Source: {f.citation}" if f.citation else "") if p]
    return "\n".join(parts)


def assign_mnemonics(labels: list[str], taken: set[str]) -> list[str]:
    """'&' before the first letter of each label not used yet (case-insensitive); labels
    left without one stay plain."""
    out = []
    for label in labels:
        for i, ch in enumerate(label):
            if ch.isalpha() and ch.lower() not in taken:
                taken.add(ch.lower())
                out.append(label[:i] + "&" + label[i:])
                break
        else:
            out.append(label)
    return out


# --- one input per field type ----------------------------------------------------------------

def _narrow(combo: QComboBox) -> None:
    """A combo as wide as the form gives it, not as its longest item."""
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(16)


class FieldInput:
    """A field's widget: raw() is what goes into the import's parser for the field."""

    def __init__(self, f: Field, parent: QWidget) -> None:
        self.field = f
        self.focus: QWidget
        self.widget: QWidget

    def raw(self) -> object:
        raise NotImplementedError

    def set(self, value: Value) -> None:
        raise NotImplementedError

    def set_raw(self, raw: object) -> None:
        """Put back what raw() returned (a draft holds raw text, not parsed values)."""
        self.set(raw if raw is None or isinstance(raw, str) else str(raw))

    def on_change(self, slot: Callable[[], object]) -> None:
        raise NotImplementedError

    def set_read_only(self, read_only: bool) -> None:
        self.focus.setEnabled(not read_only)

    def _name(self, w: QWidget) -> None:
        w.setAccessibleName(self.field.label)
        w.setToolTip(tip(self.field))
        w.setWhatsThis(tip(self.field))


class LineInput(FieldInput):
    def __init__(self, f: Field, parent: QWidget, placeholder: str = "") -> None:
        super().__init__(f, parent)
        self.line = QLineEdit(parent)
        self.line.setPlaceholderText(placeholder)
        self._name(self.line)
        self.focus = self.widget = self.line

    def raw(self) -> object:
        return self.line.text()

    def set(self, value: Value) -> None:
        self.line.setText(display(self.field, value))

    def set_raw(self, raw: object) -> None:
        self.line.setText("" if raw is None else str(raw))

    def on_change(self, slot: Callable[[], object]) -> None:
        self.line.textChanged.connect(slot)

    def set_read_only(self, read_only: bool) -> None:
        self.line.setReadOnly(read_only)


VALUE_ROLE = Qt.ItemDataRole.UserRole + 1
CHOICE_ROLE = Qt.ItemDataRole.UserRole + 2
FIELD_ROLE = Qt.ItemDataRole.UserRole + 3


class SuggestInput(LineInput):
    """Free text with the register's choices offered as you type (any part matches): people
    with their role and id, inactive ones marked; contractors; contract numbers."""

    def __init__(self, f: Field, parent: QWidget, choices: list[Any]) -> None:
        super().__init__(f, parent, "Type, or pick from the list")
        model = QStandardItemModel(self.line)
        self.choices = list(choices)
        for n, choice in enumerate(choices):  # the list shows the label; matching and
            item = QStandardItem(choice.label)  # picking, the value
            item.setData(choice.value, VALUE_ROLE)
            item.setData(n, CHOICE_ROLE)
            item.setData(f.name, FIELD_ROLE)
            item.setEditable(False)
            if choice.inactive:
                item.setForeground(self.line.palette().placeholderText())
            model.appendRow(item)
        self.model = model
        completer = QCompleter(model, self.line)
        completer.setCompletionRole(VALUE_ROLE)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.completer = completer
        self.line.setCompleter(completer)
        # the value picked goes in even when the line lost focus to the list meanwhile
        completer.activated[str].connect(self.line.setText)  # type: ignore[index]

    def choice_at(self, index: QModelIndex) -> Any:
        """The Suggestion an index of the completion list shows, or None."""
        n = index.data(CHOICE_ROLE)
        return self.choices[n] if isinstance(n, int) and 0 <= n < len(self.choices) else None


class IntegerInput(LineInput):
    def set(self, value: Value) -> None:
        self.line.setText("" if value is None else str(value))


class LongTextInput(FieldInput):
    def __init__(self, f: Field, parent: QWidget) -> None:
        super().__init__(f, parent)
        self.text = QPlainTextEdit(parent)
        self.text.setTabChangesFocus(True)
        self.text.setFixedHeight(self.text.fontMetrics().lineSpacing() * 5)
        self._name(self.text)
        self.focus = self.widget = self.text

    def raw(self) -> object:
        return self.text.toPlainText()

    def set(self, value: Value) -> None:
        self.text.setPlainText("" if value is None else str(value))

    def set_raw(self, raw: object) -> None:
        self.set(None if raw is None else str(raw))

    def on_change(self, slot: Callable[[], object]) -> None:
        self.text.textChanged.connect(slot)

    def set_read_only(self, read_only: bool) -> None:
        self.text.setReadOnly(read_only)


class DateInput(LineInput):
    """Typed (MM/DD/YYYY or YYYY-MM-DD) or picked from a calendar; empty means no date."""

    def __init__(self, f: Field, parent: QWidget) -> None:
        super().__init__(f, parent, "MM/DD/YYYY")
        self.widget = QWidget(parent)
        self.line.setParent(self.widget)
        self.pick = QToolButton(self.widget)
        self.pick.setText("…")
        self.pick.setAccessibleName(f"Pick {f.label} from a calendar")
        self.pick.setToolTip("Pick from a calendar")
        self.pick.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.menu = QMenu(self.pick)
        self.calendar = QCalendarWidget(self.menu)
        self.calendar.setAccessibleName(f"{f.label} calendar")
        action = QWidgetAction(self.menu)
        action.setDefaultWidget(self.calendar)
        self.menu.addAction(action)
        self.pick.setMenu(self.menu)
        self.menu.aboutToShow.connect(self._sync_calendar)
        self.calendar.clicked.connect(self._picked)
        self.calendar.activated.connect(self._picked)
        row = QHBoxLayout(self.widget)
        ring_room(row)  # the date and its button in line with the other fields (in theirs)
        row.addWidget(self.line, 1)
        row.addWidget(self.pick)

    def _sync_calendar(self) -> None:
        try:
            value = parser_for(self.field)(self.line.text())
        except BadValue:
            value = None
        day = dt.date.fromisoformat(value) if isinstance(value, str) else dt.date.today()
        self.calendar.setSelectedDate(QDate(day.year, day.month, day.day))

    def _picked(self, date: QDate) -> None:
        self.set(dt.date(date.year(), date.month(), date.day()).isoformat())
        self.menu.close()

    def set_read_only(self, read_only: bool) -> None:
        super().set_read_only(read_only)
        self.pick.setEnabled(not read_only)


class ComboInput(FieldInput):
    """Choices and yes/no: readable words, a blank entry for 'not given'."""

    def __init__(self, f: Field, parent: QWidget) -> None:
        super().__init__(f, parent)
        self.combo = QComboBox(parent)
        _narrow(self.combo)
        self.combo.addItem("—", None)
        if f.type == "yesno":
            self.combo.addItem("Yes", "yes")
            self.combo.addItem("No", "no")
        else:
            for choice, label in f.labelled_choices:
                self.combo.addItem(label, choice)
        self._name(self.combo)
        guard_wheel(self.combo)  # scrolling the form never changes a choice
        self.focus = self.widget = self.combo

    def raw(self) -> object:
        return self.combo.currentData()

    def set(self, value: Value) -> None:
        if isinstance(value, bool):
            value = "yes" if value else "no"
        index = self.combo.findData(value)
        self.combo.setCurrentIndex(max(index, 0))

    def on_change(self, slot: Callable[[], object]) -> None:
        self.combo.currentIndexChanged.connect(slot)


class ReferenceInput(FieldInput):
    """A linked record: an editable combo over the target kind's keys and titles, searched
    as you type (any part of the key or the title)."""

    def __init__(self, f: Field, parent: QWidget, choices: list[tuple[str, str]]) -> None:
        super().__init__(f, parent)
        self.combo = QComboBox(parent)
        _narrow(self.combo)
        self.combo.setEditable(True)
        guard_wheel(self.combo)
        self.combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.combo.addItem("", None)
        for key, title in choices:
            self.combo.addItem(f"{key}{SEP}{title}" if title else key, key)
        completer = QCompleter(self.combo.model(), self.combo)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.combo.setCompleter(completer)
        line = self.combo.lineEdit()
        assert line is not None
        line.setPlaceholderText(f"Type to search {KINDS[str(f.references)].label.lower()}")
        self._name(self.combo)
        self._name(line)
        self.focus = self.widget = self.combo

    def raw(self) -> object:
        text = self.combo.currentText().strip()
        index = self.combo.findText(text, Qt.MatchFlag.MatchExactly)
        if index >= 0:
            return self.combo.itemData(index)
        return text.split(SEP)[0].strip()

    def set(self, value: Value) -> None:
        index = self.combo.findData(value) if value is not None else 0
        if index >= 0:
            self.combo.setCurrentIndex(index)
        else:
            self.combo.setEditText(str(value))

    def on_change(self, slot: Callable[[], object]) -> None:
        self.combo.currentTextChanged.connect(slot)


def make_input(f: Field, parent: QWidget, session: Session, kind: str = "") -> FieldInput:
    from calnet_desk.suggest import SUGGESTED, suggestions

    if (kind, f.name) in SUGGESTED:
        return SuggestInput(f, parent, suggestions(session.reader, kind, f.name))
    if f.references:
        target = KINDS[f.references]
        return ReferenceInput(f, parent, titles(session.reader, target))
    if f.type in ("choice", "yesno"):
        return ComboInput(f, parent)
    if f.type == "date":
        return DateInput(f, parent)
    if f.type == "integer":
        return IntegerInput(f, parent, "a whole number")
    if f.type == "money":
        return LineInput(f, parent, "$0.00")
    if f.type == "list":
        return LineInput(f, parent, "several values separated by ';'")
    if f.multiline:  # sentences rather than a name or a number: a multi-line box
        return LongTextInput(f, parent)
    return LineInput(f, parent)


# --- the dialog --------------------------------------------------------------------------------

class RecordEditor(QDialog):
    """New, edit or duplicate one record. ``saved`` carries a SavedEdit after a save."""

    saved = Signal(object)
    packet_wanted = Signal(str, str)  # kind, key: make the packet and keep it (main window)
    draft_written = Signal(str)  # the draft file, each time it is written
    # A draft is on disk at most this long after the first change of a burst of typing.
    DRAFT_DELAY_MS = 1000

    def __init__(self, session: Session, kind: Kind, key: str | None = None,
                 mode: str = "edit", parent: QWidget | None = None,
                 draft: Draft | None = None) -> None:
        super().__init__(parent)
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        if mode != "new" and key is None:
            raise ValueError(f"{mode} needs the key of a record")
        self.session, self.kind, self.mode = session, kind, mode
        self.source_key = key
        self.saving = False
        self.values: Record = {}
        self.packet_message = ""
        self.packet_after_save = False
        self._people: list[dict[str, Any]] | None = None
        self.setObjectName(f"editor-{kind.name}")
        reader = session.reader
        loaded = reader.get(kind, key) if key is not None else None
        if mode != "new" and loaded is None:
            raise ValueError(f"no {kind.singular} {key} in the register")
        self.loaded: Record | None = loaded if mode == "edit" else None
        self.entry_id = reader.last_entry_id(kind.name, key) if mode == "edit" and key else None
        self.keys = reader.keys(kind)
        self._ref_keys: dict[str, set[str]] = {}
        from calnet_desk.policy.rules import load_rules

        self.rules = load_rules(None, session.root)
        title = {"new": f"New {kind.singular}", "edit": f"Edit {kind.singular} {key}",
                 "duplicate": f"Duplicate of {kind.singular} {key}"}[mode]
        self.setWindowTitle(title)

        # --- the form -------------------------------------------------------------------------
        form_host = QWidget(self)
        form = QFormLayout(form_host)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        # each field's cell leaves the ring's width round it: the rows' spacing gives it
        # back, so the fields stand as far apart as before and as many fit on a laptop
        form.setVerticalSpacing(max(0, form.verticalSpacing() - 2 * FOCUS_WIDTH))
        self.inputs: dict[str, FieldInput] = {}
        self.errors: dict[str, QLabel] = {}
        self.labels: dict[str, QLabel] = {}
        self.focus_of: dict[str, QWidget] = {}
        has_requests = kind.name in REQUEST_KINDS
        taken = {"s", "c"} | ({"g", "k"} if has_requests else set())  # Generate, checKlist
        texts = [f.label for f in kind.fields]
        self.has_ladder = kind.name in DEADLINE_RECORD_KINDS
        if self.has_ladder:
            texts.append("Reminder days")
        marked = assign_mnemonics(texts, taken)
        for f, text in zip(kind.fields, marked, strict=False):
            inp = make_input(f, form_host, session, kind.name)
            self._add_row(form, form_host, f.name, text + (" *" if f.required else ""),
                          inp.widget, inp.focus, tip(f))
            self.inputs[f.name] = inp
            if isinstance(inp, SuggestInput) and any(c.fills for c in inp.choices):
                # a Qt connection to a method (no Python reference cycle through the form)
                inp.completer.activated[QModelIndex].connect(  # type: ignore[index]
                    self._picked)
        if self.has_ladder:
            default = ", ".join(map(str, self.rules.ladder(kind.name)))
            self.ladder = QLineEdit(form_host)
            self.ladder.setAccessibleName("Reminder days for this record")
            self.ladder.setPlaceholderText(f"the default for {kind.label.lower()}: {default}")
            ladder_tip = ("Days before each deadline of this record when it is due soon, "
                          "such as 90, 60, 30, 7. Empty: the default of its kind.")
            self.ladder.setToolTip(ladder_tip)
            self.ladder.setWhatsThis(ladder_tip)
            self._add_row(form, form_host, LADDER_FIELD, marked[-1], self.ladder, self.ladder,
                          ladder_tip)
            self.ladder.textChanged.connect(self.validate)
        scroll = QScrollArea(self)
        scroll.setWidget(form_host)
        scroll.setWidgetResizable(True)
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setAccessibleName(f"{kind.singular.capitalize()} fields")

        # --- request completeness (exemptions and delegations) -------------------------------
        self.missing: QListWidget | None = None
        self.packet_button: QPushButton | None = None
        body: QWidget = scroll
        if has_requests:
            side = QWidget(self)
            heading = QLabel("Request chec&klist", side)
            bold = heading.font()
            bold.setBold(True)
            heading.setFont(bold)
            self.completeness = QLabel(side)
            self.completeness.setWordWrap(True)
            self.missing = QListWidget(side)
            self.missing.setAccessibleName("Missing request elements")
            self.missing.setWordWrap(True)
            heading.setBuddy(self.missing)
            self.packet_button = QPushButton("&Generate request packet", side)
            self.packet_button.setAccessibleName("Generate the request packet (PDF) and keep "
                                                 "it with the record's documents")
            self.packet_button.clicked.connect(self.generate_packet)
            self.packet_note = QLabel(side)
            self.packet_note.setWordWrap(True)
            self.packet_note.setMinimumHeight(self.packet_note.fontMetrics().lineSpacing() * 3)
            column = QVBoxLayout(side)
            ring_room(column)  # the checklist's and the button's focus rings whole
            column.addWidget(heading)
            column.addWidget(self.completeness)
            column.addWidget(self.missing, 1)
            column.addWidget(self.packet_button)
            column.addWidget(self.packet_note)
            split = QSplitter(Qt.Orientation.Horizontal, self)
            split.addWidget(scroll)
            split.addWidget(side)
            split.setStretchFactor(0, 3)
            split.setStretchFactor(1, 2)
            split.setChildrenCollapsible(False)
            body = split

        # --- status and buttons ---------------------------------------------------------------
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.summary.setAccessibleName("Problems")
        self.buttons = QDialogButtonBox(self)
        ring_room(self.buttons)
        self.save_button = self.buttons.addButton("&Save", QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = self.buttons.addButton("&Cancel",
                                                    QDialogButtonBox.ButtonRole.RejectRole)
        self.save_button.setAccessibleName(f"Save the {kind.singular}")
        self.cancel_button.setAccessibleName("Cancel without saving")
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save)
        self.cancel_button.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(body, 1)
        layout.addWidget(self.summary)
        layout.addWidget(self.buttons)

        # --- values ---------------------------------------------------------------------------
        start: Record = ({f.name: f.default for f in kind.fields} if loaded is None
                         else dict(loaded))
        if mode == "duplicate":  # a composite key: its last part (another product id)
            start[kind.key_names[-1]] = None
        for name, inp in self.inputs.items():
            inp.set(start.get(name))
            inp.on_change(self.validate)
        if self.has_ladder and key is not None:
            self.ladder.setText(current_ladder(reader, kind.name, key) or "")
        self.start_ladder = self.ladder_text() if self.has_ladder else None

        # --- the draft: unsaved typing kept on disk (calnet_desk.drafts) ----------------------
        self.start_raw = self.raw_state()
        self.start_ladder_raw = self.ladder_raw()
        writable = session.writer is not None and not session.read_only
        self.drafts: Drafts | None = Drafts(session.root) if writable else None
        self.draft = draft or Draft(kind.name, mode, key, {}, expected_entry=self.entry_id)
        self.draft_on_disk = draft is not None
        self.draft_problem = ""
        self.draft_timer = QTimer(self)
        self.draft_timer.setSingleShot(True)
        self.draft_timer.setInterval(self.DRAFT_DELAY_MS)
        self.draft_timer.timeout.connect(self.keep_draft)
        if draft is not None:
            for name, raw in draft.fields.items():
                if name in self.inputs and not (mode == "edit" and name in kind.key_names):
                    self.inputs[name].set_raw(raw)
            if self.has_ladder and draft.ladder is not None:
                self.ladder.setText(draft.ladder)
            if mode == "edit":  # "changed since you opened it" counts from the first opening
                self.entry_id = draft.expected_entry
        for inp in self.inputs.values():
            inp.on_change(self._changed)
        if self.has_ladder:
            self.ladder.textChanged.connect(self._changed)
        if mode == "edit":
            for name in kind.key_names:
                self.inputs[name].set_read_only(True)
                self.inputs[name].focus.setToolTip(
                    f"The {kind.key_label.lower()} cannot change; duplicate the record to "
                    "give it another.")
        self.validate()
        first = kind.fields[len(kind.key_names)] if mode == "edit" else kind.key
        self.inputs[first.name].focus.setFocus()
        fm = self.fontMetrics()
        self.resize(fm.averageCharWidth() * (170 if has_requests else 110),
                    fm.lineSpacing() * 44)

    def _add_row(self, form: QFormLayout, host: QWidget, name: str, text: str,
                 widget: QWidget, focus: QWidget, tooltip: str) -> None:
        label = QLabel(text, host)
        label.setBuddy(focus)
        label.setToolTip(tooltip)
        label.setWhatsThis(tooltip)
        error = QLabel(host)
        error.setWordWrap(True)
        palette = error.palette()
        dark = palette.color(QPalette.ColorRole.Window).lightness() < 128
        palette.setColor(QPalette.ColorRole.WindowText, QColor("#ff8a80" if dark else "#b00020"))
        error.setPalette(palette)
        error.setVisible(False)
        cell = QWidget(host)
        column = QVBoxLayout(cell)
        if widget.layout() is None:
            ring_room(column)  # a control: room for its focus ring in its cell
        else:  # controls side by side leave it themselves; the message lines up with them
            column.setContentsMargins(0, 0, 0, 0)
            ring_room(error)
        column.setSpacing(0)
        widget.setParent(cell)
        column.addWidget(widget)
        column.addWidget(error)
        form.addRow(label, cell)
        self.labels[name], self.errors[name], self.focus_of[name] = label, error, focus

    # --- validation ---------------------------------------------------------------------------

    def ladder_text(self) -> str | None:
        text = self.ladder.text().strip()
        if not text:
            return None
        return ",".join(map(str, parse_ladder(text)))

    def _reference_keys(self, target: str) -> set[str]:
        if target not in self._ref_keys:
            self._ref_keys[target] = self.session.reader.keys(KINDS[target])
        return self._ref_keys[target]

    def _inactive_atr(self, placed_by: str) -> str:
        """An open order being placed by an inactive ATR (new, or placed_by changed) is caught
        here, before saving (a completed one is history: the finding says what to note)."""
        from calnet_desk.suggest import inactive_atr, people

        if "status" in self.inputs and self.inputs["status"].raw() == "completed":
            return ""
        before = self.loaded.get("placed_by") if self.loaded and self.mode == "edit" else None
        if isinstance(before, str) and before.strip().casefold() == placed_by.casefold():
            return ""  # as it was: the dashboard's finding speaks for it, other edits go on
        if self._people is None:
            self._people = people(self.session.reader)
        atr = inactive_atr(self._people, placed_by)
        if atr is None:
            return ""
        return (f"{atr['name']} ({atr['person_id']}) is an inactive ATR; only active ATRs "
                "place orders (STMM 0300.0). Pick an active ATR, or make the person active "
                "first.")

    def check_field(self, f: Field) -> tuple[Value, str]:
        """The field's value and what is wrong with it ('' when fine)."""
        try:
            value = parser_for(f)(self.inputs[f.name].raw())
        except BadValue as e:
            return None, str(e)
        if value is None:
            return None, "Required." if f.required else ""
        if f.choices and value not in f.choices:
            return None, f"Must be one of {', '.join(readable(c) for c in f.choices)}."
        if f.references and str(value) not in self._reference_keys(f.references):
            target = KINDS[f.references]
            return None, f"No {target.singular} {value} in the register."
        if self.kind.name == "orders" and f.name == "placed_by":
            problem = self._inactive_atr(str(value))
            if problem:
                return value, problem
        if f.name == self.kind.key_names[-1] and self.mode != "edit":
            key = self._typed_key(value)
            if key in self.keys:
                return value, (f"{self.kind.singular.capitalize()} {key} is already in the "
                               "register.")
        return value, ""

    def _picked(self, index: QModelIndex) -> None:
        inp = self.inputs.get(str(index.data(FIELD_ROLE)))
        choice = inp.choice_at(index) if isinstance(inp, SuggestInput) else None
        if choice is not None:
            self.fill_from(choice)

    def fill_from(self, choice: Any) -> None:
        """A pick that brings its other values (an order picks a catalog item: the item's
        contract and its contractor, status, delegation flag and as-of date replace what the
        form had; its category fills a blank one)."""
        blank_only = {"category"}
        for name, value in choice.fills:
            inp = self.inputs.get(name)
            if inp is None or value is None:
                continue
            if name in blank_only and str(inp.raw() or "").strip():
                continue
            inp.set(value)
        self.validate()

    def _typed_key(self, last: Value) -> str:
        """The key the form names now (a composite key from its parts' inputs)."""
        if not self.kind.composite:
            return str(last)
        parts = {n: str(self.inputs[n].raw() or "").strip() for n in self.kind.key_names[:-1]}
        return self.kind.record_key({**parts, self.kind.key_names[-1]: str(last)})

    def problems(self) -> dict[str, str]:
        return {name: label.text() for name, label in self.errors.items() if label.text()}

    def validate(self) -> bool:
        values: Record = {}
        shown: dict[str, str] = {}
        for f in self.kind.fields:
            value, shown[f.name] = self.check_field(f)
            values[f.name] = value
        for name, problem in order_problems(self.kind, values):  # a start after its end
            shown[name] = shown[name] or problem + "."
        for name, problem in shown.items():
            self._show_problem(name, problem)
        if self.has_ladder:
            try:
                self.ladder_text()
                self._show_problem(LADDER_FIELD, "")
            except ValueError as e:
                self._show_problem(LADDER_FIELD, str(e))
        self.values = values
        problems = self.problems()
        if problems:
            names = [self.labels[n].text().replace("&", "").rstrip(" *") for n in problems]
            self.summary.setText(f"Correct {len(problems)} field(s) to save: "
                                 f"{', '.join(names)}.")
        else:
            self.summary.setText("")
        self.save_button.setEnabled(not problems and not self.saving
                                    and not self.session.read_only)
        self._update_completeness()
        return not problems

    def _show_problem(self, name: str, problem: str) -> None:
        error = self.errors[name]
        error.setText(problem)
        error.setVisible(bool(problem))
        self.focus_of[name].setAccessibleDescription(problem)  # screen readers say it

    def record(self) -> Record:
        return dict(self.values)

    def dirty(self) -> bool:
        if self.loaded is None:
            return True
        ladder_now: str | None
        try:
            ladder_now = self.ladder_text() if self.has_ladder else None
        except ValueError:
            return True
        return (any(self.values.get(f.name) != self.loaded.get(f.name) for f in self.kind.fields)
                or ladder_now != self.start_ladder)

    # --- the draft and closing without saving -------------------------------------------------

    def raw_state(self) -> dict[str, Any]:
        """What is in the form as typed: field name to raw text (or choice)."""
        return {name: inp.raw() for name, inp in self.inputs.items()}

    def ladder_raw(self) -> str | None:
        return self.ladder.text() if self.has_ladder else None

    def has_changes(self) -> bool:
        """Anything changed since the form opened, or a restored draft not yet saved?"""
        return (self.draft_on_disk or self.raw_state() != self.start_raw
                or self.ladder_raw() != self.start_ladder_raw)

    def _changed(self) -> None:
        if self.drafts is not None and not self.draft_timer.isActive():
            self.draft_timer.start()

    def keep_draft(self) -> None:
        """Write the form's state to the draft file (or remove it when nothing is changed)."""
        self.draft_timer.stop()
        if self.drafts is None or self.saving:
            return
        self.draft.fields = self.raw_state()
        self.draft.ladder = self.ladder_raw()
        try:
            if (self.raw_state() == self.start_raw
                    and self.ladder_raw() == self.start_ladder_raw):
                if self.draft_on_disk:
                    self.drafts.remove(self.draft.draft_id)
                    self.draft_on_disk = False
                return
            path = self.drafts.save(self.draft)
        except DraftError as e:
            self.draft_problem = str(e)
            self.summary.setText(f"Your typing is not being kept on disk: {e}. Save soon.")
            return
        self.draft_on_disk = True
        self.draft_problem = ""
        self.draft_written.emit(str(path))

    def drop_draft(self) -> None:
        """The changes were saved or deliberately discarded: the draft goes."""
        self.draft_timer.stop()
        if self.drafts is None or not self.draft_on_disk:
            return
        try:
            self.drafts.remove(self.draft.draft_id)
            self.draft_on_disk = False
        except DraftError:
            pass  # offered again at the next start: the person can discard it then

    def reject(self) -> None:
        """Escape, Cancel and the window's close button: a changed form asks first."""
        if self.saving:
            return  # the save on its way decides; closing now would hide its outcome
        if self.has_changes():
            answer = ask_unsaved(self)
            if answer == KEEP:
                return
            if answer == SAVE:
                self.save()  # the editor closes itself once saved
                return
        self.drop_draft()
        super().reject()

    # --- request completeness and the packet --------------------------------------------------

    def _update_completeness(self) -> None:
        if self.missing is None or self.packet_button is None:
            return
        from calnet_desk.policy.requests import check_request

        result = check_request(self.values, self.kind, rules=self.rules)
        self.missing.clear()
        for m in result["missing"]:
            self.missing.addItem(f"{m['label']} ({m['citation']})")
        n = len(result["missing"])
        self.completeness.setText(
            "Every element the request needs is there." if result["complete"] else
            f"{n} element(s) missing before the request goes out:")
        unsaved = self.mode != "edit" or self.dirty()
        self.packet_button.setEnabled(not self.saving)
        self.packet_button.setText("Save and &generate request packet" if unsaved else
                                   "&Generate request packet")
        self.packet_note.setText(
            "Saves the record first; the packet is made from the register and kept with the "
            "record's documents." if unsaved else self.packet_message or
            "The packet is kept with the record's documents.")

    def generate_packet(self) -> None:
        """Make the request packet and keep it with the record's documents; a new or changed
        form is saved first (one click, no reopening)."""
        if self.packet_button is None:
            return
        if self.mode != "edit" or self.dirty() or self.loaded is None:
            self.packet_after_save = True
            self.save()
            if not self.saving:  # not valid, or read-only: the form says why
                self.packet_after_save = False
            return
        key = self.kind.record_key(self.loaded)
        self.packet_message = "Making the packet…"
        self.packet_button.setEnabled(False)
        self.packet_note.setText(self.packet_message)
        self.packet_wanted.emit(self.kind.name, key)

    def packet_done(self, message: str) -> None:
        """What became of the packet (the main window made it)."""
        self.packet_message = message
        self._update_completeness()

    # --- saving -------------------------------------------------------------------------------

    def save(self) -> None:
        if self.saving or not self.validate():
            return
        writer = self.session.writer
        if writer is None or self.session.read_only:
            self.summary.setText("This register is open read-only; nothing was saved.")
            return
        record = self.record()
        key = self.kind.record_key(record)
        ladder = self.ladder_text() if self.has_ladder else None
        reason = {"new": f"new {self.kind.singular}",
                  "edit": f"edit of {self.kind.singular} {key}",
                  "duplicate": f"duplicate of {self.kind.singular} {self.source_key}"}[self.mode]
        job = operation(save_record, self.kind, record, self.mode, self.entry_id, ladder,
                        self.has_ladder and ladder != self.start_ladder, reason)
        self.saving = True
        self.save_button.setEnabled(False)
        self.summary.setText("Saving…")
        writer.submit(job, self._saved, self._failed)

    def _saved(self, result: object) -> None:
        self.saving = False
        assert isinstance(result, SavedEdit)
        self.result_edit = result
        self.drop_draft()
        self.saved.emit(result)
        self.session.changed.emit(result.kind, result.key)
        if self.packet_after_save:
            self.packet_wanted.emit(result.kind, result.key)
        self.accept()

    def _failed(self, message: str, details: str) -> None:
        self.saving = False
        self.validate()
        self.summary.setText(f"Not saved: {message}")
        self._changed()  # the draft is kept while the form stays unsaved


def ask_unsaved(editor: RecordEditor) -> str:
    """Save, Discard or Keep editing, for a changed form being closed (tests replace it)."""
    box = QMessageBox(QMessageBox.Icon.Question, "Unsaved changes",
                      f"{editor.windowTitle()}: save your changes before closing?",
                      QMessageBox.StandardButton.NoButton, editor)
    save = box.addButton("&Save", QMessageBox.ButtonRole.AcceptRole)
    discard = box.addButton("&Discard changes", QMessageBox.ButtonRole.DestructiveRole)
    keep = box.addButton("&Keep editing", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(save)
    box.setEscapeButton(keep)
    box.exec()
    clicked = box.clickedButton()
    return SAVE if clicked is save else DISCARD if clicked is discard else KEEP
