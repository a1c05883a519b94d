"""devdoctor: a doctor for Python/ML developer machines."""

__version__ = "0.1.0"
