"""What each project role may do. A role includes every role before it in ROLE_ORDER."""

from .models import Membership

Role = Membership.Role

ROLE_ORDER = [Role.MEMBER, Role.RESEARCHER, Role.TRUSTED_RESEARCHER, Role.MODERATOR]


def role_includes(*, role: str, wanted: str) -> bool:
    """Whether `role` may do what `wanted` may."""
    return ROLE_ORDER.index(Role(role)) >= ROLE_ORDER.index(Role(wanted))
