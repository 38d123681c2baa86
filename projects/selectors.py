import copy
import threading
import time

from django.conf import settings
from django.db.models import Case, Exists, OuterRef, Q, QuerySet, When

from .models import Membership, Project
from .roles import role_includes

DEFAULT_PROJECT_NAME = "Fish"


def project_default() -> Project:
    """The project of submissions that name none, and of everything made before projects existed."""
    project, _ = Project.objects.get_or_create(
        slug=settings.DEFAULT_PROJECT_SLUG,
        defaults={"name": DEFAULT_PROJECT_NAME, "negative_name": "not a fish"},
    )
    return project


def project_for_submission(*, slug: str | None, user_id: int | None) -> Project | None:
    """The project of this slug (blank: the default one, made when missing), with `is_member` (the
    user is a member of this members-only project; False for an open one) and `has_regions` (it
    records in listed regions only).

    The project is read at most every PROJECT_CACHE_SECONDS per process (see `projects_forget`);
    membership is asked only of a members-only project, in one query.
    """
    slug = slug or settings.DEFAULT_PROJECT_SLUG
    project = _submission_project(slug=slug)
    if project is None:
        return None
    project = copy.copy(project)
    project.is_member = not project.open_to_all and (  # type: ignore[attr-defined]
        user_id is not None and Membership.objects.filter(project=project, user_id=user_id).exists()
    )
    return project


_projects: dict[str, tuple[float, Project]] = {}
_projects_lock = threading.Lock()


def projects_forget() -> None:
    """Drop this process's copies of projects (a project or its regions changed)."""
    with _projects_lock:
        _projects.clear()


def _submission_project(*, slug: str) -> Project | None:
    now = time.monotonic()
    cached = _projects.get(slug)
    if cached is not None and now - cached[0] < settings.PROJECT_CACHE_SECONDS:
        return cached[1]
    queryset = Project.objects.filter(slug=slug).annotate(
        has_regions=Exists(Project.regions.through.objects.filter(project_id=OuterRef("pk")))
    )
    project = queryset.first()
    if project is None and slug == settings.DEFAULT_PROJECT_SLUG:
        project_default()
        project = queryset.first()
    if project is not None:
        with _projects_lock:
            _projects[slug] = (now, project)
    return project


def project_get(*, slug: str) -> Project | None:
    return Project.objects.filter(slug=slug).first()


ROLES_CACHE = "_project_roles"


def user_project_roles(*, user) -> dict[int, str]:
    """Project id to the user's role there, read once per user object (a request's user)."""
    if not user.is_authenticated:
        return {}
    roles = getattr(user, ROLES_CACHE, None)
    if roles is None:
        roles = dict(Membership.objects.filter(user_id=user.pk).values_list("project_id", "role"))
        setattr(user, ROLES_CACHE, roles)
    return roles


def project_ids_with_role(*, roles: dict[int, str], wanted: str) -> frozenset[int]:
    """The projects where a user with `roles` (see user_project_roles) may do what `wanted` may."""
    return frozenset(
        project_id for project_id, role in roles.items() if role_includes(role=role, wanted=wanted)
    )


def projects_listed_for(*, user) -> QuerySet[Project]:
    """The projects a user may submit to, and those they belong to (archived ones included)."""
    user_id = user.pk if user.is_authenticated else None
    open_ids = projects_open_to(user_id=user_id).values("pk")
    member = Q(memberships__user_id=user_id) if user_id is not None else Q(pk__in=[])
    return Project.objects.filter(Q(pk__in=open_ids) | member).distinct().order_by("name")


def projects_open_to(*, user_id: int | None) -> QuerySet[Project]:
    """The projects this user may submit to, default project first."""
    member = Q(memberships__user_id=user_id) if user_id is not None else Q(pk__in=[])
    default_first = Case(When(slug=settings.DEFAULT_PROJECT_SLUG, then=0), default=1)
    return (
        Project.objects.filter(Q(open_to_all=True) | member, accepts_submissions=True)
        .distinct()
        .order_by(default_first, "name")
    )
