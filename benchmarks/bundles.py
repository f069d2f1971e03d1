"""Audit bundles: export and verify against the stock tools doing the same byte work.

Run:  .venv/bin/python benchmarks/bundles.py [--records N] [--documents N] [--mb MB]
                                             [--full] [--repeat R] [--keep DIR]
                                             [--export-only | --verify-only]

It builds a register with N orders (default 5,000) and a few hundred random documents
(default 300 documents, 150 MB in all; ``--full``: 500 MB, as issue 7 asks), then measures,
best of R runs each (default 3), baseline and ours alternating so machine load hits both:

* export: ``export_bundle`` (scope all) against ``cp -r`` of the register's documents
  folder plus ``openssl dgst -sha256`` over the copies, SHA-256 at the machine's best
  speed (coreutils' sha256sum is several times slower) (target <= 2x, issue 17), in wall
  time and in CPU time;
* verify: ``verify_bundle`` of the unzipped bag (chain, scope and replay included) against
  ``openssl dgst -sha256`` of its payload (target <= 1.5x), in wall time and in CPU time
  (this process's threads; openssl's user + system time); the zip (unpacked by the
  archive guards first, so every byte is written once more) is shown for information;
* peak memory: tracemalloc's peak during the export of a small register whose documents
  are 1 MB each and of one whose documents are 64 MB each: flat means about the same.

The page cache is warm for both sides (each side reads what the other just read).
Exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from calnet_desk.exchange.bundle import export_bundle, parse_scope, verify_bundle  # noqa: E402
from calnet_desk.records import KINDS  # noqa: E402
from calnet_desk.store import Register  # noqa: E402
from calnet_desk.store.documents import add_document, link, store_bytes  # noqa: E402

AS_OF = dt.date(2026, 12, 1)


def build(root: Path, records: int, documents: int, total_bytes: int, seed: int = 7
          ) -> Register:
    rnd = random.Random(seed)
    reg = Register.create(root, agency="Department of Benchmarks",
                          agency_class="non-exempt-state")
    orders = KINDS["orders"]
    with reg.transaction("benchmark orders") as tx:
        tx.put_many(orders, ({"request_number": f"O-{i:06d}",
                              "request_date": f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}",
                              "order_type": rnd.choice(("new", "change", "move")),
                              "contractor": rnd.choice(("AT&T", "Verizon", "Lumen")),
                              "description": f"Line {i} for building {i % 97}",
                              "monthly_cost": rnd.randint(1000, 99999),
                              "placed_by": f"ATR {i % 13}"} for i in range(records)))
    average = total_bytes // max(documents, 1)
    with reg.transaction("benchmark documents") as tx:
        for i in range(documents):
            size = rnd.randint(average // 2, average * 3 // 2)
            sha, n = store_bytes(reg.paths, os.urandom(size))
            add_document(tx, sha, f"scan {i:04d}.pdf", n)
            link(tx, sha, orders, f"O-{i % max(records, 1):06d}")
    return reg


def cpu_seconds() -> float:
    """CPU time used so far by this process (all its threads) and its finished children."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def timed(fn: Callable[[], object]) -> tuple[float, float]:
    """(wall, CPU) seconds of one call."""
    wall, cpu = time.perf_counter(), cpu_seconds()
    fn()
    return time.perf_counter() - wall, cpu_seconds() - cpu


def best(fn: Callable[[], object], repeat: int) -> float:
    return min(timed(fn)[0] for _ in range(repeat))


def alternate(base: Callable[[], object], ours: Callable[[], object], repeat: int
              ) -> tuple[float, float]:
    (b, _), (o, _) = alternate_cpu(base, ours, repeat)
    return b, o


def alternate_cpu(base: Callable[[], object], ours: Callable[[], object], repeat: int
                  ) -> tuple[tuple[float, float], tuple[float, float]]:
    """((wall, CPU) of the baseline, (wall, CPU) of ours), each the least of ``repeat``
    runs, the two alternating so that machine load hits both."""
    b, o = [], []
    for _ in range(repeat):
        b.append(timed(base))
        o.append(timed(ours))
    return ((min(w for w, _ in b), min(c for _, c in b)),
            (min(w for w, _ in o), min(c for _, c in o)))


def peak_export(work: Path, name: str, doc_mb: int) -> int:
    reg = build(work / name, 20, 3, 3 * doc_mb << 20)
    with reg:
        tracemalloc.start()
        export_bundle(reg, work / f"{name}.zip", parse_scope("all"), AS_OF)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


def summary_seconds(reg: Register, repeat: int) -> float:
    """The summary PDF alone, as the export makes it (best of ``repeat``)."""
    from calnet_desk.exchange.bundle import Redactor
    from calnet_desk.exchange.bundle.scope import select
    from calnet_desk.exchange.summary import render_summary

    scope = parse_scope("all")
    sel = select(reg, scope)
    return best(lambda: render_summary(reg, sel, scope, AS_OF, Redactor(False, ())), repeat)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=5000)
    parser.add_argument("--documents", type=int, default=300)
    parser.add_argument("--mb", type=int, default=150, help="documents in all (MB)")
    parser.add_argument("--full", action="store_true", help="500 MB of documents")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    parser.add_argument("--export-only", action="store_true",
                        help="measure the export (and the summary PDF's share) only")
    parser.add_argument("--verify-only", action="store_true",
                        help="measure verify only (the bundle is exported once, untimed)")
    args = parser.parse_args()
    mb = 500 if args.full else args.mb
    work = args.keep or Path(tempfile.mkdtemp(prefix="calnet-bundles-"))
    work.mkdir(parents=True, exist_ok=True)
    failed = False
    try:
        start = time.perf_counter()
        reg = build(work / "reg", args.records, args.documents, mb << 20)
        print(f"register: {args.records:,} orders, {args.documents} documents, {mb} MB "
              f"(built in {time.perf_counter() - start:.1f} s)")
        out = work / "bundle.zip"
        copy = work / "copy"

        def baseline_export() -> None:
            shutil.rmtree(copy, ignore_errors=True)
            subprocess.run(["cp", "-r", str(reg.paths.documents), str(copy)], check=True)
            files = [str(p) for p in copy.rglob("*") if p.is_file()]
            subprocess.run(["openssl", "dgst", "-sha256", *files], check=True,
                           stdout=subprocess.DEVNULL)

        def ours_export() -> None:
            export_bundle(reg, out, parse_scope("all"), AS_OF)

        if args.verify_only:
            with reg:
                ours_export()  # the bundle to verify, untimed
        else:
            with reg:
                (base, base_cpu), (ours, ours_cpu) = alternate_cpu(
                    baseline_export, ours_export, args.repeat)
                summary = summary_seconds(reg, args.repeat)
            ratio = ours / base
            failed |= ratio > 2.0
            print(f"export: cp -r + openssl dgst -sha256 {base:.2f} s; export-bundle "
                  f"{ours:.2f} s; ratio {ratio:.2f}x (target <= 2x)")
            print(f"export, CPU time: cp + openssl {base_cpu:.2f} s (with the removal of the "
                  f"last copy); export-bundle {ours_cpu:.2f} s (every thread); ratio "
                  f"{ours_cpu / base_cpu:.2f}x; load average {os.getloadavg()[0]:.2f}")
            print(f"of which the summary PDF (findings, deadlines and typesetting): "
                  f"{summary:.2f} s ({summary / ours:.0%} of the export)")
        if args.export_only:
            return 1 if failed else 0

        unzipped = work / "unzipped"
        shutil.rmtree(unzipped, ignore_errors=True)
        with zipfile.ZipFile(out) as zf:
            zf.extractall(unzipped)
        bag = unzipped / f"calnet-bundle-{AS_OF.isoformat()}"

        payload = [str(p) for p in (bag / "data").rglob("*") if p.is_file()]

        def baseline_verify() -> None:
            subprocess.run(["openssl", "dgst", "-sha256", *payload], check=True,
                           stdout=subprocess.DEVNULL)

        problems: list[str] = []

        def ours_verify() -> None:
            problems[:] = verify_bundle(bag)

        (base, base_cpu), (ours, ours_cpu) = alternate_cpu(baseline_verify, ours_verify,
                                                          args.repeat)
        assert not problems, problems
        ratio = ours / base
        failed |= ratio > 1.5
        print(f"verify (folder): openssl dgst -sha256 of the payload {base:.2f} s; "
              f"verify-bundle (chain, scope, replay) {ours:.2f} s; ratio {ratio:.2f}x "
              "(target <= 1.5x)")
        print(f"verify (folder), CPU time: openssl {base_cpu:.2f} s; verify-bundle "
              f"{ours_cpu:.2f} s (every thread); ratio {ours_cpu / base_cpu:.2f}x")
        zipped = best(lambda: verify_bundle(out), 1)
        print(f"verify (zip, unpacked by the archive guards first): {zipped:.2f} s; "
              f"{zipped / base:.2f}x the same baseline (information)")

        small = peak_export(work, "small", 1)
        large = peak_export(work, "large", 64)
        growth = large / small
        failed |= growth > 1.5
        print(f"peak memory (tracemalloc) exporting 1 MB documents {small / 2**20:.1f} MB; "
              f"64 MB documents {large / 2**20:.1f} MB; {growth:.2f}x (flat: ~1x)")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
