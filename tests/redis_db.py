"""Another database of the same Redis, for runs that must not touch each other's keys."""

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit


def with_redis_db(url: str, db: str) -> str:
    parts = urlsplit(url)
    if parts.scheme == "unix":
        query = dict(parse_qsl(parts.query))
        query["db"] = db
        # urlunsplit() would drop the empty host and leave "unix:/path", which redis-py refuses.
        return f"unix://{parts.path}?{urlencode(query)}"
    return urlunsplit(parts._replace(path=f"/{db}"))
