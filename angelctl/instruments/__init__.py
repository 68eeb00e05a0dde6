"""Instruments: the scrip master, its local SQLite index, symbol resolution and contract rules.

Entry points: ``sync.sync_master`` (download, validate, ingest atomically),
``store.open_index`` (the index, refreshed once per trading day when possible),
``resolve.Resolver`` (the one resolver every command uses) and ``model.Contract`` (the
typed contract with its lot size, tick size, freeze quantity and feed exchange type).

Units (docs/protocol.md#instrument-master): the master's ``strike`` is rupees ×100 (CDS ×1e7) and
``tick_size`` is paise; a ``Contract`` carries rupees. Lot sizes are units. A failed or partial
download never replaces a good index.
"""
