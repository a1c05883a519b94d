"""The ownership rules of `fleet healthcheck` (LBNL NHC's): what it does to a node for each
verdict and each drain reason or comment already there."""

from __future__ import annotations

import pytest

from devdoctor.fleet.healthcheck import NodeState, Verdict, actions

UPDATE = ["scontrol", "update", "nodename=n1"]
OURS = "devdoctor: DD102 stale-ld-preload"


@pytest.mark.parametrize(
    ("reason", "comment", "verdict", "expected"),
    [
        (
            "",
            "",
            Verdict(failing=["DD102 stale-ld-preload"]),
            [[*UPDATE, "state=drain", f"reason={OURS}"]],
        ),
        ("admin: bad DIMM", "", Verdict(failing=["DD102 stale-ld-preload"]), []),
        (OURS, "", Verdict(failing=["DD102 stale-ld-preload"]), []),
        (
            "devdoctor: DD202 hf-endpoint-malformed",
            "",
            Verdict(failing=["DD102 stale-ld-preload", "DD202 hf-endpoint-malformed"]),
            [[*UPDATE, "state=drain", f"reason={OURS}, +1 more"]],
        ),
        (OURS, "", Verdict(), [[*UPDATE, "state=resume"]]),
        ("admin: bad DIMM", "", Verdict(), []),
        (
            "",
            "",
            Verdict(warning=["DD405 shm-too-small"]),
            [[*UPDATE, "comment=devdoctor: DD405 shm-too-small"]],
        ),
        ("", "devdoctor: DD405 shm-too-small", Verdict(), [[*UPDATE, "comment="]]),
        ("", "rack 4, ticket 99", Verdict(warning=["DD405 shm-too-small"]), []),
        (
            OURS,
            "",
            Verdict(error="devdoctor check did not finish in 40 s"),
            [
                [
                    *UPDATE,
                    "comment=devdoctor: healthcheck error: devdoctor check did not finish in 40 s",
                ]
            ],
        ),
        ("", "rack 4", Verdict(error="crashed"), []),
    ],
)
def test_only_our_own_marks_are_touched(
    reason: str, comment: str, verdict: Verdict, expected: list[list[str]]
) -> None:
    assert actions("n1", NodeState(reason, comment), verdict) == expected
