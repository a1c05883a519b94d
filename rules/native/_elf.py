"""Static-TLS facts of a shared library, read from its program headers and dynamic table only.

Read with struct, not pyelftools: a site-packages with torch and scikit-learn holds ~220
libraries and pyelftools spends 4-13 ms on each one it opens (it builds section and segment
objects, and the dynamic segment walks every section to find its string table); the whole scan
must stay under 300 ms. Only what glibc itself uses is read: PT_TLS, PT_DYNAMIC's DT_FLAGS and the
DT_RELA/DT_REL tables it points to (so stripped section headers do not matter).
"""

from __future__ import annotations

import struct
import sys
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import Any

DF_STATIC_TLS = 0x10
# Initial-exec relocations: the module's TLS block must sit in the static TLS block.
IE_RELOCS = {"EM_X86_64": {18, 23}, "EM_AARCH64": {1030}, "EM_386": {14, 15, 37}}
# TLS descriptors: take the optional static surplus opportunistically (aarch64 default).
TLSDESC_RELOCS = {"EM_X86_64": {36}, "EM_AARCH64": {1031}, "EM_386": {41}}
MACHINES = {"EM_X86_64": "x86_64", "EM_AARCH64": "aarch64", "EM_386": "i686"}


class Unreadable(Exception):
    """Not a readable ELF shared library; the message says why."""


@dataclass(frozen=True)
class TlsInfo:
    machine: str
    elf_class: int  # 32 or 64
    tls_bytes: int  # PT_TLS p_memsz
    align: int  # PT_TLS p_align
    firstbyte: int  # p_vaddr & (align - 1)
    static_tls_flag: bool  # DT_FLAGS & DF_STATIC_TLS (aarch64 linkers never set it)
    ie_relocs: int
    tlsdesc_relocs: int

    @property
    def needs_static_tls(self) -> bool:
        return self.tls_bytes > 0 and (self.static_tls_flag or self.ie_relocs > 0)

    @property
    def demand(self) -> int:
        """Upper bound of the static TLS a late dlopen takes (block + offset + padding)."""
        if not self.needs_static_tls:
            return 0
        return self.tls_bytes + self.firstbyte + self.align - 1

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


PT_LOAD, PT_DYNAMIC, PT_TLS = 1, 2, 7
# Bounds no real library comes near (libtorch_cpu has ~10 program headers and ~3 MB of
# relocations): a header that declares more is malformed, and reading it would cost
# gigabytes of memory or minutes on a sparse file.
MAX_PHNUM = 4096
MAX_TABLE = 128 << 20
CHUNK = 4 << 20
ET_DYN = 3
DT_RELA, DT_RELASZ, DT_REL, DT_RELSZ, DT_FLAGS = 7, 8, 17, 18, 30
DT_PLTRELSZ, DT_PLTREL, DT_JMPREL = 2, 20, 23
_EM = {62: "EM_X86_64", 183: "EM_AARCH64", 3: "EM_386"}


@dataclass(frozen=True)
class _Layout:
    end: str  # struct byte order
    bits: int
    machine: str
    e_type: int
    segments: list[tuple[int, int, int, int, int, int]]  # type, offset, vaddr, filesz, memsz, align


def _layout(f: Any) -> _Layout:
    """The ELF header and program headers: all a static-TLS verdict needs."""
    ident = f.read(64)
    if ident[:4] != b"\x7fELF":
        raise Unreadable("not an ELF file")
    if len(ident) < 52 or ident[4] not in (1, 2) or ident[5] not in (1, 2):
        raise Unreadable("malformed ELF header")
    end = "<" if ident[5] == 1 else ">"
    e_type, e_machine = struct.unpack_from(end + "HH", ident, 16)
    if ident[4] == 2:
        (phoff,) = struct.unpack_from(end + "Q", ident, 32)
        phentsize, phnum = struct.unpack_from(end + "HH", ident, 54)
        phdr, order = end + "IIQQQQQQ", (0, 2, 3, 5, 6, 7)
    else:
        (phoff,) = struct.unpack_from(end + "I", ident, 28)
        phentsize, phnum = struct.unpack_from(end + "HH", ident, 42)
        phdr, order = end + "IIIIIIII", (0, 1, 2, 4, 5, 7)
    size = struct.calcsize(phdr)
    segments = []
    if phnum > MAX_PHNUM:
        raise Unreadable(f"malformed ELF: {phnum} program headers")
    if phnum and phentsize >= size:
        table = _read_at(f, phoff, phentsize * phnum)
        for n in range(phnum):
            entry = struct.unpack_from(phdr, table, n * phentsize)
            segments.append(tuple(entry[k] for k in order))
    return _Layout(
        end, 64 if ident[4] == 2 else 32, _EM.get(e_machine, f"EM_{e_machine}"), e_type, segments
    )


def _file_offset(layout: _Layout, vaddr: int) -> int | None:
    for kind, offset, start, filesz, _, _ in layout.segments:
        if kind == PT_LOAD and start <= vaddr < start + filesz:
            return offset + vaddr - start
    return None


def _check_span(f: Any, offset: int, size: int) -> None:
    """A table must lie inside the file and be of a size a real library has."""
    if offset < 0 or size < 0 or size > MAX_TABLE:
        raise Unreadable(f"malformed ELF: a table of {size} bytes at {offset}")
    end = f.seek(0, 2)
    if offset + size > end:
        raise Unreadable("malformed ELF: a table runs past the end of the file")


def _read_at(f: Any, offset: int, size: int) -> bytes:
    _check_span(f, offset, size)
    f.seek(offset)
    data: bytes = f.read(size)
    if len(data) < size:
        raise Unreadable("malformed ELF: a table runs past the end of the file")
    return data


def _chunks(f: Any, offset: int, size: int, unit: int) -> Iterator[bytes]:
    """A table in pieces of whole entries: memory stays bounded whatever the table's size."""
    _check_span(f, offset, size)
    step = max(unit, CHUNK - CHUNK % unit)
    for start in range(offset, offset + size, step):
        yield _read_at(f, start, min(step, offset + size - start))


def _dynamic(f: Any, layout: _Layout) -> dict[int, int]:
    """The dynamic section's tags (first value of each), from PT_DYNAMIC."""
    seg = next((s for s in layout.segments if s[0] == PT_DYNAMIC), None)
    if seg is None:
        return {}
    fmt = layout.end + ("qQ" if layout.bits == 64 else "iI")
    data = _read_at(f, seg[1], seg[3])
    tags: dict[int, int] = {}
    for tag, value in struct.iter_unpack(fmt, data[: len(data) - len(data) % struct.calcsize(fmt)]):
        if tag == 0:  # DT_NULL
            break
        tags.setdefault(tag, value)
    return tags


def _reloc_types(data: bytes, layout: _Layout, rela: bool) -> Sequence[int]:
    """Every relocation's type, sliced out at C speed: libtorch_cpu.so has ~10^5 of them."""
    if layout.bits == 64:  # r_offset, r_info (type = low 32 bits)[, r_addend]
        words = 6 if rela else 4
        table = array("I")
        table.frombytes(data[: len(data) - len(data) % (words * 4)])
        if (layout.end == "<") != (sys.byteorder == "little"):
            table.byteswap()
        return table[(2 if layout.end == "<" else 3) :: words]
    size = 12 if rela else 8  # r_offset, r_info (type = low byte)[, r_addend]
    return data[(4 if layout.end == "<" else 7) : len(data) - len(data) % size : size]


def _tables(tags: dict[int, int]) -> list[tuple[int, int, bool]]:
    """(address, size, is RELA) of every relocation table ld.so processes. GNU ld puts TLS
    descriptor relocations in the PLT table (DT_JMPREL, `.rela.plt`), which some linkers also
    cover by DT_RELASZ: then it is counted once."""
    tables = [
        (tags[addr], tags[size], rela)
        for addr, size, rela in ((DT_RELA, DT_RELASZ, True), (DT_REL, DT_RELSZ, False))
        if addr in tags and tags.get(size)
    ]
    if DT_JMPREL in tags and tags.get(DT_PLTRELSZ):
        start = tags[DT_JMPREL]
        if not any(addr <= start < addr + size for addr, size, _ in tables):
            tables.append((start, tags[DT_PLTRELSZ], tags.get(DT_PLTREL, DT_RELA) == DT_RELA))
    return tables


def _count_relocs(f: Any, layout: _Layout, tags: dict[int, int]) -> tuple[int, int]:
    ie_types = IE_RELOCS.get(layout.machine, set())
    desc_types = TLSDESC_RELOCS.get(layout.machine, set())
    ie = desc = 0
    for address, size, rela in _tables(tags):
        offset = _file_offset(layout, address)
        if offset is None:
            raise Unreadable("malformed ELF: relocations outside any loaded segment")
        unit = (24 if rela else 16) if layout.bits == 64 else (12 if rela else 8)
        for chunk in _chunks(f, offset, size, unit):
            types = _reloc_types(chunk, layout, rela)
            ie += sum(types.count(t) for t in ie_types)
            desc += sum(types.count(t) for t in desc_types)
    return ie, desc


def read_tls(path: str) -> TlsInfo:
    """Raises Unreadable for anything that is not a readable ELF shared library."""
    try:
        with open(path, "rb") as f:
            return read_tls_from(f)
    except OSError as exc:
        raise Unreadable(exc.strerror or str(exc)) from None


def read_tls_from(f: Any) -> TlsInfo:
    """The same, from an open binary file (seekable). Never raises anything but Unreadable,
    however the bytes are made: offsets and sizes come from the file itself."""
    try:
        layout = _layout(f)
        arch = MACHINES.get(layout.machine, layout.machine)
        if layout.e_type != ET_DYN:
            raise Unreadable(f"not a shared library (e_type {layout.e_type})")
        tls = next((s for s in layout.segments if s[0] == PT_TLS), None)
        if tls is None:  # most libraries: the headers are all there is to read
            return TlsInfo(arch, layout.bits, 0, 1, 0, False, 0, 0)
        tags = _dynamic(f, layout)
        ie, desc = _count_relocs(f, layout, tags)
        align = max(tls[5], 1)
        return TlsInfo(
            arch,
            layout.bits,
            tls[4],
            align,
            tls[2] & (align - 1),
            bool(tags.get(DT_FLAGS, 0) & DF_STATIC_TLS),
            ie,
            desc,
        )
    except struct.error as exc:
        raise Unreadable(f"malformed ELF: {exc}") from None
    except (ValueError, OverflowError, MemoryError, IndexError) as exc:  # offsets near 2**64
        raise Unreadable(f"malformed ELF: {type(exc).__name__}") from None
