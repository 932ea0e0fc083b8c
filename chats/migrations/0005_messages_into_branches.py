"""Turn the linear history into a tree: each message follows the one created before it in its
chat, except a reply, which follows the question it answers (so a regenerated reply and the
one it replaced become siblings). Each chat shows the branch of its newest message."""

from django.db import migrations

FORWARD = """
UPDATE chats_chatmessage AS m
SET parent_id = COALESCE(
    CASE WHEN m.role = 'assistant' THEN m.reply_to_id END,
    earlier.previous_id
)
FROM (
    SELECT id, LAG(id) OVER (PARTITION BY chat_id ORDER BY id) AS previous_id
    FROM chats_chatmessage
) AS earlier
WHERE earlier.id = m.id;

UPDATE chats_chatsession AS c
SET active_leaf_id = (SELECT max(m.id) FROM chats_chatmessage AS m WHERE m.chat_id = c.id);
"""

# Back to reply_to and superseded: a reply answers its parent question, and is superseded when
# a later reply to the same question exists.
BACKWARD = """
UPDATE chats_chatmessage AS m
SET reply_to_id = m.parent_id
WHERE m.role = 'assistant'
  AND EXISTS (SELECT 1 FROM chats_chatmessage AS q WHERE q.id = m.parent_id AND q.role = 'user');

UPDATE chats_chatmessage AS m
SET superseded = EXISTS (
    SELECT 1 FROM chats_chatmessage AS later
    WHERE later.reply_to_id = m.reply_to_id AND later.role = 'assistant' AND later.id > m.id
)
WHERE m.role = 'assistant' AND m.reply_to_id IS NOT NULL;
"""


class Migration(migrations.Migration):
    dependencies = [("chats", "0004_branches")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
