"""Remote write and remote read: the protobuf + snappy protocol, the receiver and (later) the sender."""
