"""The README's CLI reference is generated from --help; it must not drift."""

from conftest import REPO

from narratives.clidoc import END, START, render


def test_readme_cli_reference_is_current():
    readme = (REPO / "README.md").read_text("utf-8")
    block = readme.split(START, 1)[1].split(END, 1)[0]
    assert block.strip() == render().strip(), (
        "README CLI reference is stale: run `python -m narratives.clidoc --write`")


def test_readme_test_command_matches_ci():
    readme = (REPO / "README.md").read_text("utf-8")
    ci = (REPO / ".ci" / "run").read_text("utf-8")
    command = [line for line in ci.splitlines() if line.startswith("python3 -m venv")][0]
    assert command in readme
