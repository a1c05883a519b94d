"""Git repository (DD3xx): history, locks, what is staged."""

from devdoctor.api import Family

FAMILY = Family("git", "Git repository", "DD3")
