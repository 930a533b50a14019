"""The import contracts of docs/architecture.md (``[tool.importlinter]`` in pyproject.toml) hold
for the code, and would catch an import against the arrows."""

from __future__ import annotations

import subprocess
import sys
from copy import deepcopy
from pathlib import Path

import grimp
import pytest
from importlinter import configuration
from importlinter.application import use_cases
from importlinter.contracts.forbidden import ForbiddenContract
from importlinter.contracts.layers import LayersContract
from importlinter.domain.contract import Contract

ROOT = Path(__file__).resolve().parents[1]
CONTRACT_TYPES: dict[str, type[Contract]] = {
    "layers": LayersContract,
    "forbidden": ForbiddenContract,
}


def test_the_code_keeps_the_import_contracts() -> None:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint_imports), "--no-cache", "--config", str(ROOT / "pyproject.toml")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.fixture(scope="module")
def contracts() -> list[Contract]:
    configuration.configure()
    options = use_cases.read_user_options(str(ROOT / "pyproject.toml"))
    return [
        CONTRACT_TYPES[c["type"]](c["name"], options.session_options, c)
        for c in options.contracts_options
    ]


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("surveyapp", include_external_packages=True, cache_dir=None)


@pytest.mark.parametrize(
    ("importer", "imported"),
    [
        ("surveyapp.services.demo", "surveyapp.cli"),  # the cycle there was
        ("surveyapp.services.rounds", "surveyapp.web.rounds.routes"),
        ("surveyapp.models.rounds", "surveyapp.services.rounds"),
        ("surveyapp.cli", "surveyapp.web"),
        ("surveyapp.analysis.metrics", "flask"),
        ("surveyapp.analysis.metrics", "sqlalchemy"),
        ("surveyapp.analysis.report", "surveyapp.models.responses"),
        ("surveyapp.analysis.report", "surveyapp.reporting.build"),
        ("surveyapp.instruments", "surveyapp.models.instruments"),
        ("surveyapp.instruments.scales", "surveyapp.services"),
    ],
)
def test_an_import_against_the_arrows_breaks_a_contract(
    contracts: list[Contract], graph: grimp.ImportGraph, importer: str, imported: str
) -> None:
    def broken(g: grimp.ImportGraph) -> list[str]:
        return [c.name for c in contracts if not c.check(deepcopy(g), verbose=False).kept]

    assert broken(graph) == []
    changed = deepcopy(graph)
    changed.add_import(importer=importer, imported=imported)
    assert broken(changed) != []


#: Libraries that take a large part of a second to import; only the pages and commands that use
#: them may load them (issue 14: CLI start-up under 1 s).
HEAVY = ("pandas", "numpy", "scipy", "matplotlib", "seaborn", "weasyprint", "openpyxl", "sklearn")


@pytest.mark.parametrize(
    "code",
    [
        "import surveyapp.cli",
        # the whole app (every blueprint) and a cheap command's module, as `flask --help` builds
        "from surveyapp import create_app; create_app({'TESTING': True, 'SECRET_KEY': 'x'})",
    ],
)
def test_start_up_does_not_import_the_heavy_libraries(code: str) -> None:
    probe = f"import sys; {code}; print(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"imported at start-up: {result.stdout.strip()}"


def test_the_probe_sees_a_heavy_import() -> None:
    """The test above can fail: a module that uses pandas is caught."""
    probe = (
        "import sys; import surveyapp.reporting.views; "
        f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert "pandas" in result.stdout.split(), result.stdout + result.stderr
