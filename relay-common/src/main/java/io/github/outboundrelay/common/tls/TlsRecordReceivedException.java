package io.github.outboundrelay.common.tls;

import java.net.ProtocolException;

/** The relay's first bytes were a TLS record, not an SMTP greeting: the port speaks implicit TLS. */
public final class TlsRecordReceivedException extends ProtocolException {
    public TlsRecordReceivedException(String receivedBytes) {
        super("the relay answered with a TLS record (" + receivedBytes + ") instead of an SMTP greeting");
    }
}
