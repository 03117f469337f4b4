package io.github.outboundrelay.common.transport;

import io.github.outboundrelay.common.redaction.PrintableText;
import io.github.outboundrelay.common.tls.TlsRecordReceivedException;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;

/**
 * A plain socket for an SMTP conversation that starts in clear text (STARTTLS and no-TLS modes), whose first bytes
 * are checked: a server greets with "220", and a TLS record header there ({@code 16 03 ..}, an alert {@code 15 03 ..})
 * means the port speaks implicit TLS. Reading on would print binary as if it were a reply, or wait for a line
 * break that never comes; this fails at once with {@link TlsRecordReceivedException} instead. Only the first two
 * bytes are looked at, so the TLS records of a later STARTTLS handshake pass untouched.
 */
public final class SmtpSocket extends Socket {
    private InputStream in; // guarded by this; one stream for every caller, so the check happens once

    @Override
    public synchronized InputStream getInputStream() throws IOException {
        if (in == null) {
            in = new FirstBytesCheck(super.getInputStream());
        }
        return in;
    }

    /** Record types 20..24 (change_cipher_spec, alert, handshake, application_data, heartbeat), version 3.x. */
    static boolean isTlsRecordHeader(int first, int second) {
        return first >= 20 && first <= 24 && second == 3;
    }

    private static final class FirstBytesCheck extends FilterInputStream {
        private static final int SHOWN_BYTES = 8;
        private final byte[] start = new byte[SHOWN_BYTES];
        private int seen;

        FirstBytesCheck(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0 && seen < 2) {
                inspect(new byte[] {(byte) b}, 0, 1);
            }
            return b;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            int n = super.read(buffer, offset, length);
            if (n > 0 && seen < 2) {
                inspect(buffer, offset, n);
            }
            return n;
        }

        private void inspect(byte[] buffer, int offset, int n) throws TlsRecordReceivedException {
            int copied = Math.min(n, SHOWN_BYTES - seen);
            System.arraycopy(buffer, offset, start, seen, copied);
            seen += copied;
            if (seen >= 2 && isTlsRecordHeader(start[0] & 0xff, start[1] & 0xff)) {
                throw new TlsRecordReceivedException(PrintableText.hex(start, 0, seen));
            }
        }
    }
}
