package io.github.outboundrelay.common;

import java.net.ProtocolException;

/** The relay's first bytes were a TLS record, not an SMTP greeting: the port speaks implicit TLS. */
final class TlsRecordReceivedException extends ProtocolException {
    TlsRecordReceivedException(String receivedBytes) {
        super("the relay answered with a TLS record (" + receivedBytes + ") instead of an SMTP greeting");
    }
}
