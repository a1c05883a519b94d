"""What NVIDIA and PyTorch publish, as data: kept here with their sources, checked against the
real messages in the tests.

- Minimum Linux driver per CUDA toolkit: NVIDIA, "CUDA Toolkit Release Notes", table
  "CUDA Toolkit and Corresponding Driver Versions" (GA drivers).
- CUDA flavours PyTorch publishes per release: pytorch.org "Previous PyTorch Versions" and
  https://download.pytorch.org/whl/ (the cuXYZ folders).
- Architectures in the official wheels per CUDA flavour: what `torch.cuda.get_arch_list()` prints
  for those builds, as quoted in PyTorch's own error ("The current PyTorch install supports CUDA
  capabilities sm_50 ... sm_90") and the release notes of 2.7 (cu128 adds sm_100, sm_120).
- Compute capability per GPU family: NVIDIA, "CUDA GPUs - Compute Capability".
"""

from __future__ import annotations

MIN_DRIVER = {  # CUDA (major, minor) -> the first driver that runs it without compat packages
    (11, 8): (520, 61),
    (12, 0): (525, 60),
    (12, 1): (530, 30),
    (12, 2): (535, 54),
    (12, 3): (545, 23),
    (12, 4): (550, 54),
    (12, 5): (555, 42),
    (12, 6): (560, 28),
    (12, 8): (570, 26),
    (12, 9): (575, 51),
    (13, 0): (580, 65),
}

FLAVOURS = {  # torch (major, minor) -> its CUDA builds, oldest first
    (2, 0): ("cu117", "cu118"),
    (2, 1): ("cu118", "cu121"),
    (2, 2): ("cu118", "cu121"),
    (2, 3): ("cu118", "cu121"),
    (2, 4): ("cu118", "cu121", "cu124"),
    (2, 5): ("cu118", "cu121", "cu124"),
    (2, 6): ("cu118", "cu124", "cu126"),
    (2, 7): ("cu118", "cu126", "cu128"),
    (2, 8): ("cu126", "cu128", "cu129"),
    (2, 9): ("cu126", "cu128", "cu130"),
}
LATEST_FLAVOURS = ("cu126", "cu128", "cu130")  # releases after the table

_PRE_BLACKWELL = ("sm_50", "sm_60", "sm_70", "sm_75", "sm_80", "sm_86", "sm_90")
ARCHES = {  # CUDA flavour -> cubins in the official wheels
    "cu117": ("sm_37", *_PRE_BLACKWELL),
    "cu118": ("sm_37", *_PRE_BLACKWELL),
    "cu121": _PRE_BLACKWELL,
    "cu124": _PRE_BLACKWELL,
    "cu126": _PRE_BLACKWELL,
    "cu128": ("sm_70", "sm_75", "sm_80", "sm_86", "sm_90", "sm_100", "sm_120"),
    "cu129": ("sm_70", "sm_75", "sm_80", "sm_86", "sm_90", "sm_100", "sm_120"),
    "cu130": ("sm_75", "sm_80", "sm_86", "sm_90", "sm_100", "sm_110", "sm_120"),
}

FAMILIES = (  # a model name's part -> compute capability; the first that matches wins
    ("RTX PRO 6000", (12, 0)),
    ("RTX 50", (12, 0)),
    ("B200", (10, 0)),
    ("B100", (10, 0)),
    ("GB200", (10, 0)),
    ("H200", (9, 0)),
    ("H100", (9, 0)),
    ("GH200", (9, 0)),
    ("H800", (9, 0)),
    ("L40", (8, 9)),
    ("L4", (8, 9)),
    ("RTX 40", (8, 9)),
    ("RTX 6000 Ada", (8, 9)),
    ("A100", (8, 0)),
    ("A800", (8, 0)),
    ("A30", (8, 0)),
    ("A40", (8, 6)),
    ("A10", (8, 6)),
    ("RTX 30", (8, 6)),
    ("RTX A", (8, 6)),
    ("T4", (7, 5)),
    ("RTX 20", (7, 5)),
    ("GTX 16", (7, 5)),
    ("V100", (7, 0)),
    ("P100", (6, 0)),
    ("P40", (6, 1)),
    ("GTX 10", (6, 1)),
    ("K80", (3, 7)),
)


def flavour(cuda: tuple[int, int]) -> str:
    return f"cu{cuda[0]}{cuda[1]}"


def flavour_cuda(name: str) -> tuple[int, int]:
    digits = name[2:]
    return int(digits[:-1]), int(digits[-1])


def driver_cuda(driver: str) -> tuple[int, int] | None:
    """The newest CUDA a driver version runs (from the table), or None if older than all."""
    try:
        parts = tuple(int(p) for p in driver.split(".")[:2])
    except ValueError:
        return None
    fits = [cuda for cuda, needed in MIN_DRIVER.items() if parts >= needed]
    return max(fits) if fits else None


def capability(model: str) -> tuple[int, int] | None:
    for part, cc in FAMILIES:
        if part in model:
            return cc
    return None


def runs(arches: tuple[str, ...], cc: tuple[int, int]) -> bool:
    """A cubin runs on GPUs of its major version and a minor at least its own."""
    for arch in arches:
        digits = arch.removeprefix("sm_")
        major, minor = int(digits[:-1]), int(digits[-1])
        if major == cc[0] and minor <= cc[1]:
            return True
    return False


def flavours_for(torch_public: str) -> tuple[str, ...]:
    try:
        major, minor = (int(p) for p in torch_public.split(".")[:2])
    except ValueError:
        return ()
    key = (major, minor)
    return FLAVOURS.get(key, LATEST_FLAVOURS if key > max(FLAVOURS) else ())
