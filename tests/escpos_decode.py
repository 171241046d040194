"""A small ESC/POS decoder for the printing tests: bytes in, a list of operations out.

It knows the commands python-escpos sends for a ticket and nothing more: any other
control byte or command raises `UnknownCommand`, so a test cannot pass over bytes
it did not understand.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

ESC, GS, DLE, LF = 0x1B, 0x1D, 0x10, 0x0A
ALIGNS = {0: "left", 1: "center", 2: "right", 48: "left", 49: "center", 50: "right"}
CODE_PAGES = {0: "cp437", 2: "cp850", 16: "cp1252"}


class UnknownCommand(ValueError):
    pass


@dataclass(frozen=True)
class Style:
    width: int = 1
    height: int = 1
    bold: bool = False
    align: str = "left"
    code_page: int = 0


@dataclass(frozen=True)
class Text:
    """Characters printed in one style (a run never holds a line feed)."""

    text: str
    style: Style


@dataclass(frozen=True)
class Feed:
    """Line feeds: LF, or ESC d n."""

    lines: int


@dataclass(frozen=True)
class Init:
    """ESC @."""


@dataclass(frozen=True)
class QrSetting:
    """GS ( k for a QR code: 65 model, 67 module size, 69 error correction."""

    function: int
    value: bytes


@dataclass(frozen=True)
class QrStore:
    """GS ( k ... 49 80 48 data: the QR code's content."""

    data: bytes


@dataclass(frozen=True)
class QrPrint:
    """GS ( k ... 49 81 48: print the stored QR code."""


@dataclass(frozen=True)
class RasterImage:
    """GS v 0: a raster bit image, `width` dots by `height`."""

    width: int
    height: int


@dataclass(frozen=True)
class Cut:
    """GS V m [n]."""

    mode: int


@dataclass(frozen=True)
class StatusQuery:
    """DLE EOT n: a real-time status request."""

    n: int


Op = Text | Feed | Init | QrSetting | QrStore | QrPrint | RasterImage | Cut | StatusQuery


@dataclass(frozen=True)
class Line:
    """What one printed line holds: its text runs, ended by a feed."""

    runs: tuple[Text, ...]

    @property
    def text(self) -> str:
        return "".join(run.text for run in self.runs)

    @property
    def columns(self) -> int:
        """Normal-size columns the line takes: each character times its width."""
        return sum(len(run.text) * run.style.width for run in self.runs)

    @property
    def size(self) -> tuple[int, int]:
        """The largest (width, height) on the line."""
        return (
            max((run.style.width for run in self.runs), default=1),
            max((run.style.height for run in self.runs), default=1),
        )


def decode(data: bytes) -> list[Op]:
    """The operations in `data`, in order."""
    ops: list[Op] = []
    style = Style()
    text = bytearray()
    i = 0

    def flush() -> None:
        if text:
            codec = CODE_PAGES.get(style.code_page, "latin-1")
            ops.append(Text(text.decode(codec), style))
            text.clear()

    def need(count: int) -> bytes:
        if i + count > len(data):
            raise UnknownCommand(f"command at {i} cut short: {data[i : i + 8]!r}")
        return data[i : i + count]

    while i < len(data):
        byte = data[i]
        if byte >= 0x20:
            text.append(byte)
            i += 1
            continue
        flush()
        if byte == LF:
            ops.append(Feed(1))
            i += 1
        elif byte == DLE:
            _, eot, n = need(3)
            if eot != 0x04:
                raise UnknownCommand(f"DLE {eot:#x} at {i}")
            ops.append(StatusQuery(n))
            i += 3
        elif byte == ESC:
            command = need(2)[1]
            if command == ord("@"):
                ops.append(Init())
                style = Style()
                i += 2
                continue
            n = need(3)[2]
            i += 3
            if command == ord("!"):
                style = replace(
                    style,
                    width=2 if n & 0x20 else 1,
                    height=2 if n & 0x10 else 1,
                    bold=bool(n & 0x08),
                )
            elif command == ord("E"):
                style = replace(style, bold=bool(n & 1))
            elif command == ord("a"):
                style = replace(style, align=ALIGNS[n])
            elif command == ord("t"):
                style = replace(style, code_page=n)
            elif command == ord("d"):
                ops.append(Feed(n))
            else:
                raise UnknownCommand(f"ESC {chr(command)!r} at {i - 3}")
        elif byte == GS:
            command = need(2)[1]
            if command == ord("!"):
                n = need(3)[2]
                style = replace(style, width=(n >> 4) + 1, height=(n & 0x0F) + 1)
                i += 3
            elif command == ord("V"):
                mode = need(3)[2]
                i += 4 if mode in (65, 66) else 3
                ops.append(Cut(mode))
            elif command == ord("(") and need(3)[2] == ord("k"):
                length = int.from_bytes(need(5)[3:5], "little")
                body = need(5 + length)[5:]
                i += 5 + length
                ops.append(_two_d_code(body))
            elif command == ord("v") and need(3)[2] == ord("0"):
                header = need(8)
                width_bytes = int.from_bytes(header[4:6], "little")
                height = int.from_bytes(header[6:8], "little")
                need(8 + width_bytes * height)
                i += 8 + width_bytes * height
                ops.append(RasterImage(width_bytes * 8, height))
            else:
                raise UnknownCommand(f"GS {chr(command)!r} at {i}")
        else:
            raise UnknownCommand(f"control byte {byte:#04x} at {i}")
    flush()
    return ops


def _two_d_code(body: bytes) -> Op:
    code, function = body[0], body[1]
    if code != ord("1"):
        raise UnknownCommand(f"GS ( k for symbol {code} (only QR, 49, is known)")
    if function == 80:
        if body[2] != ord("0"):
            raise UnknownCommand("QR store with m != 48")
        return QrStore(body[3:])
    if function == 81:
        return QrPrint()
    if function in (65, 67, 69):
        return QrSetting(function, body[2:])
    raise UnknownCommand(f"QR function {function}")


def lines(ops: list[Op]) -> list[Line]:
    """The printed text lines: runs gathered up to each feed (empty lines left out)."""
    found: list[Line] = []
    runs: list[Text] = []
    for op in ops:
        if isinstance(op, Text):
            runs.append(op)
        elif isinstance(op, Feed | QrPrint | RasterImage | Cut) and runs:
            found.append(Line(tuple(runs)))
            runs = []
    if runs:
        found.append(Line(tuple(runs)))
    return found


def texts(ops: list[Op]) -> list[str]:
    """The text of every printed line."""
    return [line.text for line in lines(ops)]
