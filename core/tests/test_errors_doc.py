"""docs/errors.md is generated from the error classes and kept current."""

from pathlib import Path

from core.errors import ApplicationError, error_classes, errors_markdown

DOC = Path(__file__).resolve().parents[2] / "docs" / "errors.md"


def test_the_document_is_current():
    assert DOC.read_text() == errors_markdown(), (
        "docs/errors.md is stale: run `uv run reservaflow errors_doc --write`"
    )


def test_one_class_per_code():
    codes = [cls.code for cls in error_classes()]
    assert len(codes) == len(set(codes)), sorted(c for c in codes if codes.count(c) > 1)


def test_every_concrete_class_is_listed_and_abstract_ones_are_not():
    listed = errors_markdown()
    for cls in error_classes():
        assert f"| {cls.status} | `{cls.code}` |" in listed
    assert "`error`" not in listed and "`too_many_requests`" not in listed
    assert ApplicationError.abstract and not ApplicationError.__subclasses__()[0].abstract
