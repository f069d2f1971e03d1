"""Seen from outside, as a screen reader sees it: starts CALNET Desk on a register (argv[1])
with Qt's AT-SPI bridge on, walks its accessibility tree over the a11y D-Bus (jeepney, pure
Python) and prints it as JSON lines: role, name, states, labelled-by, table headers.

Run inside a session bus and an X server: xvfb-run -a dbus-run-session -- python THIS REG
(tests/ui/test_accessibility.py does). Exits 1 with a sentence when the app never shows up."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from typing import Any

from jeepney import DBusAddress, Properties, new_method_call
from jeepney.io.blocking import DBusConnection, open_dbus_connection

ACCESSIBLE = "org.a11y.atspi.Accessible"
STATE_FOCUSABLE, STATE_SHOWING = 11, 25


def call(conn: DBusConnection, bus: str, path: str, interface: str, method: str,
         signature: str | None = None, body: tuple[Any, ...] = ()) -> tuple[Any, ...]:
    msg = new_method_call(DBusAddress(path, bus, interface), method, signature, body)
    reply = conn.send_and_get_reply(msg, timeout=10)
    return tuple(reply.body)


def prop(conn: DBusConnection, bus: str, path: str, interface: str, name: str) -> Any:
    reply = conn.send_and_get_reply(Properties(DBusAddress(path, bus, interface)).get(name),
                                    timeout=10)
    return reply.body[0][1]


def states(conn: DBusConnection, bus: str, path: str) -> set[int]:
    words = call(conn, bus, path, ACCESSIBLE, "GetState")[0]
    return {w * 32 + b for w, word in enumerate(words) for b in range(32) if word >> b & 1}


def node(conn: DBusConnection, bus: str, path: str) -> dict[str, Any]:
    state = states(conn, bus, path)
    out: dict[str, Any] = {
        "path": path,
        "role": call(conn, bus, path, ACCESSIBLE, "GetRoleName")[0],
        "name": prop(conn, bus, path, ACCESSIBLE, "Name"),
        "showing": STATE_SHOWING in state,
        "focusable": STATE_FOCUSABLE in state,
        "labelled_by": [],
    }
    for relation, targets in call(conn, bus, path, ACCESSIBLE, "GetRelationSet")[0]:
        if relation == 2:  # ATSPI_RELATION_LABELLED_BY
            out["labelled_by"] += [prop(conn, b, p, ACCESSIBLE, "Name") for b, p in targets]
    interfaces = call(conn, bus, path, ACCESSIBLE, "GetInterfaces")[0]
    if "org.a11y.atspi.Table" in interfaces:
        columns = prop(conn, bus, path, "org.a11y.atspi.Table", "NColumns")
        headers = []
        for c in range(columns):
            b, p = call(conn, bus, path, "org.a11y.atspi.Table", "GetColumnHeader", "i",
                        (c,))[0]
            headers.append(prop(conn, b, p, ACCESSIBLE, "Name") if p != "/org/a11y/atspi/null"
                           else "")
        if not any(headers):  # no rows: Qt answers GetColumnHeader through row 0's cells
            headers = [prop(conn, b, p, ACCESSIBLE, "Name")
                       for b, p in call(conn, bus, path, ACCESSIBLE, "GetChildren")[0]
                       if call(conn, b, p, ACCESSIBLE, "GetRoleName")[0] == "column header"]
        out["headers"] = headers
    return out


def walk(conn: DBusConnection, bus: str, path: str, depth: int = 0) -> list[dict[str, Any]]:
    """What is showing under (bus, path)."""
    here = node(conn, bus, path)
    if not here["showing"]:
        return []
    found = [here]
    if "headers" in here:  # a table's cells are data: its first row tells how state is said
        table = "org.a11y.atspi.Table"
        if prop(conn, bus, path, table, "NRows"):
            here["first_row"] = [
                prop(conn, *call(conn, bus, path, table, "GetAccessibleAt", "ii", (0, c))[0],
                     ACCESSIBLE, "Name") for c in range(len(here["headers"]))]
        return found
    if depth > 40 or here["role"] in ("list", "menu bar"):
        return found  # a list's items are data, not controls
    for b, p in call(conn, bus, path, ACCESSIBLE, "GetChildren")[0]:
        found += walk(conn, b, p, depth + 1)
    return found


def find(conn: DBusConnection, bus: str, path: str, role: str, name: str,
         depth: int = 0) -> tuple[str, str] | None:
    if (call(conn, bus, path, ACCESSIBLE, "GetRoleName")[0] == role
            and prop(conn, bus, path, ACCESSIBLE, "Name") == name):
        return bus, path
    if depth > 40:
        return None
    for b, p in call(conn, bus, path, ACCESSIBLE, "GetChildren")[0]:
        hit = find(conn, b, p, role, name, depth + 1)
        if hit:
            return hit
    return None


def every_page(conn: DBusConnection, bus: str, frame: str) -> None:
    """Select each entry of the Pages list as a screen reader user would (AT-SPI Selection)
    and print what is showing, page by page."""
    pages = find(conn, bus, frame, "list", "Pages")
    if pages is None:
        raise SystemExit("no list named Pages in the window")
    items = call(conn, *pages, ACCESSIBLE, "GetChildren")[0]
    for i, (b, p) in enumerate(items):
        label = prop(conn, b, p, ACCESSIBLE, "Name")
        call(conn, *pages, "org.a11y.atspi.Selection", "SelectChild", "i", (i,))
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:  # another process: wait for it to switch
            selected = call(conn, *pages, "org.a11y.atspi.Selection", "GetSelectedChild",
                            "i", (0,))[0]
            if selected[1] == p:
                break
            time.sleep(0.05)
        time.sleep(0.5)  # and to paint the page (tables fill in as they are shown)
        for item in walk(conn, bus, frame):
            print(json.dumps({"page": label, **item}), flush=True)


def main() -> int:
    env = {**os.environ, "QT_LINUX_ACCESSIBILITY_ALWAYS_ON": "1", "QT_ACCESSIBILITY": "1",
           "QT_QPA_PLATFORM": "xcb"}
    app = subprocess.Popen([sys.executable, "-m", "ui.app", "--data-dir", sys.argv[1]],
                           env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        session = open_dbus_connection(bus="SESSION")
        address = call(session, "org.a11y.Bus", "/org/a11y/bus", "org.a11y.Bus",
                       "GetAddress")[0]
        conn = open_dbus_connection(bus=address)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            apps = call(conn, "org.a11y.atspi.Registry", "/org/a11y/atspi/accessible/root",
                        ACCESSIBLE, "GetChildren")[0]
            for bus, path in apps:
                frames = call(conn, bus, path, ACCESSIBLE, "GetChildren")[0]
                for b, p in frames:
                    if "CALNET Desk" in str(prop(conn, b, p, ACCESSIBLE, "Name")):
                        time.sleep(1.0)  # the first page fills in
                        every_page(conn, b, p)
                        return 0
            time.sleep(0.2)
        print(f"CALNET Desk never appeared on the accessibility bus: "
              f"{app.stderr.read1(4000).decode() if app.stderr else ''}", file=sys.stderr)
        return 1
    finally:
        app.terminate()
        app.wait(timeout=30)


if __name__ == "__main__":
    raise SystemExit(main())
