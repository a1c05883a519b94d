"""Hugging Face Hub (DD2xx): endpoint, mirrors, tokens, caches, transfers."""

from devdoctor.api import Family

FAMILY = Family("hf", "Hugging Face Hub", "DD2")
