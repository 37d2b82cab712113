"""Who acts on a reservation (docs/booking.md, "Actors").

An ``Actor`` is a small value the callers (reservations.callers) build once, from what they
know of the person asking, and pass to every service: the booking core, changes and every
transition. The services never look at ``request.user``; they read the actor's kind, and the
rules differ by kind only:

* a **guest** (with an account, or anonymous: known only by an e-mail and/or phone, as on the
  guest booking page or through the manage link) books online for themselves, is limited
  (hold and attempt limits), may not override the notice, and may cancel or change only before
  the start;
* the restaurant's **host** or **manager**, or a **superuser**, may do everything a guest may
  and also seat, complete, mark no-shows, override the notice and set the source; they are
  never limited. A host or manager acts only at their own restaurant;
* only staff choose the tables of a seating (``table_ids``), and only a **manager** or a
  superuser seats a party at tables that are no combination of the restaurant;
* the **system** (scheduled work: the expiry sweep) is the only one that expires holds.
"""

from dataclasses import dataclass
from enum import StrEnum

from django.contrib.auth.base_user import AbstractBaseUser


class ActorKind(StrEnum):
    GUEST = "guest"  # a guest signed in with an account
    ANONYMOUS_GUEST = "anonymous_guest"  # a guest known by e-mail and/or phone, or by a link
    HOST = "host"
    MANAGER = "manager"
    SUPERUSER = "superuser"
    SYSTEM = "system"


GUEST_KINDS = frozenset({ActorKind.GUEST, ActorKind.ANONYMOUS_GUEST})
STAFF_KINDS = frozenset({ActorKind.HOST, ActorKind.MANAGER, ActorKind.SUPERUSER})
MANAGING_KINDS = frozenset({ActorKind.MANAGER, ActorKind.SUPERUSER})
# Kinds bound to one restaurant: they act there and nowhere else.
_RESTAURANT_BOUND = frozenset({ActorKind.HOST, ActorKind.MANAGER, ActorKind.ANONYMOUS_GUEST})
_WITH_USER = frozenset({ActorKind.GUEST, *STAFF_KINDS})


@dataclass(frozen=True)
class Actor:
    kind: ActorKind
    # The account of a guest with one, of a host, manager or superuser; None otherwise.
    user: AbstractBaseUser | None = None
    # The restaurant a host or manager works at, or whose guest an anonymous guest is.
    restaurant_id: int | None = None
    # How an anonymous guest is known (normalised: lower-case e-mail, E.164 phone).
    email: str = ""
    phone: str = ""

    def __post_init__(self) -> None:
        # Programming errors, never a caller's input: only the callers build actors.
        with_user, bound = self.kind in _WITH_USER, self.kind in _RESTAURANT_BOUND
        if (self.user is not None) != with_user:
            raise ValueError(f"A {self.kind} actor carries {'its' if with_user else 'no'} user.")
        if (self.restaurant_id is not None) != bound:
            raise ValueError(f"A {self.kind} actor names {'its' if bound else 'no'} restaurant.")

    @classmethod
    def guest(cls, user: AbstractBaseUser) -> "Actor":
        return cls(ActorKind.GUEST, user=user)

    @classmethod
    def anonymous_guest(cls, *, restaurant_id: int, email: str = "", phone: str = "") -> "Actor":
        return cls(ActorKind.ANONYMOUS_GUEST, restaurant_id=restaurant_id, email=email, phone=phone)

    @classmethod
    def host(cls, user: AbstractBaseUser, restaurant_id: int) -> "Actor":
        return cls(ActorKind.HOST, user=user, restaurant_id=restaurant_id)

    @classmethod
    def manager(cls, user: AbstractBaseUser, restaurant_id: int) -> "Actor":
        return cls(ActorKind.MANAGER, user=user, restaurant_id=restaurant_id)

    @classmethod
    def superuser(cls, user: AbstractBaseUser) -> "Actor":
        return cls(ActorKind.SUPERUSER, user=user)

    @classmethod
    def system(cls) -> "Actor":
        return cls(ActorKind.SYSTEM)

    @property
    def is_guest(self) -> bool:
        return self.kind in GUEST_KINDS

    @property
    def is_staff(self) -> bool:
        """The restaurant's staff or a superuser: what staff may do that a guest may not."""
        return self.kind in STAFF_KINDS

    @property
    def is_manager(self) -> bool:
        """The restaurant's manager or a superuser: what a host may not do (seat a party at
        tables that are no combination, ``override_tables``)."""
        return self.kind in MANAGING_KINDS

    @property
    def is_limited(self) -> bool:
        """Whether hold and attempt limits apply: to guests, never to the restaurant's staff
        (nor to the system)."""
        return self.is_guest

    @property
    def account(self) -> AbstractBaseUser | None:
        """The guest's own account, whose bookings the hold limits count (None for an
        anonymous guest: the guest profile stands for them)."""
        return self.user if self.kind == ActorKind.GUEST else None

    def acts_at(self, restaurant_id: int) -> bool:
        """A host, manager or anonymous guest acts only at their restaurant."""
        return self.kind not in _RESTAURANT_BOUND or self.restaurant_id == restaurant_id


SYSTEM = Actor.system()
