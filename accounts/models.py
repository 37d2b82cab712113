"""The login account: what every app may need to know about a person who signs in.

Accounts are kept apart from guest profiles (customers): staff members and guests both sign in
with one, and a guest's profile at a restaurant links to it when the guest has registered.
"""

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.account_cache import account_forget
from accounts.emails import normalize_email


class UserQuerySet(models.QuerySet):
    def delete(self):
        """Delete the accounts and forget their cached copies (User.delete's duty, which a
        queryset's delete, the admin's "delete selected" among them, never calls)."""
        pks = list(self.values_list("pk", flat=True))
        result = super().delete()
        for pk in pks:
            account_forget(pk)
        transaction.on_commit(lambda: [account_forget(pk) for pk in pks], robust=True)
        return result

    delete.alters_data = True
    delete.queryset_only = True


class UserManager(BaseUserManager):
    use_in_migrations = True

    def get_queryset(self):
        return UserQuerySet(self.model, using=self._db)

    def normalize_email(self, email):
        return normalize_email(email)

    def get_by_natural_key(self, username):
        # Stored e-mails are normalized, so the login compares normalized to normalized,
        # exactly: a case-insensitive match in SQL would also let Unicode look-alikes that
        # upper-case to the same letters (U+017F long s, U+0131 dotless i) sign in as the
        # account, each spelling counted apart by the sign-in limits.
        return self.get(email=self.normalize_email(username))

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=self.normalize_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """An account that logs in by email (stored lower-case, unique without regard to case)."""

    email = models.EmailField(max_length=254, unique=True)
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="May log in to the admin site.")
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self):
        return self.email

    def clean(self):
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email)

    # The API's authentication keeps a copy of the account in the cache
    # (accounts.authentication): every save or deletion forgets it now and again once the
    # transaction commits, so a deactivation or a new password stops the next request.
    # The account it rebuilds from that copy holds a few fields only: saved, it would write
    # them back as they were cached (a deactivation undone), so it is never saved.
    def save(self, *args, **kwargs):
        if getattr(self, "from_account_cache", False):
            raise TypeError(
                "An account rebuilt from the authentication cache is partial and is never"
                " saved: read it from the database to change it."
            )
        super().save(*args, **kwargs)
        self._forget_cached()

    def delete(self, *args, **kwargs):
        pk = self.pk
        result = super().delete(*args, **kwargs)
        self._forget_cached(pk)
        return result

    def _forget_cached(self, pk=None) -> None:
        pk = self.pk if pk is None else pk
        account_forget(pk)
        transaction.on_commit(lambda: account_forget(pk), robust=True)
