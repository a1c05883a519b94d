"""Recognising problems in output: the streaming scanner and `devdoctor run`'s relay."""
