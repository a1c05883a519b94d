"""Static-TLS facts of a shared library, read from its headers and dynamic relocations only.

pyelftools parses the headers; relocations are counted with struct over `.rela.dyn`/`.rel.dyn`
because pyelftools' own iterator is ~10x slower on large libraries (libtorch_cpu.so).
"""

from __future__ import annotations

import struct
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


def _count_relocs(elf: Any, machine: str) -> tuple[int, int]:
    ie_types, desc_types = IE_RELOCS.get(machine, set()), TLSDESC_RELOCS.get(machine, set())
    endian = "<" if elf.little_endian else ">"
    ie = desc = 0
    for name in (".rela.dyn", ".rel.dyn"):
        section = elf.get_section_by_name(name)
        if section is None or section["sh_type"] not in ("SHT_RELA", "SHT_REL"):
            continue
        rela = section["sh_type"] == "SHT_RELA"
        if elf.elfclass == 64:  # r_info's low 32 bits (64-bit) or low 8 bits (32-bit): the type
            fmt, type_mask = endian + ("QQq" if rela else "QQ"), 0xFFFFFFFF
        else:
            fmt, type_mask = endian + ("IIi" if rela else "II"), 0xFF
        data = section.data()
        usable = len(data) - len(data) % struct.calcsize(fmt)
        for entry in struct.iter_unpack(fmt, data[:usable]):
            kind = entry[1] & type_mask
            ie += kind in ie_types
            desc += kind in desc_types
    return ie, desc


def read_tls(path: str) -> TlsInfo:
    """Raises Unreadable for anything that is not a parseable ELF file."""
    from elftools.common.exceptions import ELFError
    from elftools.elf.dynamic import DynamicSection
    from elftools.elf.elffile import ELFFile

    try:
        with open(path, "rb") as f:
            if f.read(4) != b"\x7fELF":
                raise Unreadable("not an ELF file")
            f.seek(0)
            elf = ELFFile(f)
            if elf["e_type"] != "ET_DYN":
                raise Unreadable(f"not a shared library ({elf['e_type']})")
            machine = elf["e_machine"]
            tls = next((s for s in elf.iter_segments() if s["p_type"] == "PT_TLS"), None)
            if tls is None:  # most libraries: nothing more to read
                return TlsInfo(MACHINES.get(machine, machine), elf.elfclass, 0, 1, 0, False, 0, 0)
            flags = 0
            for section in elf.iter_sections():
                if isinstance(section, DynamicSection):
                    for tag in section.iter_tags():
                        if tag.entry.d_tag == "DT_FLAGS":
                            flags = tag.entry.d_val
                    break
            ie, desc = _count_relocs(elf, machine)
            align = max(int(tls["p_align"]), 1)
            return TlsInfo(
                MACHINES.get(machine, machine),
                elf.elfclass,
                int(tls["p_memsz"]),
                align,
                int(tls["p_vaddr"]) & (align - 1),
                bool(flags & DF_STATIC_TLS),
                ie,
                desc,
            )
    except Unreadable:
        raise
    except OSError as exc:
        raise Unreadable(exc.strerror or str(exc)) from None
    except ELFError as exc:
        raise Unreadable(f"malformed ELF: {exc}") from None
    except Exception as exc:  # pyelftools raises many kinds on corrupt input; none may escape
        raise Unreadable(f"malformed ELF: {type(exc).__name__}: {exc}") from None
