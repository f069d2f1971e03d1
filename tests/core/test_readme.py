"""The README's command examples, run against a demo register: what the README shows is what
the program does (issue 12). Each `$ calnet-desk-cli …` line of a console/sh block is run in
order in one folder (a trailing `# exit N` gives its exit code, else 0); the lines under it are
its output, compared with whitespace ignored and `…` or `...` standing for any text."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from calnet_desk import demo

README = Path(__file__).resolve().parents[2] / "README.md"


@dataclass
class Example:
    line: int
    argv: list[str]
    exit_code: int
    output: str


def examples(text: str) -> list[Example]:
    found: list[Example] = []
    lines = text.splitlines()
    in_block = False
    i = 0
    current: Example | None = None
    while i < len(lines):
        line = lines[i]
        if line.startswith("```"):
            in_block = not in_block and line[3:].strip() in ("console", "sh")
            current = None
            i += 1
            continue
        if in_block and line.startswith("$ calnet-desk-cli "):
            start = i
            command = line[2:]
            while command.endswith("\\"):
                i += 1
                command = command[:-1] + " " + lines[i].strip()
            code = 0
            if "#" in command:
                command, comment = command.split("#", 1)
                match = re.match(r"\s*exit (\d)", comment)
                code = int(match.group(1)) if match else 0
            current = Example(start + 1, shlex.split(command)[1:], code, "")
            found.append(current)
        elif in_block and current is not None:
            current.output += line + "\n"
        i += 1
    return found


def pattern(shown: str) -> re.Pattern[str]:
    squeezed = re.sub(r"\s+", "", shown)
    parts = re.split(r"…|\.\.\.", squeezed)
    return re.compile(".*?".join(re.escape(p) for p in parts), re.DOTALL)


EXAMPLES = examples(README.read_text(encoding="utf-8"))


def test_the_readme_has_examples_to_run() -> None:
    assert len(EXAMPLES) >= 10
    assert {e.argv[0] for e in EXAMPLES} >= {"check-purchase", "deadlines", "findings",
                                               "request-check", "request-packet", "ipr",
                                               "export-ics"}


@pytest.fixture(scope="module")
def demo_register(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("readme") / "demo-register"
    demo.create_demo(root).close()
    return root


def test_every_readme_example_does_what_it_shows(run_cli: Any, demo_register: Path,
                                                 tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALNET_DESK_HOME", str(demo_register))
    monkeypatch.chdir(tmp_path)
    wrong: list[str] = []
    for example in EXAMPLES:
        run = run_cli(*example.argv)
        where = f"README.md:{example.line}: calnet-desk-cli {' '.join(example.argv)}"
        if run.code != example.exit_code:
            wrong.append(f"{where}: exit {run.code}, the README says {example.exit_code} "
                         f"({run.err.strip()[:300]})")
            continue
        shown = example.output.strip()
        if shown and not pattern(shown).search(re.sub(r"\s+", "", run.out + run.err)):
            wrong.append(f"{where}: printed\n{run.out[:1500]}\nthe README shows\n{shown}")
    assert not wrong, "\n\n".join(wrong)


def test_the_readme_points_only_inside_the_repository() -> None:
    text = README.read_text(encoding="utf-8")
    assert "../" not in text
    for target in re.findall(r"\]\(([^)#]+)\)", text):
        if not target.startswith(("http://", "https://")):
            assert (README.parent / target).exists(), target


def test_the_readme_opens_with_who_it_is_for_and_spells_out_its_acronyms() -> None:
    text = README.read_text(encoding="utf-8")
    before_commands = text.split("```", 1)[0]
    assert "coordinators" in before_commands and "California" in before_commands
    for acronym, words in (("CATR", "Chief Agency Telecommunications Representative"),
                           ("ATR", "Agency Telecommunications Representative"),
                           ("ATO", "Authorization To Order"),
                           ("STMM", "State Telecommunications Management Manual"),
                           ("AIO", "Agency Information Officer"),
                           ("IPR", "Individual Price Reduction"),
                           ("TL", "Technology Letter"),
                           ("SAM", "State Administrative Manual"),
                           ("STD. 20", "Telecommunications Service Request")):
        assert words in text, acronym
