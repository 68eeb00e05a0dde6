"""The WebSocket framing (``feed.framing``, an adapter over wsproto): every kind of frame the
feeds may meet, each protocol error the parser must refuse and the writer must not build, and a
Hypothesis property: any message, fragmented anyhow and fed in any chunks, comes out whole and
identical, with interleaved control frames in their place."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from angelctl.feed.framing import (
    BinaryMessage,
    CloseReceived,
    Event,
    FrameParser,
    FrameWriter,
    LocalProtocolError,
    MessageTooBig,
    Ping,
    Pong,
    RemoteProtocolError,
    TextMessage,
    close_code_allowed,
)

KEY = b"\x01\x02\x03\x04"


def masked(frame: bytes) -> bytes:
    """A client's version of a short hand-made frame: mask bit set, payload masked with KEY."""
    payload = bytes(b ^ KEY[i % 4] for i, b in enumerate(frame[2:]))
    return bytes([frame[0], frame[1] | 0x80]) + KEY + payload


def unmask(frame: bytes) -> bytes:
    """The payload of a short masked frame (header 2 bytes, then the key)."""
    key = frame[2:6]
    return bytes(b ^ key[i % 4] for i, b in enumerate(frame[6:]))


def server_writer() -> FrameWriter:
    return FrameWriter(role="server")


def raw(b0: int, payload: bytes, *, length_byte: int | None = None) -> bytes:
    """A hand-made unmasked frame (for frames the writer refuses to build)."""
    return bytes([b0, len(payload) if length_byte is None else length_byte]) + payload


def parse_all(data: bytes, **options: int) -> list[Event]:
    return FrameParser(**options).feed(data)  # type: ignore[arg-type]


# ------------------------------------------------------------------------- parsing


@pytest.mark.parametrize("size", [0, 1, 125, 126, 65535, 65536, 70000])
def test_binary_frames_of_each_length_encoding_round_trip(size: int) -> None:
    payload = bytes(i % 251 for i in range(size))
    assert parse_all(server_writer().binary(payload)) == [BinaryMessage(payload)]


def test_many_frames_in_one_chunk_come_out_in_order_and_are_counted() -> None:
    w = server_writer()
    data = w.binary(b"a") + w.text("b") + w.ping(b"p") + w.pong(b"q") + w.binary(b"c" * 300)
    parser = FrameParser()
    assert parser.feed(data) == [
        BinaryMessage(b"a"),
        TextMessage("b"),
        Ping(b"p"),
        Pong(b"q"),
        BinaryMessage(b"c" * 300),
    ]
    assert parser.frames == 5


def test_a_frame_split_byte_by_byte_comes_out_once_at_its_last_byte() -> None:
    data = server_writer().binary(b"x" * 200)  # a 16-bit length: the header itself is split
    parser = FrameParser()
    out = [parser.feed(data[i : i + 1]) for i in range(len(data))]
    assert out[:-1] == [[]] * (len(data) - 1)
    assert out[-1] == [BinaryMessage(b"x" * 200)]


def test_fragments_are_joined_and_control_frames_between_them_come_first() -> None:
    w = server_writer()
    data = (
        w.message("hé", fin=False)
        + w.ping(b"1")
        + w.message("llo ", fin=False)
        + w.pong(b"2")
        + w.message("wörld")
    )
    assert parse_all(data) == [Ping(b"1"), Pong(b"2"), TextMessage("héllo wörld")]


def test_a_text_message_split_inside_a_utf8_sequence_is_still_valid() -> None:
    encoded = "€".encode()
    data = raw(0x01, encoded[:1]) + raw(0x80, encoded[1:])
    assert parse_all(data) == [TextMessage("€")]


def test_a_close_frame_ends_the_parser_and_later_bytes_are_discarded() -> None:
    w = server_writer()
    parser = FrameParser()
    out = parser.feed(w.binary(b"a") + w.close(1001, "going") + w.binary(b"late"))
    assert out == [BinaryMessage(b"a"), CloseReceived(1001, "going")]
    assert parser.finished and parser.feed(w.binary(b"more")) == []


def test_an_empty_close_frame_has_no_code() -> None:
    assert parse_all(server_writer().close(None)) == [CloseReceived(None, "")]


BAD_SERVER_FRAMES = {
    "masked frame from a server": masked(raw(0x82, b"x")),
    "RSV1 set": raw(0xC2, b"x"),
    "RSV3 set": raw(0x92, b"x"),
    "reserved data opcode 0x3": raw(0x83, b"x"),
    "reserved control opcode 0xb": raw(0x8B, b"x"),
    "continuation with no message open": raw(0x80, b"x"),
    "binary inside an open text message": raw(0x01, b"a") + raw(0x82, b"b"),
    "text inside an open binary message": raw(0x02, b"a") + raw(0x81, b"b"),
    "fragmented ping": raw(0x09, b"x"),
    "ping of 126 bytes": bytes([0x89, 126, 0, 126]) + b"x" * 126,
    "16-bit length that fits in 7 bits": bytes([0x82, 126, 0, 5]) + b"x" * 5,
    "64-bit length that fits in 16 bits": bytes([0x82, 127]) + (300).to_bytes(8, "big"),
    "64-bit length with the MSB set": bytes([0x82, 127]) + (1 << 63).to_bytes(8, "big"),
    "close with a 1-byte payload": raw(0x88, b"\x03"),
    "close code 1005 (local only)": raw(0x88, (1005).to_bytes(2, "big")),
    "close code 999": raw(0x88, (999).to_bytes(2, "big")),
    "close code 2000 (reserved, unassigned)": raw(0x88, (2000).to_bytes(2, "big")),
    "close code 5000": raw(0x88, (5000).to_bytes(2, "big")),
}
BAD_UTF8_FRAMES = {
    "close reason not UTF-8": raw(0x88, (1000).to_bytes(2, "big") + b"\xff"),
    "text not UTF-8": raw(0x81, b"\xc3\x28"),
    "text cut inside a UTF-8 sequence": raw(0x81, "€".encode()[:2]),
}


@pytest.mark.parametrize("frame", BAD_SERVER_FRAMES.values(), ids=BAD_SERVER_FRAMES.keys())
def test_each_bad_server_frame_is_a_remote_protocol_error(frame: bytes) -> None:
    parser = FrameParser()
    with pytest.raises(RemoteProtocolError) as caught:
        parser.feed(frame)
    assert caught.value.close_code == 1002 and not isinstance(caught.value, MessageTooBig)
    assert parser.finished and parser.feed(raw(0x82, b"ok")) == []


@pytest.mark.parametrize("frame", BAD_UTF8_FRAMES.values(), ids=BAD_UTF8_FRAMES.keys())
def test_text_that_is_not_utf8_is_a_remote_protocol_error_with_code_1007(frame: bytes) -> None:
    with pytest.raises(RemoteProtocolError) as caught:
        parse_all(frame)
    assert caught.value.close_code == 1007


def test_an_oversize_frame_is_refused_once_its_pieces_pass_the_limit() -> None:
    parser = FrameParser(max_message_bytes=70_000)
    header = bytes([0x82, 127]) + (1 << 40).to_bytes(8, "big")  # 1 TiB announced
    assert parser.feed(header + b"x" * 70_000) == []  # at the limit: held, not refused
    with pytest.raises(MessageTooBig) as caught:
        parser.feed(b"x")
    assert caught.value.close_code == 1009 and caught.value.size == 70_001
    assert parser.finished


def test_a_small_limit_applies_to_short_frames_too() -> None:
    with pytest.raises(MessageTooBig):
        FrameParser(max_message_bytes=10).feed(raw(0x82, b"x" * 11))
    assert FrameParser(max_message_bytes=10).feed(raw(0x82, b"x" * 10)) == [
        BinaryMessage(b"x" * 10)
    ]


def test_fragments_that_add_up_past_the_limit_are_refused() -> None:
    parser = FrameParser(max_message_bytes=100)
    assert parser.feed(raw(0x02, b"x" * 60) + raw(0x89, b"ping")) == [Ping(b"ping")]
    assert parser.feed(raw(0x00, b"x" * 40)) == []  # 100 in all: still allowed
    with pytest.raises(MessageTooBig) as caught:
        parser.feed(raw(0x80, b"x"))  # 101
    assert caught.value.size == 101


def test_a_server_parser_unmasks_client_frames_and_refuses_unmasked_ones() -> None:
    client = FrameWriter()
    parser = FrameParser(role="server")
    data = client.text("subscribe") + client.binary(b"\x00" * 300) + client.ping(b"hb")
    assert parser.feed(data) == [
        TextMessage("subscribe"),
        BinaryMessage(b"\x00" * 300),
        Ping(b"hb"),
    ]
    with pytest.raises(RemoteProtocolError, match="unmasked"):
        FrameParser(role="server").feed(raw(0x82, b"x"))


# ------------------------------------------------------------------------- writing


def test_client_frames_are_masked_and_server_frames_are_not() -> None:
    frame = FrameWriter().text("Hello")
    assert frame[:2] == bytes([0x81, 0x80 | 5]) and unmask(frame) == b"Hello"
    assert server_writer().text("Hello") == b"\x81\x05Hello"  # RFC 6455 §5.7's example


def test_each_client_frame_gets_a_fresh_key() -> None:
    writer = FrameWriter()
    keys = {writer.binary(b"ab")[2:6] for _ in range(8)}
    assert len(keys) == 8  # 32-bit random keys: a repeat in 8 draws is ~1e-8


@pytest.mark.parametrize(
    ("build", "words"),
    [
        (lambda w: w.ping(b"x" * 126), "control payload of 126 bytes"),
        (lambda w: w.pong(b"x" * 200), "control payload of 200 bytes"),
        (lambda w: w.close(1000, "r" * 124), "control payload of 126 bytes"),
        (lambda w: w.close(1005), "close code 1005"),
        (lambda w: w.close(999), "close code 999"),
        (lambda w: w.close(None, "why"), "needs a close code"),
        (lambda w: (w.message("a", fin=False), w.binary(b"b")), "text and binary mixed"),
        (lambda w: FrameWriter(max_message_bytes=3).binary(b"abcd"), "exceeds 3"),
    ],
)
def test_each_bad_frame_we_are_asked_to_build_is_a_local_protocol_error(
    build: object, words: str
) -> None:
    with pytest.raises(LocalProtocolError, match=words):
        build(FrameWriter())  # type: ignore[operator]


def test_close_codes_allowed_on_the_wire() -> None:
    allowed = [c for c in range(0, 5100) if close_code_allowed(c)]
    assert allowed[:4] == [1000, 1001, 1002, 1003] and 1004 not in allowed
    assert 1005 not in allowed and 1006 not in allowed and 1015 not in allowed
    assert allowed[-1] == 4999 and 3000 in allowed and 2999 not in allowed


def test_a_fragmented_message_can_be_written_after_a_finished_one() -> None:
    w = server_writer()
    data = w.binary(b"1") + w.message(b"2", fin=False) + w.message(b"3")
    assert parse_all(data + w.close(None)) == [
        BinaryMessage(b"1"),
        BinaryMessage(b"23"),
        CloseReceived(None),
    ]


# ------------------------------------------------------------------------- property

_messages = st.one_of(
    st.binary(max_size=70_000).map(BinaryMessage),
    st.text(max_size=300).map(TextMessage),
)


@settings(max_examples=150, deadline=None)
@given(
    message=_messages,
    cuts=st.lists(st.integers(min_value=0, max_value=70_000), max_size=6),
    pings=st.lists(st.binary(max_size=125), max_size=6),
    chunk_sizes=st.lists(st.integers(min_value=1, max_value=4096), min_size=1, max_size=20),
    role=st.sampled_from(["client", "server"]),
)
def test_any_fragmentation_and_any_chunking_gives_back_the_same_message(
    message: BinaryMessage | TextMessage,
    cuts: list[int],
    pings: list[bytes],
    chunk_sizes: list[int],
    role: str,
) -> None:
    whole: str | bytes = message.data if isinstance(message, BinaryMessage) else message.text
    bounds = sorted({0, len(whole), *(c % (len(whole) + 1) for c in cuts)})
    parts = [whole[a:b] for a, b in itertools.pairwise(bounds)] or [whole]
    writer = FrameWriter(role="server" if role == "client" else "client")
    stream = b""
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        stream += writer.message(part, fin=last)
        if not last and i < len(pings):
            stream += writer.ping(pings[i])
    parser = FrameParser(role=role, max_message_bytes=1 << 17)  # type: ignore[arg-type]
    events: list[Event] = []
    sizes = itertools.cycle(chunk_sizes)
    pos = 0
    while pos < len(stream):
        step = next(sizes)
        events += parser.feed(stream[pos : pos + step])
        pos += step
    expected_pings = [Ping(p) for p in pings[: len(parts) - 1]]
    assert events == [*expected_pings, message]
    assert parser.frames == len(parts) + len(expected_pings)
