"""Hooks: a question a lower app asks and an app above it answers, registered at start-up.

Events (core.events) tell the apps above what happened; a hook is the other direction, when a
lower app needs an answer only a higher app can give (restaurants asking whether reservations
are ahead of a table, customers asking for a guest's visit counts). The lower app declares the
hook next to the code that asks, with the shape of the answer; the higher app registers its
answer in its ``AppConfig.ready()``. The lower app never imports the higher one.

A hook nobody answered raises ImproperlyConfigured when asked: it guards a rule (a table with
reservations ahead is not deleted), and a silent default would drop the rule.
"""

from typing import Generic, TypeVar

from django.core.exceptions import ImproperlyConfigured

T = TypeVar("T")


class Hook(Generic[T]):
    def __init__(self, name: str) -> None:
        self.name = name
        self._answer: T | None = None

    def __repr__(self) -> str:
        return f"<Hook {self.name}>"

    def register(self, answer: T) -> None:
        """Answer the hook. Registering an equal answer again changes nothing (a ``ready()``
        that runs twice); a different one is refused, so two apps never silently compete."""
        if self._answer is not None and self._answer != answer:
            raise ImproperlyConfigured(f"{self.name} is already answered by {self._answer!r}.")
        self._answer = answer

    def get(self) -> T:
        """The registered answer."""
        if self._answer is None:
            raise ImproperlyConfigured(
                f"Nothing answers {self.name}: the app that owns the answer registers it in its "
                "AppConfig.ready() (is it in INSTALLED_APPS?)."
            )
        return self._answer
