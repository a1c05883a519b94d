"""Native libraries (DD1xx): the ELF files that would load, the loader and glibc."""

from devdoctor.api import Family

FAMILY = Family("native", "Native libraries", "DD1")
