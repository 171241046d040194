"""Saves what the screen shows as a PNG, for tests and documentation."""

from pathlib import Path

import pygame


def save_png(surface: pygame.Surface, path: str | Path) -> Path:
    """Writes `surface` to `path` as a PNG (creating the folder) and returns the path."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    pygame.image.save(surface, str(target))
    return target
