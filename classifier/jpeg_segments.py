"""A JPEG without its metadata, by copying the segments that carry the picture and nothing else.

Lossless and about a hundred times faster than decoding and encoding again. Only what a baseline or
progressive Huffman JPEG needs to be decoded is kept (quantization and Huffman tables, the frame
header, restart interval, scans with their entropy-coded data); every APPn segment (EXIF, GPS,
XMP, IPTC, JFIF thumbnails, maker notes, multi-picture indexes) and comment is dropped, and so is
everything after the first end-of-image marker (the extra frames of an MPO, vendors' trailers).
Whatever the copy would change the look of, or whatever is not known here, answers None so that
the caller re-encodes instead: an ICC profile (it needs converting to sRGB), an Adobe segment (it
says how to read the colour components), arithmetic coding, lossless or hierarchical frames, and
any marker not listed.
"""

import re

SOI, EOI, SOS = 0xD8, 0xD9, 0xDA
_KEPT = frozenset({0xC0, 0xC1, 0xC2, 0xC4, 0xDB, 0xDD})  # SOF0-2, DHT, DQT, DRI
_COMMENT = 0xFE
_APP0, _APP2, _APP14, _APP15 = 0xE0, 0xE2, 0xEE, 0xEF
# In entropy-coded data 0xFF is followed by 0x00 (a stuffed byte) or a restart marker; anything
# else ends the scan.
_SCAN_END = re.compile(rb"\xff(?=[^\x00\xd0-\xd7])")


def jpeg_strip_metadata(data: bytes) -> bytes | None:
    """`data` with only the segments that decode the picture, or None where that is not safe."""
    if data[:2] != b"\xff\xd8":
        return None
    kept = [b"\xff\xd8"]
    position, end = 2, len(data)
    while position < end:
        if data[position] != 0xFF:
            return None
        while position < end and data[position] == 0xFF:  # fill bytes before a marker
            position += 1
        if position >= end:
            return None
        marker = data[position]
        if marker == EOI:
            kept.append(b"\xff\xd9")
            return b"".join(kept)
        if position + 3 > end:
            return None
        length = int.from_bytes(data[position + 1 : position + 3], "big")
        segment_end = position + 1 + length
        if length < 2 or segment_end > end:
            return None
        payload = data[position + 3 : position + 15]
        if marker == SOS:
            scan_end = _SCAN_END.search(data, segment_end)
            if scan_end is None:
                return None  # cut short: no end of image
            kept.append(b"\xff" + data[position : scan_end.start()])
            position = scan_end.start()
            continue
        if marker in _KEPT:
            kept.append(b"\xff" + data[position:segment_end])
        elif _says_how_colours_read(marker, payload) or not _is_metadata(marker):
            return None
        position = segment_end
    return None


def _says_how_colours_read(marker: int, payload: bytes) -> bool:
    return (marker == _APP2 and payload.startswith(b"ICC_PROFILE\x00")) or (
        marker == _APP14 and payload.startswith(b"Adobe")
    )


def _is_metadata(marker: int) -> bool:
    return _APP0 <= marker <= _APP15 or marker == _COMMENT
