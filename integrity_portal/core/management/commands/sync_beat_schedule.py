"""``manage.py sync_beat_schedule``: create the missing default periodic tasks, never change existing ones.

``migrate`` already does this (post_migrate); the command is for an operator who deleted a default
entry in the admin and wants it back without a migrate.
"""

from django.core.management.base import BaseCommand

from integrity_portal.core.beat import beat_schedule_sync


class Command(BaseCommand):
    help = "Create the default periodic tasks that are missing (existing ones, edited or not, are kept)."

    def add_arguments(self, parser):
        parser.add_argument("--database", default="default")

    def handle(self, *args, database: str = "default", **options):
        created = beat_schedule_sync(using=database)
        self.stdout.write(f"periodic tasks created: {len(created)}" + (f" ({', '.join(created)})" if created else ""))
