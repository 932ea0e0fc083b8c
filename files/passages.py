"""A passage of one of the user's files, offered to the AI as context for an answer."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Passage:
    file_id: int
    file_name: str
    text: str
    chunk_index: int  # where in the file: its FileChunk.index
