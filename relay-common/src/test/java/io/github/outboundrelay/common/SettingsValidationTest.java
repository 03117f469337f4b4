package io.github.outboundrelay.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** Every bad setting is refused with the field's name and a fix a person can follow. */
class SettingsValidationTest {

    static RelaySettings.Builder valid() {
        return RelaySettings.builder().host("smtp.example.com");
    }

    static InvalidInputException refused(Supplier<?> build) {
        InvalidInputException e = catchThrowableOfType(InvalidInputException.class, build::get);
        assertThat(e).as("must be refused").isNotNull();
        assertThat(e.fix()).isNotBlank();
        return e;
    }

    @Test
    void defaultsAreStartTlsOn587WithBoundedTimeoutsAndMasking() {
        RelaySettings s = valid().build();
        assertThat(s.tlsMode()).isEqualTo(TlsMode.STARTTLS);
        assertThat(s.port()).isEqualTo(587);
        assertThat(s.timeouts()).isEqualTo(new Timeouts(Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(30)));
        assertThat(s.maskRecipients()).isTrue();
        assertThat(s.trust().source()).isEqualTo(TrustSettings.Source.JVM_DEFAULT);
        assertThat(valid().tlsMode(TlsMode.IMPLICIT_TLS).build().port()).isEqualTo(465);
    }

    @Test
    void hostMustBeABareHostName() {
        assertThat(refused(() -> valid().host("").build()).field()).isEqualTo("host");
        assertThat(refused(() -> valid().host("smtp://smtp.example.com").build()).fix()).contains("without smtp://");
        assertThat(refused(() -> valid().host("smtp.example.com:587").build()).fix()).contains("port field");
        assertThat(refused(() -> valid().host("smtp.example.com\r\nRCPT TO:<x@y>").build()).problem()).contains("line break");
        assertThat(valid().host("::1").port(25).tlsMode(TlsMode.NONE).build().relayName()).isEqualTo("[::1]:25");
    }

    @Test
    void portMustBeInRange() {
        InvalidInputException e = refused(() -> valid().port(0).build());
        assertThat(e.field()).isEqualTo("port");
        assertThat(e.fix()).contains("587").contains("465");
        assertThat(refused(() -> valid().port(70000).build()).field()).isEqualTo("port");
    }

    @Test
    void tlsModeNamesParseAndUnknownOnesAreRefused() {
        assertThat(TlsMode.parse("starttls")).isEqualTo(TlsMode.STARTTLS);
        assertThat(TlsMode.parse("SSL")).isEqualTo(TlsMode.IMPLICIT_TLS);
        assertThat(TlsMode.parse("implicit")).isEqualTo(TlsMode.IMPLICIT_TLS);
        assertThat(TlsMode.parse("none")).isEqualTo(TlsMode.NONE);
        assertThat(refused(() -> TlsMode.parse("opportunistic")).field()).isEqualTo("tlsMode");
    }

    @Test
    void passwordOverPlaintextIsRefusedUnlessTheRiskIsAcceptedByName() {
        Authentication auth = Authentication.password("u", Secret.of("p"));
        InvalidInputException e = refused(() -> valid().tlsMode(TlsMode.NONE).authentication(auth).build());
        assertThat(e.field()).isEqualTo("tlsMode");
        assertThat(e.fix()).contains("STARTTLS").contains("allowCredentialsOverPlaintext");
        assertThat(valid().tlsMode(TlsMode.NONE).authentication(auth).allowCredentialsOverPlaintext(true).build()
                .allowCredentialsOverPlaintext()).isTrue();
    }

    @Test
    void timeoutsMustBePositiveAndBounded() {
        assertThat(refused(() -> new Timeouts(Duration.ZERO, Duration.ofSeconds(1), Duration.ofSeconds(1))).field()).isEqualTo("connectTimeout");
        assertThat(refused(() -> new Timeouts(Duration.ofSeconds(1), Duration.ofSeconds(-1), Duration.ofSeconds(1))).field()).isEqualTo("readTimeout");
        assertThat(refused(() -> new Timeouts(Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofHours(1))).field()).isEqualTo("writeTimeout");
    }

    @Test
    void credentialsMustBeComplete() {
        assertThat(refused(() -> Authentication.password("", Secret.of("p"))).field()).isEqualTo("username");
        assertThat(refused(() -> Authentication.password("u", Secret.of(""))).field()).isEqualTo("password");
        URI https = URI.create("https://login.example.com/token");
        assertThat(refused(() -> Authentication.oauth2("u", URI.create("http://login.example.com/token"), "id", Secret.of("s"), "")).field())
                .isEqualTo("authTokenUrl");
        assertThat(refused(() -> Authentication.oauth2("u", https, " ", Secret.of("s"), "")).field()).isEqualTo("authTokenClientId");
        assertThat(refused(() -> Authentication.oauth2("u", https, "id", Secret.of(""), "")).field()).isEqualTo("authTokenClientSecret");
    }

    @Test
    void trustSettingsAreChecked() {
        assertThat(refused(() -> TrustSettings.jvmDefault().withPins(List.of("md5/abc"))).field()).isEqualTo("certificatePin");
        assertThat(refused(() -> TrustSettings.pem("not a certificate")).field()).isEqualTo("trustPem");
        String badPem = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        InvalidInputException e = refused(() -> RelayClient.create(valid().trust(TrustSettings.pem(badPem)).build()));
        assertThat(e.field()).isEqualTo("trustPem");
    }

    @Test
    void poolBoundsAndHeloNameAreChecked() {
        assertThat(refused(() -> valid().maxConnections(0).build()).field()).isEqualTo("maxConnections");
        assertThat(refused(() -> valid().idleTimeout(Duration.ofHours(1)).build()).field()).isEqualTo("idleTimeout");
        assertThat(refused(() -> valid().heloName("my host").build()).field()).isEqualTo("heloName");
    }

    @Test
    void secretsNeverShowInToString() {
        RelaySettings s = valid().authentication(Authentication.oauth2("u", URI.create("https://login.example.com/t"),
                "id", Secret.of("client-secret-xyz"), "scope")).build();
        assertThat(s.toString()).doesNotContain("client-secret-xyz");
        assertThat(Authentication.password("u", Secret.of("pw-123")).toString()).doesNotContain("pw-123");
        assertThat(Secret.of("pw-123").toString()).isEqualTo("[redacted]");
    }
}
