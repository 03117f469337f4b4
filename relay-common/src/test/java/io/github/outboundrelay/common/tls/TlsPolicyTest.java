package io.github.outboundrelay.common.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.outboundrelay.common.Authentication;
import io.github.outboundrelay.common.FailureCategory;
import io.github.outboundrelay.common.InvalidInputException;
import io.github.outboundrelay.common.Secret;
import io.github.outboundrelay.common.TlsMode;

import java.util.List;
import java.util.Properties;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;

/** The rules one by one; the hostile-server tests (FailureCategoriesTest, StartTlsRelayTest) prove them on sockets. */
class TlsPolicyTest {
    private static final Authentication PASSWORD = new Authentication.Password("user", Secret.of("pw"),
            List.of(Authentication.PasswordMechanism.PLAIN, Authentication.PasswordMechanism.LOGIN));

    @Test
    void starttlsModeNeverFallsBackToPlaintext() throws Exception {
        for (String protocol : List.of("smtp", "imap")) {
            Properties angus = new Properties();
            TlsPolicy.applyTo(angus, protocol, TlsMode.STARTTLS, new TlsSocketFactory(SSLContext.getDefault().getSocketFactory()));
            assertEquals("true", angus.get("mail." + protocol + ".starttls.required"));
            assertEquals("true", angus.get("mail." + protocol + ".ssl.checkserveridentity"));
            assertEquals("false", angus.get("mail." + protocol + ".ssl.socketFactory.fallback"));
            assertEquals("TLSv1.3 TLSv1.2", angus.get("mail." + protocol + ".ssl.protocols"));
        }
    }

    @Test
    void implicitTlsIsOnForTheProtocolItIsAppliedTo() throws Exception {
        Properties angus = new Properties();
        TlsPolicy.applyTo(angus, "imaps", TlsMode.IMPLICIT_TLS, new TlsSocketFactory(SSLContext.getDefault().getSocketFactory()));
        assertEquals("true", angus.get("mail.imaps.ssl.enable"));
        assertNull(angus.get("mail.imaps.starttls.enable"));
        assertNull(angus.get("mail.smtp.ssl.enable"), "nothing spills into another protocol");
    }

    @Test
    void aStartTlsModeConnectionThatEndedUpInPlaintextIsRefused() {
        assertEquals(FailureCategory.STARTTLS_UNAVAILABLE, TlsPolicy.requireEncrypted(TlsMode.STARTTLS, false).category());
        assertNull(TlsPolicy.requireEncrypted(TlsMode.STARTTLS, true));
        assertNull(TlsPolicy.requireEncrypted(TlsMode.NONE, false));
    }

    @Test
    void startTlsIsRecognisedOnlyAsTheCapabilityKeyword() {
        assertTrue(TlsPolicy.offersStartTls(List.of("PIPELINING", "starttls")));
        assertFalse(TlsPolicy.offersStartTls(List.of("X-STARTTLS", "SIZE 1000")));
    }

    @Test
    void noOfferedAuthMeansNothingIsSent() {
        assertEquals(FailureCategory.AUTH_UNAVAILABLE, TlsPolicy.requireAuthOffered(PASSWORD, List.of()).category());
        assertEquals(FailureCategory.AUTH_UNAVAILABLE,
                TlsPolicy.requireAuthOffered(PASSWORD, TlsPolicy.offeredMechanisms(List.of("AUTH CRAM-MD5"))).category());
        assertNull(TlsPolicy.requireAuthOffered(Authentication.NONE, List.of()));
    }

    @Test
    void bothAuthCapabilityFormsAreRead() {
        assertEquals(List.of("LOGIN", "PLAIN"), TlsPolicy.offeredMechanisms(List.of("AUTH login PLAIN", "AUTH=LOGIN")));
        assertEquals("LOGIN", TlsPolicy.chooseMechanism(PASSWORD, TlsPolicy.offeredMechanisms(List.of("AUTH=LOGIN"))));
    }

    @Test
    void credentialsNeverCrossThePlaintextNetworkUnlessAllowed() {
        assertThrows(InvalidInputException.class, () -> TlsPolicy.checkCredentialsProtected(TlsMode.NONE, PASSWORD, false));
        TlsPolicy.checkCredentialsProtected(TlsMode.NONE, PASSWORD, true);
        TlsPolicy.checkCredentialsProtected(TlsMode.STARTTLS, PASSWORD, false);
    }
}
