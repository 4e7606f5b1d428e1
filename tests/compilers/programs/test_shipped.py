"""The example programs ship in the package: examples/programs links to them, the CLI
finds them by name or by the README's path from any folder, and a built wheel holds them."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from compilers.cli import main
from compilers.programs import shipped

ROOT = Path(__file__).resolve().parents[3]
CHECKOUT = ROOT / "examples" / "programs"


def _files(folder: Path) -> dict[str, bytes]:
    return {path.relative_to(folder).as_posix(): path.read_bytes()
            for path in sorted(folder.rglob("*"))
            if path.is_file() and "__pycache__" not in path.parts}


def test_examples_programs_is_the_shipped_folder_itself():
    # one copy: the checkout's examples/programs links to the package's folder
    assert CHECKOUT.is_symlink() and CHECKOUT.resolve() == shipped.FOLDER.resolve()
    assert set(shipped.names()) == set(_files(CHECKOUT))
    assert "countdown.subleq" in shipped.names()


def test_a_bare_name_or_the_readme_path_finds_the_shipped_copy(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no examples/ here
    want = shipped.FOLDER / "countdown.subleq"
    assert shipped.resolve("countdown.subleq") == str(want)
    assert shipped.resolve("examples/programs/countdown.subleq") == str(want)
    assert shipped.resolve("./examples/programs/countdown.subleq") == str(want)


def test_existing_files_text_stdin_and_unknown_names_are_left_alone(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "countdown.subleq").write_text("0 0 -1\n")
    assert shipped.resolve("countdown.subleq") == "countdown.subleq"  # the user's own file
    for text in ("-", "nothere.subleq", "0 0 -1\n1 1 -1", "majority", "/countdown.subleq",
                 "../programs/countdown.subleq", "", "x" * 5000, "a\0b"):
        assert shipped.resolve(text) == text


def test_the_readme_command_runs_from_an_empty_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    done = CliRunner().invoke(main, ["run", "subleq", "examples/programs/countdown.subleq"])
    assert done.exit_code == 0, done.output
    assert done.output == "9876543210\n"
    done = CliRunner().invoke(main, ["run", "subleq", "hello.subleq"])
    assert done.exit_code == 0, done.output
    assert done.output.startswith("Hello, world!")


def test_a_missing_program_file_is_still_one_line_naming_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    done = CliRunner().invoke(main, ["run", "subleq", "nothere.subleq"])
    assert done.exit_code == 2
    assert "cannot read program file 'nothere.subleq'" in done.output


@pytest.mark.slow
def test_the_wheel_holds_the_examples_the_library_and_the_license(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w",
                    str(tmp_path), str(ROOT)], check=True)
    (wheel,) = tmp_path.glob("circuitx-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in shipped.names():
        assert f"compilers/programs/examples/{name}" in names
    library = ROOT / "compilers" / "programs" / "library"
    for path in library.iterdir():
        assert f"compilers/programs/library/{path.name}" in names
    assert any(name.endswith(".dist-info/licenses/LICENSE") for name in names)
