"""What the dynamic loader reads from a shared object: DT_NEEDED, SONAME, RUNPATH/RPATH, the
symbol versions it needs (VERNEED) and defines (VERDEF), its undefined symbols, and whether it
exports a given symbol (through its GNU hash table, as ld.so looks it up).

The file is memory-mapped, not read: libtorch_cpu.so is hundreds of MB and only its dynamic
table, version tables and the few symbols asked about are touched. Offsets and sizes come from
the file itself, so every read is bounds-checked; anything malformed is `Unreadable`.
"""

from __future__ import annotations

import mmap
import os
import struct
from collections.abc import Callable, Iterable
from typing import NamedTuple

from ._elf import PT_DYNAMIC, Unreadable, _file_offset, _Layout, _layout

DT_NEEDED, DT_HASH, DT_STRTAB, DT_SYMTAB, DT_STRSZ = 1, 4, 5, 6, 10
DT_SONAME, DT_RPATH, DT_RUNPATH = 14, 15, 29
DT_GNU_HASH, DT_VERSYM = 0x6FFFFEF5, 0x6FFFFFF0
DT_VERDEF, DT_VERDEFNUM, DT_VERNEED, DT_VERNEEDNUM = 0x6FFFFFFC, 0x6FFFFFFD, 0x6FFFFFFE, 0x6FFFFFFF
VER_FLG_BASE = 1
STB_WEAK = 2
MAX_ENTRIES = 1 << 16  # version entries, needed libraries: no real object comes near


class DynamicInfo(NamedTuple):
    machine: str
    bits: int
    soname: str = ""
    needed: tuple[str, ...] = ()
    rpath: tuple[str, ...] = ()
    runpath: tuple[str, ...] = ()
    needs_versions: dict[str, tuple[str, ...]] = {}  # noqa: RUF012 -- file -> versions; never mutated
    defines_versions: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, object]:
        return {
            "machine": self.machine,
            "bits": self.bits,
            "soname": self.soname,
            "needed": list(self.needed),
            "rpath": list(self.rpath),
            "runpath": list(self.runpath),
            "needs_versions": {k: list(v) for k, v in self.needs_versions.items()},
            "defines_versions": list(self.defines_versions),
        }

    @classmethod
    def from_dict(cls, d: dict[str, object]) -> DynamicInfo:
        needs = d["needs_versions"]
        assert isinstance(needs, dict)
        return cls(
            str(d["machine"]),
            int(d["bits"]),  # type: ignore[call-overload]
            str(d["soname"]),
            tuple(d["needed"]),  # type: ignore[arg-type]
            tuple(d["rpath"]),  # type: ignore[arg-type]
            tuple(d["runpath"]),  # type: ignore[arg-type]
            {str(k): tuple(v) for k, v in needs.items()},
            tuple(d["defines_versions"]),  # type: ignore[arg-type]
        )


class _Object:
    """An open, mapped ELF object and its dynamic table."""

    def __init__(self, path: str) -> None:
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError as exc:
            raise Unreadable(exc.strerror or str(exc)) from None
        try:
            with os.fdopen(fd, "rb", closefd=False) as f:
                self.layout: _Layout = _layout(f)
            size = os.fstat(fd).st_size
            self.map = mmap.mmap(fd, size, prot=mmap.PROT_READ) if size else b""
        except (OSError, ValueError, struct.error) as exc:
            raise Unreadable(f"malformed ELF: {exc}") from None
        finally:
            os.close(fd)
        self.end = self.layout.end
        self.wide = self.layout.bits == 64
        self.tags = self._tags()
        first = {tag: value for tag, value in reversed(self.tags)}
        self.first = first
        self.strtab = self._offset(first.get(DT_STRTAB, 0)) if DT_STRTAB in first else None
        self.strsz = first.get(DT_STRSZ, 0)

    def close(self) -> None:
        if isinstance(self.map, mmap.mmap):
            self.map.close()

    def __enter__(self) -> _Object:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def unpack(self, fmt: str, offset: int) -> tuple[int, ...]:
        size = struct.calcsize(self.end + fmt)
        if offset < 0 or offset + size > len(self.map):
            raise Unreadable("malformed ELF: a table runs past the end of the file")
        return struct.unpack_from(self.end + fmt, self.map, offset)

    def _offset(self, vaddr: int) -> int:
        offset = _file_offset(self.layout, vaddr)
        if offset is None:
            raise Unreadable("malformed ELF: an address outside any loaded segment")
        return offset

    def _tags(self) -> list[tuple[int, int]]:
        seg = next((s for s in self.layout.segments if s[0] == PT_DYNAMIC), None)
        if seg is None:
            return []
        fmt, size = ("qQ", 16) if self.wide else ("iI", 8)
        tags = []
        for n in range(min(seg[3] // size, MAX_ENTRIES)):
            tag, value = self.unpack(fmt, seg[1] + n * size)
            if tag == 0:
                break
            tags.append((tag, value))
        return tags

    def string(self, index: int) -> str:
        if self.strtab is None or not 0 <= index < self.strsz:
            raise Unreadable("malformed ELF: a name outside the string table")
        start = self.strtab + index
        end = self.map.find(b"\0", start, self.strtab + self.strsz)
        if end < 0:
            raise Unreadable("malformed ELF: an unterminated name")
        return bytes(self.map[start:end]).decode("utf-8", "replace")

    def strings(self, tag: int) -> tuple[str, ...]:
        return tuple(self.string(value) for t, value in self.tags if t == tag)

    def needs_versions(self) -> dict[str, tuple[str, ...]]:
        needs: dict[str, list[str]] = {}
        if DT_VERNEED not in self.first:
            return {}
        at = self._offset(self.first[DT_VERNEED])
        for _ in range(min(self.first.get(DT_VERNEEDNUM, 0), MAX_ENTRIES)):
            _, count, file, aux, nxt = self.unpack("HHIII", at)
            versions = needs.setdefault(self.string(file), [])
            aux_at = at + aux
            for _ in range(min(count, MAX_ENTRIES)):
                _, _, _, name, aux_next = self.unpack("IHHII", aux_at)
                versions.append(self.string(name))
                if not aux_next:
                    break
                aux_at += aux_next
            if not nxt:
                break
            at += nxt
        return {k: tuple(v) for k, v in needs.items()}

    def defines_versions(self) -> tuple[str, ...]:
        names: list[str] = []
        if DT_VERDEF not in self.first:
            return ()
        at = self._offset(self.first[DT_VERDEF])
        for _ in range(min(self.first.get(DT_VERDEFNUM, 0), MAX_ENTRIES)):
            _, flags, _, count, _, aux, nxt = self.unpack("HHHHIII", at)
            if count and not flags & VER_FLG_BASE:
                (name, _) = self.unpack("II", at + aux)
                names.append(self.string(name))
            if not nxt:
                break
            at += nxt
        return tuple(names)

    def info(self) -> DynamicInfo:
        def paths(tag: int) -> tuple[str, ...]:
            return tuple(p for value in self.strings(tag) for p in value.split(":") if p)

        soname = self.strings(DT_SONAME)
        return DynamicInfo(
            machine=self.layout.machine,
            bits=self.layout.bits,
            soname=soname[0] if soname else "",
            needed=self.strings(DT_NEEDED),
            rpath=paths(DT_RPATH),
            runpath=paths(DT_RUNPATH),
            needs_versions=self.needs_versions(),
            defines_versions=self.defines_versions(),
        )

    # --- symbols --------------------------------------------------------------------------

    def _symbol(self, at: int) -> tuple[int, int, int]:
        """(name index, binding, section index) of the symbol entry at `at`."""
        if self.wide:
            name, info, _, shndx = self.unpack("IBBH", at)
        else:
            name, _, _, info, _, shndx = self.unpack("IIIBBH", at)
        return name, info >> 4, shndx

    def _symbol_count(self) -> int:
        if DT_HASH in self.first:
            return self.unpack("II", self._offset(self.first[DT_HASH]))[1]
        if DT_GNU_HASH not in self.first:
            return 0
        at = self._offset(self.first[DT_GNU_HASH])
        nbuckets, symoffset, bloom_size, _ = self.unpack("IIII", at)
        buckets = at + 16 + bloom_size * (8 if self.wide else 4)
        last = max(
            (self.unpack("I", buckets + 4 * i)[0] for i in range(min(nbuckets, 1 << 22))),
            default=0,
        )
        if last < symoffset:
            return symoffset
        chain = buckets + 4 * nbuckets
        while not self.unpack("I", chain + 4 * (last - symoffset))[0] & 1:
            last += 1
        return last + 1

    def undefined(self, wanted: Callable[[str], bool]) -> list[str]:
        """Undefined, non-weak symbols whose names `wanted` accepts: what must be found."""
        if DT_SYMTAB not in self.first:
            return []
        table = self._offset(self.first[DT_SYMTAB])
        size = 24 if self.wide else 16
        found = []
        for n in range(1, min(self._symbol_count(), 1 << 24)):
            name, binding, shndx = self._symbol(table + n * size)
            if shndx == 0 and name and binding != STB_WEAK:
                text = self.string(name)
                if wanted(text):
                    found.append(text)
        return found

    def exports(self, names: Iterable[str]) -> set[str]:
        """Which of `names` this object defines, looked up as ld.so does (GNU hash)."""
        if DT_GNU_HASH not in self.first or DT_SYMTAB not in self.first:
            wanted = set(names)
            return {n for n in self._defined() if n in wanted}
        at = self._offset(self.first[DT_GNU_HASH])
        nbuckets, symoffset, bloom_size, _ = self.unpack("IIII", at)
        buckets = at + 16 + bloom_size * (8 if self.wide else 4)
        chain = buckets + 4 * nbuckets
        table = self._offset(self.first[DT_SYMTAB])
        size = 24 if self.wide else 16
        found = set()
        for name in names:
            h = _gnu_hash(name.encode())
            index = self.unpack("I", buckets + 4 * (h % nbuckets))[0] if nbuckets else 0
            for _ in range(1 << 20):
                if index < symoffset:
                    break
                h2 = self.unpack("I", chain + 4 * (index - symoffset))[0]
                if h2 | 1 == h | 1:
                    entry, _, shndx = self._symbol(table + index * size)
                    if shndx and self.string(entry) == name:
                        found.add(name)
                        break
                if h2 & 1:
                    break
                index += 1
        return found

    def _defined(self) -> list[str]:
        table = self._offset(self.first[DT_SYMTAB]) if DT_SYMTAB in self.first else 0
        size = 24 if self.wide else 16
        names = []
        for n in range(1, min(self._symbol_count(), 1 << 24)):
            name, _, shndx = self._symbol(table + n * size)
            if shndx and name:
                names.append(self.string(name))
        return names


def _gnu_hash(name: bytes) -> int:
    h = 5381
    for c in name:
        h = (h * 33 + c) & 0xFFFFFFFF
    return h


def _guarded(path: str, action: Callable[[_Object], object]) -> object:
    try:
        with _Object(path) as obj:
            return action(obj)
    except Unreadable:
        raise
    except (struct.error, ValueError, OverflowError, IndexError, MemoryError) as exc:
        raise Unreadable(f"malformed ELF: {type(exc).__name__}") from None


def read_dynamic(path: str) -> DynamicInfo:
    """Raises Unreadable for anything that is not a readable ELF object."""
    info = _guarded(path, _Object.info)
    assert isinstance(info, DynamicInfo)
    return info


def undefined_symbols(path: str, wanted: Callable[[str], bool]) -> list[str]:
    found = _guarded(path, lambda obj: obj.undefined(wanted))
    assert isinstance(found, list)
    return found


def exported(path: str, names: Iterable[str]) -> set[str]:
    names = list(names)
    found = _guarded(path, lambda obj: obj.exports(names))
    assert isinstance(found, set)
    return found
