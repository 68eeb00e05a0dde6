"""The recording format (``feed.recording``): what is written reads back; a torn tail is skipped
and counted at any byte; a file that is not a recording is refused with a clear error."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from angelctl.feed.recording import (
    FRAME,
    LINK,
    SUBSCRIPTIONS,
    Record,
    RecordingError,
    RecordingWriter,
    encode_header,
    encode_record,
    public_url,
    read_recording,
    write_recording,
)
from angelctl.sandbox import ManualClock

records = st.lists(
    st.builds(
        Record,
        st.sampled_from([FRAME, SUBSCRIPTIONS, LINK]),
        st.integers(0, 2**62),
        st.integers(0, 2**62),
        st.binary(max_size=400),
    ),
    max_size=12,
)


@settings(max_examples=150, deadline=None)
@given(written=records, cut=st.integers(0, 10_000))
def test_any_records_truncated_at_any_byte_read_back_exactly_the_complete_ones(
    tmp_path_factory: pytest.TempPathFactory, written: list[Record], cut: int
) -> None:
    path = tmp_path_factory.mktemp("rec") / "r.rec"
    write_recording(path, {"profile": "p"}, written)
    data = path.read_bytes()
    header_size = len(encode_header({"format": "angelctl-recording", "version": 1, "profile": "p"}))
    cut = header_size + cut % (len(data) - header_size + 1)
    path.write_bytes(data[:cut])
    ends, offset = [], header_size
    for r in written:
        offset += len(encode_record(r.type, r.wall_ns, r.mono_ns, r.payload))
        ends.append(offset)
    complete = sum(1 for end in ends if end <= cut)
    got = read_recording(path)
    assert got.records == written[:complete]
    assert got.header["profile"] == "p"
    assert got.torn_records == (0 if cut in (header_size, *ends) else 1)
    assert got.torn_bytes == cut - (ends[complete - 1] if complete else header_size)


def test_a_flipped_byte_in_the_last_record_is_a_torn_tail_not_an_exception(tmp_path: Path) -> None:
    path = tmp_path / "r.rec"
    written = [Record(FRAME, 1, 2, b"a" * 51), Record(FRAME, 3, 4, b"b" * 51)]
    write_recording(path, {}, written)
    data = bytearray(path.read_bytes())
    data[-10] ^= 0xFF
    path.write_bytes(bytes(data))
    got = read_recording(path)
    assert got.records == written[:1] and got.torn_records == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such recording"),
        (b"", "is not an angelctl recording"),
        (b'{"orders": []}\n', "is not an angelctl recording"),
        (b"ANGELREC\x01\x00\xff\x00\x00\x00{", "header is damaged"),
    ],
)
def test_a_file_that_is_not_a_recording_is_refused_clearly(
    tmp_path: Path, content: bytes | None, message: str
) -> None:
    path = tmp_path / "x.rec"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(RecordingError, match=message) as caught:
        read_recording(path)
    assert caught.value.exit_status == 2


def test_the_writer_stamps_times_flushes_by_time_and_never_overwrites(tmp_path: Path) -> None:
    clock = ManualClock(datetime(2026, 3, 10, 4, 30, tzinfo=UTC))
    path = tmp_path / "w.rec"
    writer = RecordingWriter(path, {"ws_url": "ws://h/x"}, clock=clock, flush_ms=200)
    writer.subscriptions([(2, 1, "3045")])
    writer.frame(b"\x01" * 51)
    assert read_recording(path).records == []  # buffered: the flush period has not passed
    clock.advance(0.25)
    writer.poll()
    assert len(read_recording(path).records) == 2
    writer.link("disconnected")
    writer.close()
    got = read_recording(path)
    assert [r.type for r in got.records] == [SUBSCRIPTIONS, FRAME, LINK]
    assert got.records[0].json() == [[2, 1, "3045"]]
    assert got.records[2].wall == datetime(2026, 3, 10, 4, 30, 0, 250_000, tzinfo=UTC)
    assert got.records[2].mono_ns - got.records[1].mono_ns == 250_000_000
    assert got.header["created_at"] == "2026-03-10T04:30:00+00:00"
    with pytest.raises(RecordingError, match="already exists"):
        RecordingWriter(path, {}, clock=clock)


def test_public_url_keeps_no_secret() -> None:
    assert public_url("wss://user:pw@host:8443/smart-stream?feedToken=abc#x") == (
        "wss://host:8443/smart-stream"
    )
