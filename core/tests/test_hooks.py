"""Hooks: a lower app asks, the app above answers once at start-up; asking an unanswered hook
is an error, never a silent default."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from core.hooks import Hook


def test_an_unanswered_hook_refuses_to_answer():
    hook: Hook[str] = Hook("tests.unanswered")
    with pytest.raises(ImproperlyConfigured, match=r"tests\.unanswered"):
        hook.get()


def test_the_registered_answer_is_returned_and_an_equal_one_may_come_again():
    hook: Hook[str] = Hook("tests.answered")
    hook.register("answer")
    hook.register("answer")
    assert hook.get() == "answer"


def test_a_second_different_answer_is_refused():
    hook: Hook[str] = Hook("tests.contested")
    hook.register("first")
    with pytest.raises(ImproperlyConfigured):
        hook.register("second")
    assert hook.get() == "first"
