"""Reservations in the admin, for superusers and each restaurant's managers (docs/admin.md).

Every write goes through the booking core and the transitions, as the admin's user
(``reservations.callers``: ``admin_actor``, a superuser or the reservation's restaurant's
manager): the add and change forms ask the core in their validation and show its refusals as
form errors (reservations.admin.forms), ``save_model`` only takes the row the core wrote, and
each action runs one transition per reservation (never ``queryset.update``), reporting each
refusal as a message. Reservations are never deleted (cancel them). A manager sees their
restaurants' reservations only (restaurants.admin_access).

Modules: ``reservation_admin`` (the ModelAdmin), ``forms`` (the add and change forms), ``actions``
(the transitions on selected reservations, as one table).
"""

from reservations.admin import reservation_admin  # noqa: F401  (registers the ModelAdmin)
