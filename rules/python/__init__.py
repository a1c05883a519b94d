"""Python environment (DD5xx): interpreter, packages and paths agree."""

from devdoctor.api import Family

FAMILY = Family("python", "Python environment", "DD5")
