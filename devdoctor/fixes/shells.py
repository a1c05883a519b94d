"""Shell code that sets environment variables on activate and restores them on deactivate.

Each dialect renders three things from the same list of changes: the lines that save the old
value and set the new one, and the lines that put the old value back. What devdoctor manages is
also written as a JSON comment, so a later run can read it back without parsing shell.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from devdoctor.core.fix import EnvChange, EnvOp

BEGIN = "# >>> devdoctor >>>"
END = "# <<< devdoctor <<<"
META = "# devdoctor-env: "
NOTE = "# Added by `devdoctor fix`; `devdoctor undo` removes it."


def dump_meta(changes: Sequence[EnvChange]) -> str:
    items = [{"name": c.name, "op": c.op.value, "value": c.value} for c in changes]
    return META + json.dumps(items, separators=(",", ":"))


def load_meta(text: str) -> list[EnvChange]:
    match = re.search(r"^" + re.escape(META) + r"(.*)$", text, re.MULTILINE)
    if not match:
        return []
    try:
        items = json.loads(match.group(1))
        return [EnvChange(i["name"], i["value"], EnvOp(i["op"])) for i in items]
    except (ValueError, KeyError, TypeError):
        return []


def _sh_quote(value: str) -> str:
    return "'" + value.replace("'", "'\\''") + "'"


def _fish_quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _csh_quote(value: str) -> str:
    if any(ch in value for ch in "'\n!"):
        raise ValueError(f"csh cannot safely hold the value {value!r}")
    return f"'{value}'"


def _saved(name: str) -> str:
    return f"_DEVDOCTOR_SAVED_{name}"


# --- sh (bash, zsh, dash) ---------------------------------------------------------------


def sh_set(changes: Sequence[EnvChange], save: bool = True) -> list[str]:
    lines = []
    for c in changes:
        if save:  # "set:<old value>" or "unset"
            lines.append(f'{_saved(c.name)}="${{{c.name}+set:}}${{{c.name}-unset}}"')
        value = _sh_quote(c.value)
        if c.op is EnvOp.SET:
            lines.append(f"export {c.name}={value}")
        elif c.op is EnvOp.PREPEND:
            lines.append(f'export {c.name}={value}"${{{c.name}:+:${c.name}}}"')
        else:
            lines.append(f"unset {c.name}")
    return lines


def sh_restore(changes: Sequence[EnvChange]) -> list[str]:
    lines = []
    for c in changes:
        saved = _saved(c.name)
        lines += [
            f'if [ -n "${{{saved}:-}}" ] ; then',
            f'    case "${saved}" in',
            f'        set:*) export {c.name}="${{{saved}#set:}}" ;;',
            f"        *) unset {c.name} ;;",
            "    esac",
            f"    unset {saved}",
            "fi",
        ]
    return lines


# --- fish ---------------------------------------------------------------------------------


def fish_set(changes: Sequence[EnvChange], save: bool = True) -> list[str]:
    lines = []
    for c in changes:
        if save:
            lines.append(
                f'if set -q {c.name}; set -gx {_saved(c.name)} "set:${c.name}"; '
                f"else; set -gx {_saved(c.name)} unset; end"
            )
        value = _fish_quote(c.value)
        if c.op is EnvOp.SET:
            lines.append(f"set -gx {c.name} {value}")
        elif c.op is EnvOp.PREPEND:
            lines.append(
                f'if set -q {c.name}; and test -n "${c.name}"; '
                f'set -gx {c.name} {value}":${c.name}"; else; set -gx {c.name} {value}; end'
            )
        else:
            lines.append(f"set -e {c.name}")
    return lines


def fish_restore(changes: Sequence[EnvChange]) -> list[str]:
    lines = []
    for c in changes:
        saved = _saved(c.name)
        lines += [
            f"if set -q {saved}",
            f"    if string match -q 'set:*' -- \"${saved}\"",
            f'        set -gx {c.name} (string sub -s 5 -- "${saved}")',
            "    else",
            f"        set -e {c.name}",
            "    end",
            f"    set -e {saved}",
            "end",
        ]
    return lines


# --- csh / tcsh ---------------------------------------------------------------------------
# csh has no parameter expansion to lean on: the old value and "was unset" use two variables.


def csh_set(changes: Sequence[EnvChange], save: bool = True) -> list[str]:
    lines = []
    for c in changes:
        old, unset = f"_DEVDOCTOR_OLD_{c.name}", f"_DEVDOCTOR_UNSET_{c.name}"
        if save:
            lines += [
                f"if ($?{c.name}) then",
                f'    set {old}="${c.name}"',
                "else",
                f"    set {unset}=1",
                "endif",
            ]
        value = _csh_quote(c.value)
        if c.op is EnvOp.SET:
            lines.append(f"setenv {c.name} {value}")
        elif c.op is EnvOp.PREPEND:
            lines += [
                f"if ($?{c.name}) then",
                f'    if ("${c.name}" != "") then',
                f'        setenv {c.name} {value}":${c.name}"',
                "    else",
                f"        setenv {c.name} {value}",
                "    endif",
                "else",
                f"    setenv {c.name} {value}",
                "endif",
            ]
        else:
            lines.append(f"unsetenv {c.name}")
    return lines


def csh_restore_inline(changes: Sequence[EnvChange]) -> str:
    """Commands for the inside of csh's single-quoted `alias deactivate '...'` (venv's style)."""
    parts = []
    for c in changes:
        old, unset = f"_DEVDOCTOR_OLD_{c.name}", f"_DEVDOCTOR_UNSET_{c.name}"
        parts.append(
            f'test $?{old} != 0 && setenv {c.name} "${old}" && unset {old}; '
            f"test $?{unset} != 0 && unsetenv {c.name} && unset {unset}; "
        )
    return "".join(parts)


def block(
    lines: Sequence[str], changes: Sequence[EnvChange], indent: str = "", meta: bool = True
) -> str:
    """A marked block; the JSON comment goes in the block that holds the set lines."""
    head = [BEGIN, NOTE] + ([dump_meta(changes)] if meta else [])
    return "".join(f"{indent}{line}\n" for line in [*head, *lines, END])


BLOCK_RE = re.compile(
    r"^[ \t]*" + re.escape(BEGIN) + r"\n.*?^[ \t]*" + re.escape(END) + r"\n",
    re.MULTILINE | re.DOTALL,
)


def strip_blocks(text: str) -> str:
    return BLOCK_RE.sub("", text)
