"""Helpers for image tests: render a figure to pixels and check that it is not blank."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest


def render(fig) -> np.ndarray:
    """RGB pixels of ``fig`` as drawn by the Agg canvas, (rows, cols, 3) uint8."""
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()


def assert_not_blank(fig, *, min_fraction: float = 0.05, min_std: float = 10.0) -> np.ndarray:
    """Fail when the figure is (nearly) all background.

    ``min_fraction`` of the pixels must differ from the most common (background) colour and the
    grey-level standard deviation must exceed ``min_std`` (a blank white canvas has 0).
    """
    img = render(fig)
    flat = img.reshape(-1, 3)
    colors, counts = np.unique(flat, axis=0, return_counts=True)
    background = colors[np.argmax(counts)]
    non_bg = np.any(flat != background, axis=1).mean()
    assert non_bg >= min_fraction, f"only {non_bg:.3%} of pixels differ from the background"
    assert img.mean(axis=2).std() >= min_std, f"grey-level std {img.mean(axis=2).std():.2f} too low"
    return img


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture
def image_checks():
    return {"render": render, "assert_not_blank": assert_not_blank}


def render_html_in_chromium(html_path, work_dir):
    """Open ``html_path`` in headless Chromium: returns (screenshot RGB array, rendered DOM text).

    Uses Debian's ``chromium`` (CI installs it). Network features are switched off: the report
    must render from the file alone.
    """
    import shutil
    import subprocess

    from PIL import Image

    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    assert exe, "chromium is not installed (apt-get install chromium); the report test needs it"
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync"]
    url = html_path.resolve().as_uri()
    shot = work_dir / "screenshot.png"
    subprocess.run([exe, *flags, f"--user-data-dir={work_dir / 'profile-shot'}", f"--screenshot={shot}",
                    "--window-size=1200,2000", url], capture_output=True, timeout=120, check=True)
    dom = subprocess.run([exe, *flags, f"--user-data-dir={work_dir / 'profile-dom'}", "--dump-dom", url],
                         capture_output=True, text=True, timeout=120, check=True).stdout
    with Image.open(shot) as im:
        pixels = np.asarray(im.convert("RGB"))
    return pixels, dom


@pytest.fixture
def chromium():
    return render_html_in_chromium
