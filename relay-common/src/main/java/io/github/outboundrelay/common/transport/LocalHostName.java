package io.github.outboundrelay.common.transport;

import io.github.outboundrelay.common.MailAddress;

import java.io.IOException;
import java.net.InetAddress;

/**
 * This host's fully qualified name, looked up once: the EHLO name and the Message-ID domain when the settings name
 * neither. A lookup can be slow on a host with broken DNS, so it happens at most once per JVM.
 */
public final class LocalHostName {
    private LocalHostName() {
    }

    /** The FQDN, or an address literal such as {@code [10.0.0.5]} when the host has no dotted name. */
    public static String ehloName() {
        return Holder.EHLO_NAME;
    }

    /** A domain for Message-IDs: the FQDN, or {@code localhost.localdomain} when there is none. */
    public static String messageIdDomain() {
        return Holder.EHLO_NAME.startsWith("[") ? "localhost.localdomain" : Holder.EHLO_NAME;
    }

    private static final class Holder {
        static final String EHLO_NAME = lookUp();

        private static String lookUp() {
            try {
                InetAddress local = InetAddress.getLocalHost();
                String name = local.getCanonicalHostName();
                return name.contains(".") && MailAddress.isAscii(name) ? name : "[" + local.getHostAddress() + "]";
            } catch (IOException e) {
                return "[127.0.0.1]";
            }
        }
    }
}
