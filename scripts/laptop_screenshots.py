"""Screenshots of a laptop at 150 %: the whole 1366x768 screen as a person sees it, with the
dashboard, an order's editor and the import wizard's columns page over the demo register
(issue 16). Run on a real X server (Xvfb) with Qt's xcb platform, not offscreen:

    xvfb-run -a -s "-screen 0 1366x768x24" env QT_QPA_PLATFORM=xcb QT_SCALE_FACTOR=1.5 \\
        .venv/bin/python scripts/laptop_screenshots.py [--out docs/screenshots]

Each PNG is the screen, saved with as few colours as it needs (the README shows them).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# A spreadsheet as someone else's office keeps it: its own column names, one column the
# register does not have.
SHEET = (
    "Request #,Date requested,Type,Vendor,Circuit,Site address,Monthly $,Notes\n"
    "TSR-2026-9001,2026-10-02,new,AT&T,39/KQGN/750316/LUMN,"
    "1416 9th Street Sacramento CA 95814,412.50,Second line for the lobby\n"
    "TSR-2026-9002,2026-10-09,change,Verizon,,\"1500 Capitol Ave, Sacramento CA\",88.00,\n"
)


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = p.parse_args()

    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtGui import QGuiApplication, QImage

    from calnet_desk import demo
    from ui import screen as screen_fit
    from ui.app import make_app
    from ui.main_window import MainWindow
    from ui.session import Session
    from ui.settings import Settings

    _app = make_app()  # kept alive while the windows are shot
    if QGuiApplication.platformName() != "xcb":
        print("run under Xvfb with QT_QPA_PLATFORM=xcb (see the docstring)", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)

    def settle(ms: int = 600) -> None:
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    def shoot(name: str) -> None:
        settle()
        screen = QGuiApplication.primaryScreen()
        image = screen.grabWindow(0).toImage()
        # the screen in 256 colours: the PNG is a fraction of the size and reads the same
        small = image.convertToFormat(QImage.Format.Format_Indexed8)
        path = args.out / f"laptop-150-{name}.png"
        small.save(str(path), "PNG", 9)
        print(path, f"{image.width()}x{image.height()} pixels of a "
              f"{screen.size().width()}x{screen.size().height()} screen at "
              f"{screen.devicePixelRatio()}x")

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "demo"
        demo.create_demo(root).close()
        session = Session(root, today=lambda: demo.AS_OF)
        window = MainWindow(session, Settings(Path(tmp) / "settings.ini"))
        ready = QEventLoop()
        session.writer_ready.connect(lambda error: ready.quit())
        ready.exec()
        screen_fit.show_main_window(window, window.dashboard.shown)  # as the app starts it
        loop = QEventLoop()
        window.dashboard.populated.connect(
            lambda: loop.quit() if window.dashboard.findings_ready else None)
        session.refresh_overview()
        loop.exec()
        shoot("dashboard")

        window.show_page("orders")
        page = window.pages["orders"]
        page.ensure_loaded()
        settle()
        page.table.selectRow(2)
        key = page.selected_key()
        editor = window.edit_record("orders", key, "edit")
        shoot("editor")
        editor.reject()
        settle()

        sheet = Path(tmp) / "orders from the field office.csv"
        sheet.write_text(SHEET, encoding="utf-8")
        wizard = window.open_import_wizard(sheet, "orders")
        settle()
        wizard.next()  # the columns page: each column of the file and the field it fills
        shoot("import-wizard")
        wizard.reject()
        window.close()
        session.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
