package io.github.outboundrelay.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/**
 * Where a profiled case spends its CPU: JFR's execution samples (threads running Java code), as the share of
 * samples in each area of the code (a sample counts for an area if any frame of its stack is there) and the
 * methods with the most samples on top of the stack. {@code bench/run profile CASE} prints this.
 */
public final class JfrSummary {
    /** Areas, tested on each frame's class name; a sample can be in several (MIME writing runs inside sendMessage). */
    private static final Map<String, List<String>> AREAS = new LinkedHashMap<>();

    static {
        AREAS.put("relay-common RelayClient.send (whole send)", List.of("io.github.outboundrelay.common.RelayClient#send"));
        AREAS.put("  MIME rendering (MimeRenderer.render)", List.of("io.github.outboundrelay.common.mime.MimeRenderer#"));
        AREAS.put("  mail transaction (MailTransaction: MAIL, RCPT, DATA, the message)", List.of("io.github.outboundrelay.common.transport.MailTransaction#"));
        AREAS.put("    writing the message (DataWriter: CRLF and dot-stuffing)", List.of("io.github.outboundrelay.common.transport.DataWriter#"));
        AREAS.put("    waiting for replies (SmtpReplyReader.read)", List.of("io.github.outboundrelay.common.transport.SmtpReplyReader#read"));
        AREAS.put("  Angus SMTPTransport.sendMessage (where the socket is unknown)", List.of("org.eclipse.angus.mail.smtp.SMTPTransport#sendMessage"));
        AREAS.put("    MIME writing (RenderedMessage.writeTo: CRLF and dot-stuffing in Angus's DATA stream)", List.of("io.github.outboundrelay.common.mime.RenderedMessage#writeTo"));
        AREAS.put("    waiting for replies (SMTPTransport.readServerResponse)", List.of("org.eclipse.angus.mail.smtp.SMTPTransport#readServerResponse"));
        AREAS.put("  delivery log event (DeliveryLog.record, DeliveryEvent)", List.of("io.github.outboundrelay.common.DeliveryLog#record",
                "io.github.outboundrelay.common.DeliveryEvent#"));
        AREAS.put("  recipient masking (RecipientMask)", List.of("io.github.outboundrelay.common.RecipientMask#"));
        AREAS.put("  connection pool (ConnectionPool)", List.of("io.github.outboundrelay.common.transport.ConnectionPool#"));
        AREAS.put("TLS (sun.security.ssl)", List.of("sun.security.ssl."));
        AREAS.put("crypto (com.sun.crypto, sun.security.ec, javax.crypto)", List.of("com.sun.crypto.", "sun.security.ec.", "javax.crypto."));
        AREAS.put("socket I/O (sun.nio.ch, java.net.Socket)", List.of("sun.nio.ch.", "java.net.Socket"));
        AREAS.put("queue: submit (MailQueue.submit)", List.of("io.github.outboundrelay.common.MailQueue#submit"));
        AREAS.put("queue: spool (FileSpool)", List.of("io.github.outboundrelay.common.spool.FileSpool#"));
        AREAS.put("queue: dispatcher (QueueDispatcher)", List.of("io.github.outboundrelay.common.queue.QueueDispatcher#"));
        AREAS.put("Session per message (Session.getInstance)", List.of("jakarta.mail.Session#getInstance"));
        AREAS.put("in-process STARTTLS sink (bench StartTlsSink)", List.of("io.github.outboundrelay.bench.StartTlsSink"));
        AREAS.put("JFR / GC / other JVM", List.of("jdk.jfr."));
    }

    private JfrSummary() {
    }

    public static void main(String[] args) throws IOException {
        Path file = Path.of(args[0]);
        int samples = 0;
        Map<String, Integer> self = new HashMap<>();
        Map<String, Integer> area = new LinkedHashMap<>();
        AREAS.keySet().forEach(k -> area.put(k, 0));
        for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
            if (!e.getEventType().getName().equals("jdk.ExecutionSample")) {
                continue;
            }
            RecordedStackTrace stack = e.getStackTrace();
            if (stack == null || stack.getFrames().isEmpty()) {
                continue;
            }
            samples++;
            List<RecordedFrame> frames = stack.getFrames();
            self.merge(name(frames.get(0)), 1, Integer::sum);
            Set<String> hit = new HashSet<>();
            for (RecordedFrame f : frames) {
                String n = name(f);
                for (Map.Entry<String, List<String>> a : AREAS.entrySet()) {
                    for (String prefix : a.getValue()) {
                        if (n.startsWith(prefix)) {
                            hit.add(a.getKey());
                        }
                    }
                }
            }
            hit.forEach(k -> area.merge(k, 1, Integer::sum));
        }
        System.out.printf("%n%s: %d execution samples (threads running Java code; waiting in the kernel is not sampled)%n%n", file, samples);
        System.out.println("share of samples per area (a sample counts in every area on its stack):");
        int total = Math.max(1, samples);
        area.forEach((k, v) -> System.out.printf("  %5.1f%%  %s%n", 100.0 * v / total, k));
        System.out.println("\nmost samples on top of the stack (self time):");
        self.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed()).limit(25)
                .forEach(s -> System.out.printf("  %5.1f%%  %s%n", 100.0 * s.getValue() / total, s.getKey()));
    }

    private static String name(RecordedFrame f) {
        return f.getMethod().getType().getName() + "#" + f.getMethod().getName();
    }
}
