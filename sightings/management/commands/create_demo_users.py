from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandError

from sightings import roles

DEMO_USERS = [
    ("angler", (), False),
    ("moderator", (roles.MODERATORS,), True),
    ("researcher", (roles.RESEARCHERS,), False),
]


class Command(BaseCommand):
    help = "Create demo accounts (angler, moderator, researcher) for a local try-out. Refused unless DEBUG."

    def add_arguments(self, parser):
        parser.add_argument(
            "--password", default="catch-and-release", help="The password of every demo account."
        )

    def handle(self, *args, password, **options):
        if not settings.DEBUG:
            raise CommandError("Demo accounts are only for a local DEBUG set-up.")
        for username, groups, staff in DEMO_USERS:
            user, created = User.objects.get_or_create(username=username)
            if created:
                user.set_password(password)
            user.is_staff = staff
            user.save()
            user.groups.set(Group.objects.filter(name__in=groups))
            state = "created" if created else "kept"
            self.stdout.write(f"{state}: {username}" + (f" / {password}" if created else ""))
