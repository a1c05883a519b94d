"""The read-only engine: the rule model, the registry, the context a check reads, and the runner.

Nothing here writes outside devdoctor's own caches, and nothing here imports fixes/, logs/ or
cli/ (imports go cli -> fixes/logs -> core).
"""
