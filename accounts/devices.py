"""A session's device named for people ("Chrome on Linux", "Safari on iPhone") from its user
agent, by ua-parser (the maintained port of the uap-core rules, with its Rust accelerator)."""

from functools import lru_cache

from ua_parser import parse

UNKNOWN = "Unknown device"

# uap-core's names, as people say them.
_BROWSERS = {"HeadlessChrome": "Headless Chrome", "Chrome Mobile WebView": "Android WebView"}
_SYSTEMS = {"Mac OS X": "macOS", "Chrome OS": "ChromeOS"}
# Apple's devices say more than their system ("iOS"); other phones' models rarely mean anything.
_NAMED_DEVICES = {"iPhone", "iPad", "iPod"}


def _browser(family: str) -> str:
    family = _BROWSERS.get(family, family)
    for word in (" Mobile iOS", " Mobile", " iOS", "Mobile "):
        family = family.replace(word, "")
    return family


@lru_cache(maxsize=1024)
def device_name(user_agent: str) -> str:
    user_agent = user_agent.strip()
    if not user_agent:
        return UNKNOWN
    parsed = parse(user_agent)
    browser = _browser(parsed.user_agent.family) if parsed.user_agent else ""
    system = ""
    if parsed.device and parsed.device.family in _NAMED_DEVICES:
        system = parsed.device.family
    elif parsed.os:
        system = _SYSTEMS.get(parsed.os.family, parsed.os.family)
    if browser and system:
        return f"{browser} on {system}"
    if browser or system:
        return browser or f"A browser on {system}"
    # An API client or a script: its first product token says what it is ("python-httpx").
    return user_agent.split("/", 1)[0].strip()[:60] or UNKNOWN
