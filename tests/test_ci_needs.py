"""A test that needs a browser or a tool skips where it is missing, but fails in CI, which must run every test."""

import pytest

from tests.conftest import need, need_module


@pytest.mark.parametrize("ci, outcome", [("", pytest.skip.Exception), ("false", pytest.skip.Exception),
                                         ("true", pytest.fail.Exception), ("1", pytest.fail.Exception)])
def test_what_is_missing_skips_here_and_fails_in_ci(monkeypatch, ci, outcome):
    monkeypatch.setenv("CI", ci)
    need(True, "never said")  # what is there lets the test go on
    with pytest.raises(outcome, match="no chroma CLI"):
        need(False, "no chroma CLI")
    with pytest.raises(outcome, match="Playwright is not installed .*no_such_module_here"):
        need_module("no_such_module_here", "Playwright is not installed")


def test_a_module_that_is_there_is_handed_back(monkeypatch):
    monkeypatch.setenv("CI", "true")
    assert need_module("json", "never said").dumps([1]) == "[1]"
