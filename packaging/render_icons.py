"""Render the app icon for every platform from its SVG design source.

    python packaging/render_icons.py          # write assets/
    python packaging/render_icons.py --check  # exit 1 if anything in assets/ is stale

Source: ``assets/health-wallet.svg`` (the design source; the app loads the same drawing
from ``wallet/gui/resources/icon.svg``, and this script keeps that copy identical).
Writes:

- ``assets/icons/health-wallet-{16,32,48,64,128,256,512}.png`` (Linux: install as
  ``share/icons/hicolor/NxN/apps/health-wallet.png``; PyInstaller, AppImage, Flatpak);
- ``assets/health-wallet.ico`` (Windows: 16–256 px, each size rendered, not scaled);
- ``assets/health-wallet.icns`` (macOS: 16–1024 px).

Rendering uses Qt's SVG renderer on the offscreen platform (the same renderer the app
uses, so the icons match what it shows); the .ico and .icns containers are written with
Pillow (a build-time tool: ``pip install '.[build]'``).
"""

from __future__ import annotations

import argparse
import io
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ASSETS = ROOT / "assets"
SOURCE = ASSETS / "health-wallet.svg"
PACKAGE_COPY = ROOT / "wallet" / "gui" / "resources" / "icon.svg"
PNG_SIZES = (16, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
ICNS_SIZES = (16, 32, 64, 128, 256, 512, 1024)


def png_path(size: int) -> Path:
    return ASSETS / "icons" / f"health-wallet-{size}.png"


def render(svg: bytes, size: int) -> bytes:
    """PNG bytes of the drawing at ``size`` × ``size`` pixels, transparent background."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRectF, Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(QByteArray(svg))
    if not renderer.isValid():
        raise SystemExit(f"{SOURCE} is not a valid SVG drawing")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    return bytes(data.data())


def _container(pngs: dict[int, bytes], sizes: tuple[int, ...], fmt: str) -> bytes:
    from PIL import Image

    images = [Image.open(io.BytesIO(pngs[s])).convert("RGBA") for s in sizes]
    largest = images[-1]
    out = io.BytesIO()
    if fmt == "ICO":
        largest.save(out, format="ICO", sizes=[(s, s) for s in sizes], append_images=images[:-1])
    else:
        largest.save(out, format="ICNS", append_images=images[:-1])
    return out.getvalue()


def outputs() -> dict[Path, bytes]:
    """Every file this script writes, with its content."""
    svg = SOURCE.read_bytes()
    pngs = {size: render(svg, size) for size in sorted({*PNG_SIZES, *ICO_SIZES, *ICNS_SIZES})}
    files = {png_path(size): pngs[size] for size in PNG_SIZES}
    files[ASSETS / "health-wallet.ico"] = _container(pngs, ICO_SIZES, "ICO")
    files[ASSETS / "health-wallet.icns"] = _container(pngs, ICNS_SIZES, "ICNS")
    files[PACKAGE_COPY] = svg
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only report files that differ")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841 - Qt needs one
    stale = []
    for path, content in outputs().items():
        if path.is_file() and path.read_bytes() == content:
            continue
        stale.append(path)
        if not args.check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
    for path in stale:
        print(f"{'stale' if args.check else 'wrote'} {path.relative_to(ROOT)}")
    if args.check and stale:
        print("run: python packaging/render_icons.py", file=sys.stderr)
        return 1
    if not stale:
        print("icons are up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
