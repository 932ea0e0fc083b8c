"""The reply queue: each reply is a job that a worker process writes, taken over if it dies."""

from procrastinate import JobContext, RetryStrategy
from procrastinate.contrib.django import app

from chats import generation
from chats.models import ChatMessage
from onyx_site.jobs import queue_job

REPLY_QUEUE = "replies"


# A worker stopped with SIGTERM hands its unfinished replies back (the task is cancelled); the
# retry puts the job straight back in the queue for another worker. Provider and other errors
# never reach the engine: they end the reply as failed, with a reason.
@app.task(
    name="chats.write_reply",
    queue=REPLY_QUEUE,
    pass_context=True,
    retry=RetryStrategy(max_attempts=generation.MAX_ATTEMPTS),
)
async def write_reply(context: JobContext, owner_id: int, reply_id: int) -> None:
    await generation.write_reply(owner_id, reply_id, attempt=context.job.attempts)


def queue_reply(reply: ChatMessage) -> None:
    """Queue the writing of a reply, in the transaction that created it."""
    reply.job_id = queue_job(
        write_reply,
        on=ChatMessage.objects.for_user(reply.owner).filter(pk=reply.pk),
        owner_id=reply.owner_id,
        reply_id=reply.pk,
    )
