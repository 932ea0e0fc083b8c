"""chat_owner_updated: chat_list_order serves every query that read it, and each message sent
updated both. Dropped concurrently, so sending messages goes on meanwhile."""

from django.contrib.postgres.operations import RemoveIndexConcurrently
from django.db import migrations


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("chats", "0010_chat_list_order")]

    operations = [
        RemoveIndexConcurrently(model_name="chatsession", name="chat_owner_updated"),
    ]
