package io.github.outboundrelay.common.failure;

import io.github.outboundrelay.common.FailureCategory;
import io.github.outboundrelay.common.RelaySettings;
import io.github.outboundrelay.common.SmtpReply;
import io.github.outboundrelay.common.SmtpStep;
import io.github.outboundrelay.common.tls.TlsPolicy;

import jakarta.mail.AuthenticationFailedException;
import jakarta.mail.MessagingException;
import jakarta.mail.SendFailedException;
import java.util.Locale;
import org.eclipse.angus.mail.smtp.SMTPAddressFailedException;
import org.eclipse.angus.mail.smtp.SMTPSendFailedException;
import org.eclipse.angus.mail.util.SocketConnectException;

/** Works out at which step an Angus Mail exception happened and hands it to {@link FailureClassifier}. */
public final class AngusFailures {
    private AngusFailures() {
    }

    /** A failure of {@code Transport.connect}: TCP, greeting, EHLO, STARTTLS or AUTH. */
    public static FailureClassifier.Failure ofConnect(MessagingException e, RelaySettings settings) {
        String message = e.getMessage() == null ? "" : e.getMessage();
        String lower = message.toLowerCase(Locale.ROOT);
        if (e instanceof AuthenticationFailedException) {
            if (lower.contains("no authentication mechanisms")) {
                return new FailureClassifier.Failure(SmtpStep.AUTH, FailureCategory.AUTH_UNAVAILABLE, false, null,
                        "the relay offers none of " + settings.authentication().mechanisms());
            }
            SmtpReply reply = SmtpReply.parse(message);
            return reply != null ? FailureClassifier.ofReply(SmtpStep.AUTH, reply)
                    : new FailureClassifier.Failure(SmtpStep.AUTH, FailureCategory.AUTH_FAILED, true, null, message);
        }
        if (lower.contains("starttls is required")) {
            return TlsPolicy.startTlsNotOffered("the relay did not offer STARTTLS");
        }
        int greeting = lower.indexOf("bad greeting");
        if (greeting >= 0) {
            int response = message.indexOf("response: ");
            SmtpReply reply = response < 0 ? null : SmtpReply.parse(message.substring(response + 10));
            if (reply != null) {
                return FailureClassifier.ofReply(SmtpStep.GREETING, reply);
            }
        }
        SmtpStep step = FailureClassifier.has(e, SocketConnectException.class) ? SmtpStep.TCP : SmtpStep.GREETING;
        return FailureClassifier.ofIo(step, e, settings.tlsMode(), settings.port());
    }

    /** A failure of {@code sendMessage}: MAIL FROM, RCPT TO, DATA, or the connection under them. */
    public static FailureClassifier.Failure ofSend(MessagingException e, RelaySettings settings) {
        if (e instanceof SMTPSendFailedException sfe && sfe.getReturnCode() > 0) {
            return FailureClassifier.ofReply(stepOf(sfe.getCommand()), replyOf(sfe.getReturnCode(), sfe.getMessage()));
        }
        SMTPAddressFailedException address = firstAddressFailure(e);
        if (address != null && address.getReturnCode() > 0) {
            return FailureClassifier.ofReply(SmtpStep.RCPT_TO, replyOf(address.getReturnCode(), address.getMessage()));
        }
        return FailureClassifier.ofIo(SmtpStep.DATA, e, settings.tlsMode(), settings.port());
    }

    static SMTPAddressFailedException firstAddressFailure(Exception e) {
        for (Exception x = e; x != null; x = x instanceof MessagingException me ? me.getNextException() : null) {
            if (x instanceof SMTPAddressFailedException afe) {
                return afe;
            }
            if (!(x instanceof SendFailedException) && x != e) {
                return null;
            }
        }
        return null;
    }

    public static SmtpReply replyOf(int code, String message) {
        SmtpReply parsed = SmtpReply.parse(message);
        return parsed != null ? parsed : new SmtpReply(code, "", message);
    }

    private static SmtpStep stepOf(String command) {
        String c = command == null ? "" : command.toUpperCase(Locale.ROOT);
        if (c.startsWith("MAIL")) {
            return SmtpStep.MAIL_FROM;
        }
        if (c.startsWith("RCPT")) {
            return SmtpStep.RCPT_TO;
        }
        return SmtpStep.DATA;
    }
}
