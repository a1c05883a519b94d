"""`fleet merge` over reports the real `check --format jsonl` wrote: grouping over folded node
names, silence as rows (missing, stale, unusable, duplicated), drift, every output format, and
bad input (one line, exit 2)."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import pytest
from fleetdata import as_node, fleet_of, write
from helpers import Runner
from hypothesis import given
from hypothesis import strategies as st

from devdoctor.fleet.nodes import expand, fold


def test_the_host_block_names_the_node_and_its_source(
    cli: Runner, reports: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    host = reports[0]["host"]
    assert host["node"] == "x" and host["node_source"] == "--node-name"
    assert datetime.datetime.fromisoformat(host["generated_at"].replace("Z", "+00:00"))
    ran = cli(
        "check", "DD510", "--format", "json", env={"SLURMD_NODENAME": "gpu07", "SLURM_JOB_ID": "42"}
    )
    doc = ran.json()
    assert doc["host"]["node"] == "gpu07" and doc["host"]["node_source"] == "SLURMD_NODENAME"
    assert doc["host"]["scheduler"] == {"kind": "slurm", "job_id": "42"}
    assert "results" in doc and doc["schema_version"] == 1  # additive to schema 1
    bad = cli("check", "DD510", "--format", "jsonl", "--node-name", "a;rm -rf /")
    assert bad.code == 2 and bad.err.count("\n") == 1 and "Traceback" not in bad.err


def test_three_of_64_grouped_with_folded_names(cli: Runner, tmp_path: Path, reports: Any) -> None:
    folder = write(tmp_path / "r", fleet_of(reports, 64, {"node03", "node17", "node42"}))
    ran = cli("fleet", "merge", str(folder), "--expect", "node[01-64]")
    assert ran.code == 1, ran.err
    lines = ran.out.splitlines()
    assert lines[0] == "64 reports: node[01-64]"
    assert "DD102 fail on node[03,17,42] (3/64)  stale-ld-preload" in lines
    assert "DD202 pass on all 64" in lines and "DD510 pass on all 64" in lines
    assert "DD102 pass on node[01-02,04-16,18-41,43-64] (61/64)" in lines
    assert lines[-1] == "exclude: --exclude=node[03,17,42]"
    hostlist = cli("fleet", "merge", str(folder), "--format", "hostlist")
    assert hostlist.out == "node[03,17,42]\n" and hostlist.code == 1


def test_all_pass_exits_zero(cli: Runner, tmp_path: Path, reports: Any) -> None:
    folder = write(tmp_path / "r", fleet_of(reports, 8, set()))
    ran = cli("fleet", "merge", str(folder), "--expect", "node[01-08]")
    assert ran.code == 0 and "exclude" not in ran.out
    assert cli("fleet", "merge", str(folder), "--format", "hostlist").out == ""


def test_silence_is_a_finding(cli: Runner, tmp_path: Path, reports: Any) -> None:
    """Missing, stale, unreadable and duplicated reports are rows of their own, exit 2."""
    fleet = fleet_of(reports, 6, set())
    del fleet["node04"]  # never reported
    old = datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=3)
    fleet["node02"]["host"]["generated_at"] = old.strftime("%Y-%m-%dT%H:%M:%SZ")
    folder = write(tmp_path / "r", fleet)
    (folder / "node05.json").write_text('{"results": [ truncated')  # died while writing
    (folder / "node06-again.json").write_text(json.dumps(fleet["node06"]))
    ran = cli("fleet", "merge", str(folder), "--expect", "node[01-06]", "--max-age", "30m")
    assert ran.code == 2, ran.out + ran.err
    assert "MISSING on node04 (1/6)  no report" in ran.out
    assert "STALE on node02  report 180 min old" in ran.out
    assert "UNUSABLE on node05" in ran.out and "not JSON" in ran.out
    assert "DUPLICATE on node06  2 reports; newest kept" in ran.out
    assert ran.out.splitlines()[-1] == "exclude: --exclude=node[02,04-05]"
    doc = cli(
        "fleet",
        "merge",
        str(folder),
        "--expect",
        "node[01-06]",
        "--max-age",
        "30m",
        "--format",
        "json",
    ).json()
    assert doc["nodes"]["missing"] == "node04" and doc["nodes"]["stale"] == "node02"
    assert doc["nodes"]["unusable"] == "node05" and doc["nodes"]["duplicated"] == "node06"
    assert doc["exclude"] == "node[02,04-05]"


def test_json_lines_from_stdin_with_clush_prefixes(cli: Runner, reports: Any) -> None:
    good, bad = reports
    lines = [
        "node01: " + json.dumps(as_node(good, "")),  # no node in the report: the prefix names it
        json.dumps(as_node(bad, "node02")),
        "node03: Traceback (most recent call last):",  # devdoctor itself broke there
    ]
    ran = cli(
        "fleet",
        "merge",
        "-",
        "--expect",
        "node[01-03]",
        "--format",
        "json",
        stdin="\n".join(lines) + "\n",
    )
    doc = ran.json()
    assert doc["nodes"]["reported"] == "node[01-02]", doc
    assert doc["nodes"]["unusable"] == "node03" and doc["nodes"]["missing"] == ""
    [fail] = [g for g in doc["groups"] if g["status"] == "fail"]
    assert (fail["code"], fail["nodes"], fail["count"]) == ("DD102", "node02", 1)
    assert fail["node_scope"] is True and fail["fix"]["applicability"] == "display-only"
    assert ran.code == 2


def test_drift_majority_against_outliers(cli: Runner, tmp_path: Path, reports: Any) -> None:
    fleet = fleet_of(reports, 10, set())
    for node in ("node09", "node10"):
        fleet[node]["target"]["glibc"] = "2.31"
    fleet["node05"]["devdoctor_version"] = "0.0.9"
    folder = write(tmp_path / "r", fleet)
    quiet = cli("fleet", "merge", str(folder))
    assert "drift in devdoctor_version, glibc (--drift shows majority and outliers)" in quiet.out
    ran = cli("fleet", "merge", str(folder), "--drift")
    glibc = reports[0]["target"]["glibc"]
    assert f"DRIFT glibc {glibc} on node[01-08]; 2.31 on node[09-10]" in ran.out
    assert "DRIFT devdoctor_version 0.1.0 on node[01-04,06-10]; 0.0.9 on node05" in ran.out
    doc = cli("fleet", "merge", str(folder), "--format", "json").json()
    [drift] = [d for d in doc["drift"] if d["fact"] == "glibc"]
    assert drift["majority"] == {"value": glibc, "nodes": "node[01-08]"}
    assert drift["outliers"] == [{"value": "2.31", "nodes": "node[09-10]"}]
    assert ran.code == 0  # drift is information, not a failure


def test_text_from_other_machines_is_made_safe(cli: Runner, tmp_path: Path, reports: Any) -> None:
    """Control characters never reach the terminal, HTML is escaped, tokens are scrubbed."""
    fleet = fleet_of(reports, 3, {"node02"})
    token = "hf_" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z"
    evil = f"\x1b]0;pwned\x07\x1b[31mred <script>alert(1)</script> {token}"
    for result in fleet["node02"]["results"]:
        if result["status"] == "fail":
            result["diagnostics"][0]["message"] = evil
    folder = write(tmp_path / "r", fleet)
    for fmt in ("text", "markdown", "json", "html"):
        out = cli("fleet", "merge", str(folder), "--format", fmt).out
        assert token not in out, fmt
        assert "\x1b" not in out and "\x07" not in out, fmt
    page = cli("fleet", "merge", str(folder), "--format", "html").out
    assert "<script>" not in page and "&lt;script&gt;" in page
    out_file = tmp_path / "fleet.html"
    ran = cli("fleet", "merge", str(folder), "--format", "html", "--output", str(out_file))
    assert ran.code == 1 and (out_file.stat().st_mode & 0o777) == 0o600
    assert token not in out_file.read_text()


def test_markdown_is_a_table(cli: Runner, tmp_path: Path, reports: Any) -> None:
    folder = write(tmp_path / "r", fleet_of(reports, 4, {"node04"}))
    out = cli("fleet", "merge", str(folder), "--format", "markdown").out
    assert "| fail | DD102 `stale-ld-preload` | `node04` | 1/4 |" in out
    assert out.rstrip().endswith("Exclude: `--exclude=node04`")


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--expect", "node[01-"], "is not a host list"),
        (["--max-age", "soon"], "--max-age 'soon'"),
        (["--format", "yaml"], "--format yaml"),
        (["--by", "colour"], "--by colour"),
        (["/no/such/folder"], "no such file or folder"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    cli: Runner, tmp_path: Path, args: list[str], says: str
) -> None:
    (tmp_path / "r").mkdir()
    ran = cli(
        "fleet", "merge", *(args if args[0].startswith("/") else [str(tmp_path / "r"), *args])
    )
    assert ran.code == 2 and says in ran.err, ran.err
    assert ran.err.count("\n") == 1 and "Traceback" not in ran.err


NAMES = st.lists(
    st.builds(
        lambda prefix, n, width: f"{prefix}{n:0{width}d}",
        st.sampled_from(["node", "gpu", "r1n", "r2n"]),
        st.integers(0, 300),
        st.integers(1, 3),
    ),
    min_size=1,
    max_size=40,
)


@given(NAMES)
def test_folding_round_trips(names: list[str]) -> None:
    assert sorted(expand(fold(names))) == sorted(set(names))


def test_a_stray_line_beside_a_report_is_a_note_not_silence(cli: Runner, reports: Any) -> None:
    """srun output of one task: a library's print, then the report (as fleet srun reads it)."""
    from devdoctor.fleet.srun import reassemble

    good, _ = reports
    text = "0: loading plugins...\n" + "".join(
        f"0: {piece}\n" for piece in _pieces(json.dumps(as_node(good, "node01")))
    )
    items = reassemble(text)
    assert [type(i).__name__ for i in items] == ["Unusable", "NodeReport"]
    assert items[0].node == "node01"  # the task's node, from its own report
    lines = [json.dumps(as_node(good, "node01")), "node01: loading plugins..."]
    ran = cli("fleet", "merge", "-", "--expect", "node01", stdin="\n".join(lines) + "\n")
    assert ran.code == 0, ran.out
    assert "STRAY on node01" in ran.out and "exclude" not in ran.out


def _pieces(line: str) -> list[str]:
    """As srun forwards a line: 1024-byte pieces."""
    return [line[i : i + 1024] for i in range(0, len(line), 1024)]


def test_many_passing_rules_are_counted_and_listed_with_v(
    cli: Runner, tmp_path: Path, reports: Any
) -> None:
    fleet = fleet_of(reports, 4, {"node02"})
    for report in fleet.values():  # more rules, as a full check has
        model = next(r for r in report["results"] if r["code"] == "DD510")
        report["results"] += [{**model, "code": f"DD59{i}"} for i in range(4)]
    folder = write(tmp_path / "r", fleet)
    ran = cli("fleet", "merge", str(folder))
    assert "6 rules pass on all 4; 1 pass on some nodes (-v lists them)" in ran.out, ran.out
    listed = cli("fleet", "merge", str(folder), "-v")
    assert (
        "DD593 pass on all 4" in listed.out and "DD102 pass on node[01,03-04] (3/4)" in listed.out
    )
