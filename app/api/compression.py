"""Content-Encoding for big responses (traces), negotiated from the request's Accept-Encoding.

A 500-step LSTM trace with H = 512 is 24 MB of JSON or 8 MB of msgpack; on the wire it is
a few MB once compressed. zstd is preferred: level 3 compresses such a trace in 15-30 ms on
an idle core, where zlib at its fastest level takes 50-190 ms for larger output
(docs/benchmarks.md, "Binary traces"). gzip is the fallback because browsers offer zstd only to secure origins:
Chromium asks for "gzip, deflate, br, zstd" from http://127.0.0.1 and https://, but only
"gzip, deflate" from http://192.0.2.2 (a class's server on a LAN, measured with Chromium 156).

Compression is HTTP's own transparent layer: the decoded body is exactly the bytes that
would have been sent uncompressed, fetch() and every HTTP client undo it, and a client that
sends no Accept-Encoding (or identity only) gets the plain body. Bodies under one packet
are left alone: compressing them cannot save a round trip. The callers run in the
threadpool (plain `def` routes), and both compressors release the GIL while they work, so
neither the event loop nor the other requests wait for a compression.
"""

from __future__ import annotations

import zlib

import zstandard

ZSTD, GZIP = "zstd", "gzip"
PREFERENCE = (ZSTD, GZIP)  # the server's order when the client ranks codings equally
ALIASES = {"x-gzip": GZIP}  # RFC 9110 §8.4.1.3: x-gzip is gzip
# Below about one Ethernet packet a body goes out in one segment however small it gets.
MIN_COMPRESSED_BYTES = 1400
# zstd level 3 (its own default): on a trace, level 6 takes twice as long for no fewer bytes,
# and level 1 saves 10-15 ms but leaves ~2 % more. Its window (2 MiB for big inputs) stays
# within the 8 MiB every HTTP zstd decoder must accept (RFC 9659).
ZSTD_LEVEL = 3
GZIP_LEVEL = 1  # zlib's fastest: gzip is the fallback, already 10x slower than zstd here
GZIP_WBITS = 16 + zlib.MAX_WBITS  # zlib's flag for a gzip header and trailer


def choose_coding(accept_encoding: str | None) -> str | None:
    """The content coding to send for this Accept-Encoding: "zstd", "gzip" or None (identity).

    The client's q-values rank the codings; "*" stands for any coding it did not name;
    q=0 refuses one. Equal ranks go to zstd, the faster and smaller. A refused identity
    with nothing else acceptable still gets identity (RFC 9110 §12.5.3 allows a response
    without content coding), never an error."""
    if not accept_encoding:
        return None
    quality: dict[str, float] = {}
    for part in accept_encoding.split(","):
        coding, *parameters = (piece.strip() for piece in part.split(";"))
        coding = ALIASES.get(coding.lower(), coding.lower())
        if not coding:
            continue
        quality[coding] = max(_q(parameters), quality.get(coding, 0.0))
    wildcard = quality.get("*", 0.0)
    ranked = [(quality.get(coding, wildcard), -rank, coding) for rank, coding in enumerate(PREFERENCE)]
    best_q, _, best = max(ranked)
    return best if best_q > 0 else None


def compress(body: bytes, coding: str) -> bytes:
    if coding == ZSTD:
        # A compressor per call: a ZstdCompressor must not be shared between threads.
        return zstandard.ZstdCompressor(level=ZSTD_LEVEL).compress(body)
    if coding == GZIP:
        packer = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, GZIP_WBITS)
        return packer.compress(body) + packer.flush()
    raise ValueError(f"unknown content coding {coding!r}")


def decompress(body: bytes, coding: str | None) -> bytes:
    """What a client does with a response body (for the tests and the bench)."""
    if coding == ZSTD:
        return zstandard.ZstdDecompressor().decompress(body)
    if coding == GZIP:
        return zlib.decompress(body, GZIP_WBITS)
    return body


def encode_body(body: bytes, accept_encoding: str | None) -> tuple[bytes, dict[str, str]]:
    """body compressed as the client accepts, with the Content-Encoding header to send (none
    when it goes out as it is: small, or no coding accepted)."""
    coding = choose_coding(accept_encoding)
    if coding is None or len(body) < MIN_COMPRESSED_BYTES:
        return body, {}
    return compress(body, coding), {"Content-Encoding": coding}


def _q(parameters: list[str]) -> float:
    for parameter in parameters:
        key, _, value = parameter.partition("=")
        if key.strip().lower() == "q":
            try:
                return min(max(float(value), 0.0), 1.0)
            except ValueError:
                return 0.0
    return 1.0
