from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models
from django.utils.translation import gettext_lazy as _


def normalise_email(email: str) -> str:
    """The one normalisation of e-mail addresses, for logins and data subjects alike
    (DESIGN.md: trimmed, lower-cased), so uniqueness is case-insensitive."""
    return email.strip().lower()


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra_fields) -> "User":
        if not email:
            raise ValueError("A login needs an e-mail address")
        user = self.model(email=normalise_email(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra_fields) -> "User":
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email: str, password: str | None = None, **extra_fields) -> "User":
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    """A login (customer or staff). Not a data subject: a customer's login may link to one."""

    username = None
    # Stored lower-cased (the manager and allauth normalise), so `unique` is case-insensitive.
    email = models.EmailField(_("e-mail address"), unique=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("login")
        verbose_name_plural = _("logins")

    def __str__(self) -> str:
        return f"Login #{self.pk}"


class LoginSession(AbstractBaseSession):
    """A session, keyed also by the login it belongs to (Django's "extending database-backed
    session engines"), so erasing a person, or off-boarding a staff member, ends their sessions
    with one set-based DELETE by login instead of decoding every session in the table.

    `user` is filled from the session's own `_auth_user_id` each time it is saved
    (velux_privacy.sessions.SessionStore); anonymous sessions have none.
    """

    user = models.ForeignKey(
        User,
        verbose_name=_("login"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="sessions",
    )

    class Meta(AbstractBaseSession.Meta):
        verbose_name = _("session")
        verbose_name_plural = _("sessions")

    @classmethod
    def get_session_store_class(cls):
        from velux_privacy.sessions import SessionStore

        return SessionStore

    def __str__(self) -> str:
        # Never the key: whoever holds it is signed in.
        return "Session"
