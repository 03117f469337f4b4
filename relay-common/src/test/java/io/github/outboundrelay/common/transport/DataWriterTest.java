package io.github.outboundrelay.common.transport;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.eclipse.angus.mail.smtp.SMTPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DataWriterTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "a dot starting the message is doubled|.hidden|..hidden\\r\\n",
            "a dot starting a line is doubled|a\\r\\n.b\\r\\n|a\\r\\n..b\\r\\n",
            "a dot inside a line is left alone|a.b.\\r\\n|a.b.\\r\\n",
            "a lone dot line is doubled|a\\r\\n.\\r\\nb\\r\\n|a\\r\\n..\\r\\nb\\r\\n",
            "a dot at the very end is doubled and its line ended|a\\r\\n.|a\\r\\n..\\r\\n",
            "a bare LF becomes CRLF|a\\nb\\n|a\\r\\nb\\r\\n",
            "a bare CR becomes CRLF|a\\rb\\r|a\\r\\nb\\r\\n",
            "a dot after a bare LF is doubled|a\\n.b|a\\r\\n..b\\r\\n",
            "a dot after a bare CR is doubled|a\\r.b|a\\r\\n..b\\r\\n",
            "CR CR LF is two line ends|a\\r\\r\\nb|a\\r\\n\\r\\nb\\r\\n",
            "LF CR is two line ends|a\\n\\rb|a\\r\\n\\r\\nb\\r\\n",
            "an open last line is ended|no line end|no line end\\r\\n",
            "two dots at a line start become three|..x|...x\\r\\n",
    })
    void writesWhatTheRfcAsks(String name, String input, String expected) throws IOException {
        assertThat(written(unescape(input), 16 * 1024, 1 << 20)).isEqualTo(unescape(expected));
    }

    @Test
    void anEmptyMessageWritesNothing() throws IOException {
        assertThat(written("", 16, 16)).isEmpty();
    }

    @Test
    void writesExactlyWhatAngusWritesForEveryMessageBufferSizeAndSplitOfTheWrites() throws IOException {
        Random random = new Random(5321);
        byte[] alphabet = {'.', '.', '\r', '\n', 'a', 'b', ' ', '\t', (byte) 0xC3, (byte) 0xA9};
        for (int i = 0; i < 4000; i++) {
            byte[] message = new byte[random.nextInt(120)];
            for (int j = 0; j < message.length; j++) {
                message[j] = alphabet[random.nextInt(alphabet.length)];
            }
            byte[] angus = angus(message);
            int buffer = 2 + random.nextInt(40);
            int chunk = 1 + random.nextInt(30);
            assertThat(writtenBytes(message, buffer, chunk)).as("message %d, buffer %d, writes of %d", i, buffer, chunk)
                    .isEqualTo(angus);
        }
    }

    /**
     * Lines long enough for the eight-byte steps of the line-end search, each ending in CRLF, LF or CR and starting
     * with a dot now and then, non-ASCII bytes among them, written in every split: what Angus writes.
     */
    @Test
    void messagesOfLongLinesAreWrittenAsAngusWritesThem() throws IOException {
        Random random = new Random(20261203);
        String[] ends = {"\r\n", "\r\n", "\r\n", "\n", "\r", ""};
        for (int i = 0; i < 1500; i++) {
            StringBuilder text = new StringBuilder();
            int lines = random.nextInt(8);
            for (int l = 0; l < lines; l++) {
                if (random.nextInt(4) == 0) {
                    text.append('.');
                }
                int length = random.nextInt(40);
                for (int c = 0; c < length; c++) {
                    text.append("abc xyz\t\u00e9.".charAt(random.nextInt(10)));
                }
                text.append(ends[random.nextInt(ends.length)]);
            }
            byte[] message = text.toString().getBytes(StandardCharsets.UTF_8);
            int buffer = 2 + random.nextInt(200);
            int chunk = 1 + random.nextInt(message.length + 1);
            assertThat(writtenBytes(message, buffer, chunk)).as("message %d, buffer %d, writes of %d", i, buffer, chunk)
                    .isEqualTo(angus(message));
        }
    }

    @Test
    void everyTwoByteBoundaryCaseAtEveryBufferEdge() throws IOException {
        String[] pieces = {"x", ".", "\r", "\n", "\r\n"};
        for (String a : pieces) {
            for (String b : pieces) {
                for (String c : pieces) {
                    byte[] message = ("ab" + a + b + c + "yz").getBytes(StandardCharsets.US_ASCII);
                    for (int buffer = 2; buffer <= 12; buffer++) {
                        for (int chunk = 1; chunk <= message.length; chunk++) {
                            assertThat(writtenBytes(message, buffer, chunk)).isEqualTo(angus(message));
                        }
                    }
                }
            }
        }
    }

    @Test
    void aMessageSmallerThanTheBufferReachesTheSinkInOneWriteAtFinish() throws IOException {
        List<Integer> writes = new ArrayList<>();
        DataWriter writer = new DataWriter((bytes, length) -> writes.add(length));
        byte[] message = ".line\r\n".repeat(500).getBytes(StandardCharsets.US_ASCII);
        writer.write(message, 0, message.length);
        writer.flush();
        assertThat(writes).isEmpty(); // flush is not the end: the message waits for finish()

        writer.finish();

        assertThat(writes).containsExactly(message.length + 500);
    }

    @Test
    void endSendsTheMessageAndTheFinalDotInOneWrite() throws IOException {
        for (String[] c : new String[][] {{"abc", "abc\r\n.\r\n"}, {"x\r\n", "x\r\n.\r\n"}, {"", ".\r\n"},
                {".\n", "..\r\n.\r\n"}}) {
            List<String> writes = new ArrayList<>();
            DataWriter writer = new DataWriter((bytes, length) -> writes.add(new String(bytes, 0, length, StandardCharsets.US_ASCII)));
            byte[] message = c[0].getBytes(StandardCharsets.US_ASCII);
            writer.write(message, 0, message.length);
            writer.end();
            assertThat(writes).as(c[0]).containsExactly(c[1]);
        }
    }

    @Test
    void aLargeMessageGoesOutInBufferSizedWrites() throws IOException {
        List<Integer> writes = new ArrayList<>();
        DataWriter writer = new DataWriter((bytes, length) -> writes.add(length), 1024);
        byte[] message = "x".repeat(5000).getBytes(StandardCharsets.US_ASCII);
        writer.write(message, 0, message.length);
        writer.finish();

        assertThat(writes).containsExactly(1024, 1024, 1024, 1024, 906);
    }

    private static byte[] angus(byte[] message) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        SMTPOutputStream angus = new SMTPOutputStream(out);
        angus.write(message, 0, message.length);
        angus.ensureAtBOL();
        return out.toByteArray();
    }

    private static String written(String message, int buffer, int chunk) throws IOException {
        return new String(writtenBytes(message.getBytes(StandardCharsets.ISO_8859_1), buffer, chunk), StandardCharsets.ISO_8859_1);
    }

    private static byte[] writtenBytes(byte[] message, int buffer, int chunk) throws IOException {
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        DataWriter writer = new DataWriter((bytes, length) -> sink.write(bytes, 0, length), buffer);
        for (int off = 0; off < message.length; off += chunk) {
            int n = Math.min(chunk, message.length - off);
            if (n == 1) {
                writer.write(message[off]);
            } else {
                writer.write(message, off, n);
            }
        }
        writer.finish();
        return sink.toByteArray();
    }

    private static String unescape(String s) {
        return s.replace("\\r", "\r").replace("\\n", "\n");
    }
}
