"""Recognise known problems in error output, line by line, with the rules' log signatures."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import IO

from devdoctor.rule import Rule, Signature


@dataclass
class Match:
    rule: Rule
    signature: Signature
    facts: dict[str, str]
    source: str
    first_line: int
    count: int = 1

    @property
    def message(self) -> str:
        try:
            return self.signature.message.format(**self.facts)
        except (KeyError, IndexError, ValueError):
            return self.signature.message


def read_lines(stream: IO[bytes]) -> Iterator[str]:
    """Lines as text whatever the bytes; ANSI colours and carriage returns stripped."""
    for raw in stream:
        text = raw.decode("utf-8", "replace")
        yield ANSI.sub("", text).rstrip("\r\n").rsplit("\r", 1)[-1]


ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")


def scan(sources: Iterable[tuple[str, Iterable[str]]], rules: Sequence[Rule]) -> list[Match]:
    """Each distinct problem once: first place seen, how often."""
    compiled = [(rule, sig, sig.compiled()) for rule in rules for sig in rule.signatures]
    found: dict[tuple[str, tuple[tuple[str, str], ...]], Match] = {}
    for source, lines in sources:
        for number, line in enumerate(lines, 1):
            for rule, sig, regex in compiled:
                hit = regex.search(line)
                if hit is None:
                    continue
                facts = {k: v for k, v in hit.groupdict().items() if v is not None}
                key = (rule.code, tuple(sorted(facts.items())))
                if key in found:
                    found[key].count += 1
                else:
                    found[key] = Match(rule, sig, facts, source, number)
    return list(found.values())
