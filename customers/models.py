from django.conf import settings
from django.db import models
from django.db.models.functions import Lower


class Customer(models.Model):
    """A guest profile, of one of two kinds:

    - an **account profile** (``user`` set): the guest's own, made when they registered; its
      e-mail is the account's login, and only its owner changes it;
    - a **local profile** (no ``user``): made by a restaurant's staff for a phone or walk-in
      booking, kept by that restaurant (``created_by_restaurant``) and invisible to every
      other. An e-mail that an account also has makes a separate local profile: a staff
      booking never reaches an account's profile.

    What a restaurant records about a guest (notes) is not here but in that restaurant's
    ``GuestRecord``; ``legacy_notes`` holds only older notes no restaurant could read.
    Visit and no-show counts are derived from reservations, never stored."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="customer",
    )
    first_name = models.CharField(max_length=150)
    last_name = models.CharField(max_length=150, blank=True)
    email = models.EmailField(max_length=254, blank=True)
    phone = models.CharField(max_length=20, blank=True, help_text="E.164, e.g. +34911222333")
    allergies = models.TextField(blank=True)
    created_by_restaurant = models.ForeignKey(
        "restaurants.Restaurant",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="created_customers",
        help_text="The restaurant whose staff made this profile; it keeps a local profile.",
    )
    # Not a restaurant's record: what the admin kept about a guest before guest records, on
    # a profile no restaurant had created, which only superusers could read. Migration
    # customers 0003 moved it here; only superusers read it, in the admin (never the API).
    legacy_notes = models.TextField(
        blank=True,
        editable=False,
        help_text=(
            "Notes from before guest records that no restaurant's staff could read "
            "(the profile had no creating restaurant): superusers only, in the admin."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True, editable=False)

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        constraints = [
            # One account profile per address, and one local profile per address and
            # restaurant: two restaurants (and the account) may each know the same address.
            models.UniqueConstraint(
                Lower("email"),
                condition=~models.Q(email="") & models.Q(user__isnull=False),
                name="customer_account_email_ci_unique",
            ),
            models.UniqueConstraint(
                "created_by_restaurant",
                Lower("email"),
                condition=~models.Q(email="") & models.Q(user__isnull=True),
                name="customer_local_email_ci_unique",
            ),
        ]
        indexes = [models.Index(fields=["phone"], name="customer_phone_idx")]

    def __str__(self):
        return self.full_name or self.email or self.phone or f"Customer {self.pk}"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def has_account(self) -> bool:
        return self.user_id is not None


class GuestRecord(models.Model):
    """What one restaurant records about one guest: its staff's notes. Read and written only
    by that restaurant's staff and superusers; never shown to the guest or to another
    restaurant. At most one per (restaurant, guest)."""

    restaurant = models.ForeignKey(
        "restaurants.Restaurant", on_delete=models.CASCADE, related_name="guest_records"
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="restaurant_records"
    )
    notes = models.TextField(blank=True, help_text="Staff only: never shown to the guest.")
    created_at = models.DateTimeField(auto_now_add=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["restaurant", "customer"], name="guest_record_one_per_restaurant"
            ),
        ]

    def __str__(self):
        return f"{self.restaurant} about {self.customer}"
