"""The integration marker is declared: a test on a real component without it stops the collection."""

from __future__ import annotations

import pytest

CONFTEST = """
import pytest

from tests.support.integration import require_integration_marker


def pytest_collection_modifyitems(items):
    require_integration_marker(items)


@pytest.fixture
def postgres():
    return "a cluster"


@pytest.fixture
def engine(postgres):
    return "an engine on " + postgres
"""


def test_an_unmarked_test_on_a_real_component_fails_the_collection_by_name(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(
        test_module="""
        import pytest

        def test_pure():
            pass

        @pytest.mark.integration
        def test_marked(engine):
            pass

        def test_forgotten(engine):
            pass
        """
    )
    result = pytester.runpytest("--collect-only", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*not marked integration*", "*test_module.py::test_forgotten"])
    assert "test_marked" not in result.stderr.str()
    assert "test_pure" not in result.stderr.str()


def test_a_module_marker_covers_every_test(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(
        test_module="""
        import pytest

        pytestmark = pytest.mark.integration

        def test_on_the_database(engine):
            assert engine == "an engine on a cluster"
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "-m", "integration")
    result.assert_outcomes(passed=1)
