"""Render every page of the demo register to PNG (docs/screenshots/), for the README.

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/screenshots.py [--scale 1.5]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    p.add_argument("--scale", default="1")
    p.add_argument("--dark", action="store_true")
    args = p.parse_args()
    os.environ["QT_SCALE_FACTOR"] = args.scale

    from PySide6.QtCore import QEventLoop, Qt
    from PySide6.QtGui import QColor, QPalette

    from calnet_desk import demo
    from ui.app import make_app
    from ui.main_window import MainWindow
    from ui.pages.workspace import RecordPage
    from ui.session import Session
    from ui.settings import Settings

    app = make_app()
    if args.dark:
        pal = QPalette()
        for role, color in ((QPalette.ColorRole.Window, "#202124"),
                            (QPalette.ColorRole.WindowText, "#e8eaed"),
                            (QPalette.ColorRole.Base, "#17181a"),
                            (QPalette.ColorRole.AlternateBase, "#25272a"),
                            (QPalette.ColorRole.Text, "#e8eaed"),
                            (QPalette.ColorRole.Button, "#2d2f31"),
                            (QPalette.ColorRole.ButtonText, "#e8eaed"),
                            (QPalette.ColorRole.Highlight, "#3c6ea8"),
                            (QPalette.ColorRole.HighlightedText, "#ffffff"),
                            (QPalette.ColorRole.Link, "#8ab4f8")):
            pal.setColor(role, QColor(color))
        app.setPalette(pal)  # type: ignore[attr-defined]
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "demo"
        demo.create_demo(root).close()
        session = Session(root, read_only=True, today=lambda: demo.AS_OF)
        window = MainWindow(session, Settings(Path(tmp) / "settings.ini"))
        window.resize(1600, 900)
        window.show()
        loop = QEventLoop()
        window.dashboard.populated.connect(
            lambda: loop.quit() if window.dashboard.findings_ready else None)
        session.refresh_overview()
        loop.exec()
        suffix = ("-dark" if args.dark else "") + (f"-{args.scale}x" if args.scale != "1" else "")
        for row in range(window.nav.count()):
            window.nav.setCurrentRow(row)
            page = window.stack.currentWidget()
            if isinstance(page, RecordPage) and page.model.rowCount() > 0:
                page.table.selectRow(min(3, page.model.rowCount() - 1))
                page.table.setFocus(Qt.FocusReason.OtherFocusReason)
            app.processEvents()  # type: ignore[attr-defined]
            name = page.objectName().removeprefix("page-")
            path = args.out / f"{row:02d}-{name}{suffix}.png"
            window.grab().save(str(path))
            print(path)
        window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
