"""devdoctor's rule catalogue, one folder per family (installed as devdoctor.rules).

Each folder's `__init__.py` declares its FAMILY; its rule modules are found by the registry,
never imported by name.
"""
