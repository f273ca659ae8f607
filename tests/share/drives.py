"""Small real drives for export tests: a size-limited tmpfs mounted for the test.

Mounting needs root (CAP_SYS_ADMIN). Where it is not possible the drive is a plain
folder and each test uses an equivalent way to make it fail (documented on the
methods); where even that is impossible the test fails with the reason, never skips.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(list(args), capture_output=True, text=True)


class Drive:
    def __init__(self, mountpoint: Path, size_kib: int) -> None:
        self.root = mountpoint
        self.root.mkdir()
        done = _run("mount", "-t", "tmpfs", "-o", f"size={size_kib}k,mode=0755", "tmpfs", str(self.root))
        self.mounted = done.returncode == 0
        self.mount_error = done.stderr.strip()

    # --- ways a drive fails -----------------------------------------------------

    def fill(self, leave: int = 0) -> None:
        """Fill the drive until at most ``leave`` bytes are free (tmpfs only)."""
        assert self.mounted, f"cannot mount a small tmpfs here ({self.mount_error}); use the RLIMIT_FSIZE test"
        chunk = b"\0" * 4096
        with open(self.root / "filler.bin", "wb") as fh:
            try:
                while shutil.disk_usage(self.root).free > leave:
                    fh.write(chunk)
                    fh.flush()
            except OSError:
                pass

    def make_read_only(self) -> None:
        """Remount read-only; without a mount, chmod (which only binds non-root users)."""
        if self.mounted:
            done = _run("mount", "-o", "remount,ro", str(self.root))
            assert done.returncode == 0, done.stderr
        else:
            assert os.geteuid() != 0, (f"root ignores permissions and no read-only mount is possible here "
                                       f"({self.mount_error})")
            self.root.chmod(0o555)

    def make_writable(self) -> None:
        if self.mounted:
            done = _run("mount", "-o", "remount,rw", str(self.root))
            assert done.returncode == 0, done.stderr
        else:
            self.root.chmod(0o755)

    def unplug(self) -> None:
        """The drive disappears: lazy unmount (open files stay, paths vanish); without a
        mount, the folder is deleted."""
        if self.mounted:
            done = _run("umount", "-l", str(self.root))
            assert done.returncode == 0, done.stderr
            self.mounted = False
        else:
            shutil.rmtree(self.root)

    def close(self) -> None:
        if self.mounted:
            _run("mount", "-o", "remount,rw", str(self.root))
            _run("umount", "-l", str(self.root))
            self.mounted = False
