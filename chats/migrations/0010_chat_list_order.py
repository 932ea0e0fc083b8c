"""The index the sidebar and the API's chat list read their order from. Built concurrently, so
sending messages (which updates chats) goes on while it is built on a large table."""

from django.conf import settings
from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("chats", "0009_shown_branch_function"),
        ("files", "0002_userfile_job_id"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="chatsession",
            index=models.Index(
                fields=["owner", "archived", "-pinned", "-updated_at", "-id"],
                name="chat_list_order",
            ),
        ),
    ]
