package io.github.outboundrelay.common.bounce;

import io.github.outboundrelay.common.BounceKind;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Each fixture under src/test/resources/bounces, as the parser must read it (the README there says where each comes from). */
class BounceReportParserTest {

    static byte[] fixture(String name) throws IOException {
        try (InputStream in = BounceReportParserTest.class.getResourceAsStream("/bounces/" + name)) {
            assertThat(in).as("fixture %s", name).isNotNull();
            return in.readAllBytes();
        }
    }

    static BounceReport single(String name) throws IOException {
        List<BounceReport> reports = BounceReportParser.parse(fixture(name));
        assertThat(reports).as(name).hasSize(1);
        return reports.get(0);
    }

    @Test
    void postfixUnknownUserIsAHardBounceWithTheReturnedMessageId() throws IOException {
        assertThat(single("postfix-unknown-user.eml")).isEqualTo(new BounceReport(BounceKind.HARD, "nobody@example.org",
                "5.1.1", "550 5.1.1 <nobody@example.org>: Recipient address rejected: User unknown",
                "<reset-4711@relay.example.net>", "mail.example.net"));
    }

    @Test
    void microsoft365NdrReadsTheBlockAfterBlankLinesAndTheHeadersOnlyReturn() throws IOException {
        BounceReport r = single("m365-ndr.eml");
        assertThat(r.kind()).isEqualTo(BounceKind.HARD);
        assertThat(r.recipient()).isEqualTo("ghost@fabrikam.example");
        assertThat(r.status()).isEqualTo("5.1.10");
        assertThat(r.diagnostic()).startsWith("550 5.1.10 RESOLVER.ADR.RecipientNotFound");
        assertThat(r.originalMessageId()).isEqualTo("<welcome-42@relay.contoso.example>");
        assertThat(r.reportingMta()).isEqualTo("BN8PR04MB1234.namprd04.prod.outlook.com");
    }

    @Test
    void gmailFoldedDiagnosticBecomesOneLineAndTheAddressIsLowerCased() throws IOException {
        BounceReport r = single("gmail-no-such-user.eml");
        assertThat(r.kind()).isEqualTo(BounceKind.HARD);
        assertThat(r.recipient()).isEqualTo("nosuchuser@example.edu");
        assertThat(r.status()).isEqualTo("5.1.1");
        assertThat(r.diagnostic()).startsWith("550-5.1.1 The email account that you tried to reach does not exist. Please try 550-5.1.1")
                .doesNotContain("\n");
        assertThat(r.originalMessageId()).isEqualTo("<job-17-build-3@ci.example.com>");
        assertThat(r.reportingMta()).isEqualTo("googlemail.com");
    }

    @Test
    void amazonSesBounce() throws IOException {
        BounceReport r = single("ses-bounce.eml");
        assertThat(r).isEqualTo(new BounceReport(BounceKind.HARD, "bounce@simulator.amazonses.com", "5.1.1",
                "550 5.1.1 user unknown", "<0100018c3a1b2c3d-original-id@email.amazonses.com>", "a8-55.smtp-out.amazonses.com"));
        assertThat(r.suppresses()).isTrue();
    }

    @Test
    void amazonSesComplaintIsAComplaintForTheOriginalRecipient() throws IOException {
        BounceReport r = single("ses-complaint.eml");
        assertThat(r).isEqualTo(new BounceReport(BounceKind.COMPLAINT, "complaint@simulator.amazonses.com", "",
                "feedback type abuse", "<verify-99@keycloak.example.com>", ""));
        assertThat(r.suppresses()).isTrue();
    }

    @Test
    void rfc5965ExampleIsAComplaint() throws IOException {
        BounceReport r = single("rfc5965-abuse.eml");
        assertThat(r.kind()).isEqualTo(BounceKind.COMPLAINT);
        assertThat(r.recipient()).isEqualTo("user@example.com");
        assertThat(r.reportingMta()).isEqualTo("mail.example.com");
        assertThat(r.originalMessageId()).isEqualTo("8787KJKJ3K4J3K4J3K4J3.mail@example.net");
    }

    @Test
    void microsoftJmrpWithoutOriginalRcptToTakesTheReturnedMailsSingleTo() throws IOException {
        BounceReport r = single("jmrp-complaint-no-rcpt.eml");
        assertThat(r.kind()).isEqualTo(BounceKind.COMPLAINT);
        assertThat(r.recipient()).isEqualTo("somebody@outlook.example");
        assertThat(r.originalMessageId()).isEqualTo("<weekly-7@relay.example.com>");
    }

    @Test
    void oneReportPerRecipientDelayedAndMailboxFullAreSoftAndTheDiagnosticCodeRefinesAGenericStatus() throws IOException {
        List<BounceReport> reports = BounceReportParser.parse(fixture("delayed-and-failed.eml"));
        assertThat(reports).extracting(BounceReport::kind, BounceReport::recipient, BounceReport::status)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(BounceKind.SOFT, "later@example.org", "4.4.7"),
                        org.assertj.core.groups.Tuple.tuple(BounceKind.SOFT, "full@example.org", "5.2.2"),
                        org.assertj.core.groups.Tuple.tuple(BounceKind.HARD, "gone@example.org", "5.0.0"));
        assertThat(reports).allSatisfy(r -> assertThat(r.originalMessageId()).isEqualTo("<weekly-8@relay.example.net>"));
        assertThat(reports.get(0).suppresses()).isFalse();
    }

    @Test
    void aReportWithoutItsStatusPartIsUnknownAndSaysWhy() throws IOException {
        BounceReport r = single("malformed-no-status-part.eml");
        assertThat(r.kind()).isEqualTo(BounceKind.UNKNOWN);
        assertThat(r.recipient()).isEmpty();
        assertThat(r.diagnostic()).contains("without a message/delivery-status part");
        assertThat(r.originalMessageId()).isEqualTo("<lost-3@relay.example.net>");
        assertThat(r.suppresses()).isFalse();
    }

    @Test
    void aStatusBlockWithoutRecipientIsUnknown() throws IOException {
        BounceReport r = single("malformed-no-recipient.eml");
        assertThat(r.kind()).isEqualTo(BounceKind.UNKNOWN);
        assertThat(r.diagnostic()).contains("names no recipient");
        assertThat(r.reportingMta()).isEqualTo("broken.example");
    }

    /** The forwarded case VERP exists for: we sent to an alias, the report names where the alias led. */
    @Test
    void aReportReturnedToAVerpAddressIsAboutTheRecipientThatAddressNamesWhateverItSays() throws IOException {
        String report = new String(fixture("postfix-unknown-user.eml"), StandardCharsets.UTF_8);
        byte[] toVerp = report.replace("To: relay@example.net", "To: relay+alias=example.com@example.net")
                .getBytes(StandardCharsets.UTF_8);
        byte[] deliveredTo = ("Delivered-To: RELAY+alias=example.com@example.net\r\n" + report).getBytes(StandardCharsets.UTF_8);

        for (byte[] raw : List.of(toVerp, deliveredTo)) {
            BounceReport r = BounceReportParser.parse(raw, "relay@example.net").get(0);
            assertThat(r.recipient()).isEqualTo("alias@example.com");
            assertThat(r.kind()).isEqualTo(BounceKind.HARD);
            assertThat(r.status()).isEqualTo("5.1.1");
        }
        assertThat(BounceReportParser.parse(toVerp, null).get(0).recipient()).as("VERP off").isEqualTo("nobody@example.org");
        assertThat(BounceReportParser.parse(fixture("postfix-unknown-user.eml"), "relay@example.net").get(0).recipient())
                .as("returned to the plain sender").isEqualTo("nobody@example.org");
    }

    @Test
    void aPlainTextBounceToAVerpAddressNamesItsRecipientButIsStillNotGuessedAt() throws IOException {
        String text = new String(fixture("qmail-plain-text.eml"), StandardCharsets.UTF_8);
        byte[] raw = ("Delivered-To: bounces+ghost=example.org@mailbox.test\r\n" + text).getBytes(StandardCharsets.UTF_8);

        BounceReport r = BounceReportParser.parse(raw, "bounces@mailbox.test").get(0);

        assertThat(r.kind()).as("an auto-reply to the same address must not count as a bounce").isEqualTo(BounceKind.UNKNOWN);
        assertThat(r.recipient()).isEqualTo("ghost@example.org");
        assertThat(r.suppresses()).isFalse();
    }

    @Test
    void aPlainTextBounceIsNotGuessedAt() throws IOException {
        BounceReport r = single("qmail-plain-text.eml");
        assertThat(r.kind()).isEqualTo(BounceKind.UNKNOWN);
        assertThat(r.diagnostic()).contains("not a multipart/report");
        assertThat(r.recipient()).isEmpty();
    }

    @Test
    void garbageAndABrokenBoundaryAreUnknownNeverAnException() {
        assertThat(BounceReportParser.parse("\u0000\u0001 not mail at all".getBytes(StandardCharsets.ISO_8859_1)))
                .singleElement().extracting(BounceReport::kind).isEqualTo(BounceKind.UNKNOWN);
        byte[] unterminated = ("Content-Type: multipart/report; report-type=delivery-status; boundary=\"Z\"\n\n--Z\n"
                + "Content-Type: message/delivery-status\n\nFinal-Recipient: rfc822; a@b.example\n").getBytes(StandardCharsets.US_ASCII);
        List<BounceReport> reports = BounceReportParser.parse(unterminated);
        assertThat(reports).isNotEmpty();
        assertThat(reports).allSatisfy(r -> assertThat(r.kind()).isEqualTo(BounceKind.UNKNOWN));
    }

    @Test
    void aSuccessNotificationIsNotABounce() {
        byte[] delivered = ("Content-Type: multipart/report; report-type=delivery-status; boundary=\"Z\"\n\n--Z\n"
                + "Content-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example\n\n"
                + "Final-Recipient: rfc822; happy@example.org\nAction: delivered\nStatus: 2.0.0\n\n--Z--\n")
                .getBytes(StandardCharsets.US_ASCII);
        BounceReport r = BounceReportParser.parse(delivered).get(0);
        assertThat(r.kind()).isEqualTo(BounceKind.UNKNOWN);
        assertThat(r.recipient()).isEqualTo("happy@example.org");
        assertThat(r.suppresses()).isFalse();
    }
}
