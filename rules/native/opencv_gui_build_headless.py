"""The GUI build of OpenCV where the system libraries it needs for windows are absent (a slim
container, a managed notebook).

## What it does

When `opencv-python` or `opencv-contrib-python` (the GUI builds) is installed in the examined
environment, follows the dependency closure of its `cv2` libraries the way the loader would —
through the wheel's own `opencv_python.libs` (RPATH) to its vendored Qt, and from there to the
system — and lists what the loader would not find (`libGL.so.1`, `libgthread-2.0.so.0`,
`libEGL.so.1`…). Several OpenCV distributions installed together are reported too: they
overwrite each other's `cv2`.

## Why is this bad?

`import cv2` fails with `ImportError: libGL.so.1: cannot open shared object file: No such file
or directory`. Installing the system packages needs root, which managed notebooks and many
containers do not give; the headless build needs none of them.

## Example

```
$ devdoctor check opencv-gui-build-headless
  ✗ DD108 opencv-gui-build-headless: opencv-python 4.10.0.84 needs libGL.so.1, which this
    system does not have (needed by opencv_python.libs/libQt5Gui-5dea4132.so.5.15.13)
```

## Fix

Replace the GUI build by the headless build of the same version (`opencv-python` →
`opencv-python-headless`, `opencv-contrib-python` → `opencv-contrib-python-headless`), then
`import cv2` in a new process of the environment's interpreter. `cv2.imshow` and other windows
stop working. Alternative, display-only: install the system packages (`apt-get install -y
libgl1 libglib2.0-0`), which needs root.

## Fix safety

Unsafe: it changes installed packages and needs the package index; `devdoctor undo` swaps back
to the exact previous version.
"""

from __future__ import annotations

import re

from devdoctor.api import FixAvailability, Rule, Scope, Signature

from ._deferred import ProofSettings, deferred

# What the system gives the GUI build's Qt and highgui; the headless build needs none of them.
GUI_LIBS = (
    "libGL.so.1",
    "libgthread-2.0.so.0",
    "libglib-2.0.so.0",
    "libEGL.so.1",
    "libSM.so.6",
    "libICE.so.6",
    "libXext.so.6",
    "libXrender.so.1",
    "libfontconfig.so.1",
    "libX11.so.6",
)


check, fix_from_log = deferred("_opencv")


RULE = Rule(
    code="DD108",
    name="opencv-gui-build-headless",
    summary="The GUI build of OpenCV without the system libraries it needs",
    scope=Scope.ENVIRONMENT,
    node=True,
    check=check,
    fix_availability=FixAvailability.SOMETIMES,
    signatures=(
        # the system libraries only OpenCV's GUI build (its Qt) asks for, as the loader words it
        Signature(
            GUI_LIBS,
            r"(?P<library>" + "|".join(re.escape(n) for n in GUI_LIBS) + r"): cannot open "
            r"shared object file",
            "{library} is missing: the GUI build of OpenCV needs it",
            context=r"cv2|opencv",
        ),
        Signature(
            GUI_LIBS,
            r"(?P<library>" + "|".join(re.escape(n) for n in GUI_LIBS) + r"): cannot open "
            r"shared object file",
            "{library} is missing (the GUI build of OpenCV needs it)",
            certain=False,
            to_tell="Which import failed? If it is cv2, the headless build of OpenCV needs none "
            "of these: devdoctor check opencv-gui-build-headless",
        ),
        # cv2's bootstrap frames, which tie a failing import to OpenCV
        Signature(
            "cv2/__init__.py",
            r"cv2/__init__\.py\"?, line \d{1,6}, in",
            "importing cv2 failed",
            certain=False,
            to_tell="The error at the end of this traceback says what cv2 lacks; "
            "devdoctor check opencv-gui-build-headless",
        ),
        Signature(
            "from .cv2 import",
            r"from \.cv2 import \*",
            "importing cv2 failed",
            certain=False,
            to_tell="The error at the end of this traceback says what cv2 lacks; "
            "devdoctor check opencv-gui-build-headless",
        ),
    ),
    settings=ProofSettings,
    fix_from_log=fix_from_log,
)
