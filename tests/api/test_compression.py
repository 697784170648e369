"""Traces on the wire: JSON, msgpack and byte-shuffled msgpack, each compressed with zstd or
gzip as Accept-Encoding allows, all holding the very float32 values the model computed."""

from __future__ import annotations

import asyncio

import msgpack
import numpy as np
import orjson
import pytest

from app.api import compression
from app.api.compression import MIN_COMPRESSED_BYTES, choose_coding, decompress, encode_body
from app.api.responses import binary_array, unshuffle

BODY = {"input": "BTSSSXXTTVPXTVPSE"}  # 17 steps of a 12-unit LSTM: about 30 kB of JSON, 13 kB of msgpack
ABSENT = object()  # no Accept-Encoding header at all


def wire(client, query: str = "", accept: str | None = None, accept_encoding=ABSENT):
    """(response, the body's bytes as they crossed the wire, the body decoded as a client would)."""
    request = client.build_request("POST", f"/api/models/m/trace{query}", json=BODY)
    if accept is not None:
        request.headers["Accept"] = accept
    if accept_encoding is ABSENT:
        del request.headers["Accept-Encoding"]  # httpx sends one by default
    else:
        request.headers["Accept-Encoding"] = accept_encoding
    response = client.send(request, stream=True)
    raw = b"".join(response.iter_raw())
    response.close()
    assert response.status_code == 200, raw
    return response, raw, decompress(raw, response.headers.get("content-encoding"))


def arrays(document: dict) -> dict[str, np.ndarray]:
    """Every {dtype, shape, data} array of a decoded msgpack trace, unshuffled, by field name."""
    found = {}
    for key, value in document.items():
        if isinstance(value, dict) and set(value) >= {"dtype", "shape", "data"}:
            data = unshuffle(value["data"]) if value.get("shuffle") else value["data"]
            found[key] = np.frombuffer(data, dtype=value["dtype"]).reshape(value["shape"])
        elif isinstance(value, dict):
            found.update({f"{key}.{k}": v for k, v in arrays(value).items()})
    return found


@pytest.fixture
def lstm(make_model):
    make_model("m", architecture="lstm", task="reber", hidden_size=12)


def test_every_encoding_and_compression_carries_the_same_float32_bits(client, lstm):
    _, _, plain = wire(client, accept="application/msgpack", accept_encoding="identity")
    reference = arrays(msgpack.unpackb(plain))
    assert {"h", "c", "grad_h", "gates.i", "gates.f", "gates.g", "gates.o"} <= set(reference)
    for query, accept_encoding in [("", "zstd"), ("", "gzip"), ("?shuffle=true", "zstd"), ("?shuffle=true", "gzip")]:
        response, raw, body = wire(client, query, "application/msgpack", accept_encoding)
        assert response.headers["content-encoding"] == accept_encoding
        assert len(raw) < len(body)
        decoded = arrays(msgpack.unpackb(body))
        assert decoded.keys() == reference.keys()
        for field, values in reference.items():
            assert decoded[field].dtype == values.dtype and decoded[field].tobytes() == values.tobytes(), field
    _, _, as_json = wire(client, accept_encoding="identity")
    _, _, as_json_zstd = wire(client, accept_encoding="zstd")
    assert as_json_zstd == as_json
    document = orjson.loads(as_json)
    for field in ("h", "c", "grad_h"):
        assert np.array(document[field], dtype=np.float32).tobytes() == reference[field].tobytes(), field


@pytest.mark.parametrize(
    "accept_encoding, coding",
    [
        (None, None),
        ("", None),
        ("identity", None),
        ("gzip", "gzip"),
        ("x-gzip", "gzip"),
        ("zstd", "zstd"),
        ("gzip, deflate, br, zstd", "zstd"),  # Chromium, from a secure origin
        ("gzip, deflate", "gzip"),  # Chromium, from plain http:// beyond loopback
        ("zstd;q=0.5, gzip", "gzip"),
        ("GZIP;Q=0.2, zstd;q=0.1", "gzip"),
        ("*", "zstd"),
        ("*;q=0", None),
        ("zstd;q=0, *", "gzip"),
        ("br, deflate", None),
        ("zstd;q=bad, gzip;q=0.1", "gzip"),
        ("identity;q=0", None),  # nothing else acceptable: identity anyway, never an error
    ],
)
def test_the_content_coding_follows_accept_encoding(accept_encoding, coding):
    assert choose_coding(accept_encoding) == coding


def test_only_bodies_past_one_packet_are_compressed():
    small = b"x" * (MIN_COMPRESSED_BYTES - 1)
    assert encode_body(small, "zstd") == (small, {})
    big = b"x" * MIN_COMPRESSED_BYTES
    body, headers = encode_body(big, "gzip, zstd")
    assert headers == {"Content-Encoding": "zstd"} and decompress(body, "zstd") == big


@pytest.mark.parametrize("accept_encoding", [ABSENT, "identity", "zstd", "gzip"])
def test_the_response_says_what_it_varies_on_and_how_it_is_coded(client, lstm, accept_encoding):
    response, raw, body = wire(client, accept_encoding=accept_encoding)
    coded = accept_encoding in ("zstd", "gzip")
    assert response.headers.get("content-encoding") == (accept_encoding if coded else None)
    assert response.headers["vary"] == "Accept, Accept-Encoding"
    assert response.headers["content-type"] == "application/json"
    assert int(response.headers["content-length"]) == len(raw)
    assert orjson.loads(body)["model"] == "m"


@pytest.mark.parametrize(
    "query, accept, media_type",
    [
        ("?encoding=msgpack", None, "application/msgpack"),
        ("?encoding=json", "application/msgpack", "application/json"),  # the query wins
        ("?encoding=msgpack&shuffle=true", "application/json", "application/msgpack"),
        ("?shuffle=true", None, "application/json"),  # shuffle concerns msgpack only
    ],
)
def test_the_encoding_query_overrides_the_accept_header(client, lstm, query, accept, media_type):
    response, _, body = wire(client, query, accept, "zstd")
    assert response.headers["content-type"] == media_type
    if media_type == "application/msgpack":
        packed = msgpack.unpackb(body).values()
        shuffled = {value.get("shuffle", False) for value in packed if isinstance(value, dict) and "dtype" in value}
        assert shuffled == {"shuffle=true" in query}


@pytest.mark.parametrize("query", ["?encoding=xml", "?shuffle=sometimes"])
def test_an_unknown_encoding_or_shuffle_is_a_clear_422(client, lstm, query):
    response = client.post(f"/api/models/m/trace{query}", json=BODY)
    assert response.status_code == 422
    assert ("'json' or 'msgpack'" if "encoding" in query else "boolean") in response.text


def test_shuffled_data_holds_byte_k_of_every_value_together():
    values = np.array([[1.0, -2.5], [np.nan, 3e-39]], dtype=np.float32)
    plain, shuffled = binary_array(values), binary_array(values, shuffle=True)
    raw = values.astype("<f4").tobytes()
    assert shuffled["data"] == raw[0::4] + raw[1::4] + raw[2::4] + raw[3::4]
    assert (shuffled["shuffle"], shuffled["shape"], shuffled["dtype"]) == (True, [2, 2], "<f4")
    assert "shuffle" not in plain and plain["data"] == raw
    assert unshuffle(shuffled["data"]) == raw
    labels = binary_array(np.array([3, 0, 70000]), shuffle=True)
    assert labels["dtype"] == "<i4" and unshuffle(labels["data"]) == np.array([3, 0, 70000], "<i4").tobytes()


def test_a_trace_is_encoded_and_compressed_off_the_event_loop(client, lstm, monkeypatch):
    compress, loops = compression.compress, []

    def spy(body, coding):
        try:
            loops.append(asyncio.get_running_loop())
        except RuntimeError:  # no event loop runs in this thread
            loops.append(None)
        return compress(body, coding)

    monkeypatch.setattr(compression, "compress", spy)
    response, _, _ = wire(client, "?shuffle=true", "application/msgpack", "zstd")
    assert response.headers["content-encoding"] == "zstd" and loops == [None]
