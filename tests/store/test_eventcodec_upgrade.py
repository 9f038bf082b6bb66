"""An upload stored before ``licence_no`` existed still reads back (the column as null)."""

import pyarrow as pa
import pyarrow.ipc as ipc

from flowgraph.model import events_frame
from flowgraph.store import eventcodec


def test_blob_without_licence_no_reads_back_with_null_licence_no():
    ev = events_frame([{"event_id": "1", "event_type": "export", "date": "2024-03-05",
                        "enterprise_id": "E1", "lot_id": "L1", "mass_kg": 5.0,
                        "country": "JP", "document_ref": "D", "shipment_id": "X"}])  # fmt: skip
    table = ipc.open_stream(pa.py_buffer(eventcodec.encode_events(ev))).read_all()
    old = table.drop_columns(["licence_no"])
    sink = pa.BufferOutputStream()
    with ipc.new_stream(sink, old.schema) as writer:
        writer.write_table(old)
    back = eventcodec.decode_events([sink.getvalue().to_pybytes()], [3])
    assert back.loc[0, "licence_no"] is None and back.loc[0, "document_ref"] == "D"
    assert list(back.columns) == list(ev.columns)
