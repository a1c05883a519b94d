"""GPU and CUDA (DD4xx): driver, torch build and machine agree."""

from devdoctor.api import Family

FAMILY = Family("gpu", "GPU and CUDA", "DD4")
