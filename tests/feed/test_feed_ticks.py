"""A decoded SNAP_QUOTE keeps its best five as lazy ``BookSide`` views (``feed.ticks``): no
``DepthLevel`` is built until a level is read, and the view behaves as the tuple of its levels
for every reader (renderers, equality, re-encoding, slicing)."""

from __future__ import annotations

from angelctl.feed.decode import decode
from angelctl.feed.encode import encode
from angelctl.feed.ticks import BookSide, DepthLevel, SnapQuoteTick
from tests.feed.test_feed_codec import snap


def decoded_snap() -> SnapQuoteTick:
    tick = decode(encode(snap()))
    assert isinstance(tick, SnapQuoteTick)
    return tick


def test_decoding_builds_no_depth_level_until_one_is_read() -> None:
    tick = decoded_snap()
    assert isinstance(tick.bids, BookSide) and isinstance(tick.asks, BookSide)
    assert tick.bids._levels is None and tick.asks._levels is None
    assert tick.bids[0] == DepthLevel(2, 190700, 2)
    assert tick.bids._levels is not None and tick.asks._levels is None  # one side, on demand


def test_a_view_reads_as_the_tuple_of_its_levels() -> None:
    original, tick = snap(), decoded_snap()
    assert tick.bids == original.bids and original.asks == tick.asks  # both directions
    assert tick == original and decode(encode(tick)) == tick
    assert len(tick.asks) == 5 and list(tick.asks) == list(original.asks)
    assert tick.asks[1:3] == original.asks[1:3] and tick.asks[-1].quantity == 354
    assert repr(tick.bids) == repr(original.bids)
    assert tick.bids != original.asks and tick.bids != list(original.bids)


def test_levels_are_built_once_and_kept() -> None:
    side = decoded_snap().asks
    assert side.levels() is side.levels() and side[0] is side.levels()[0]


def test_a_decoded_tick_re_encodes_to_the_same_bytes() -> None:
    data = encode(snap())
    assert encode(decode(data)) == data
