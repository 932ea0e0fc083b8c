"""Static files with content hashes in their names, imports between ES modules included."""

from servestatic.storage import CompressedManifestStaticFilesStorage  # type: ignore[import-untyped]


class HashedStaticFiles(CompressedManifestStaticFilesStorage):
    # Without this, a page loads `live.<hash>.js` while chat.js imports `./live.js`: two copies
    # of one module, so two sockets per tab and every toast shown twice.
    support_js_module_import_aggregation = True
