"""DRF's JSON parser, bounded: it reads the whole body whatever its size (Django's
DATA_UPLOAD_MAX_MEMORY_SIZE does not apply to it) and recurses once per nesting level."""

import json
from typing import Any

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.utils.json import strict_constant

from onyx_site.api_errors import PayloadTooLarge


class BoundedJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        limit = settings.ONYX_MAX_REQUEST_BYTES
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise PayloadTooLarge(f"A request body can be at most {limit // 1024:,} KB.")
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            return json.loads(raw.decode(encoding), parse_constant=strict_constant)
        except RecursionError as exc:
            raise ParseError("The JSON is nested too deeply.") from exc
        except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
            raise ParseError(f"The body is not valid JSON: {exc}") from exc
