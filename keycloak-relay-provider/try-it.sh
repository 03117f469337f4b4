#!/usr/bin/env bash
# Try it: Keycloak 26.7.3 (fetched from Maven Central) with this provider and a local STARTTLS + AUTH relay;
# a "Forgot password?" on the login page; prints the mail as the relay received it and the probe report.
# Needs Java 17 and Maven; nothing else, no account, no network beyond Maven Central.
set -euo pipefail
cd "$(dirname "$0")/.."
module=keycloak-relay-provider

# Builds the drop-in JAR, unpacks the Keycloak distribution into target/, and writes the test classpath.
mvn -q -B -pl "$module" -am pre-integration-test dependency:build-classpath -DskipTests \
    -Dmdep.includeScope=test -Dmdep.outputFile=target/test-classpath.txt

version=$(sed -n 's:.*<keycloak.version>\(.*\)</keycloak.version>.*:\1:p' "$module/pom.xml")
exec java \
    -Dkeycloak.home="$module/target/keycloak/keycloak-$version" \
    -Dprovider.jar="$(ls "$module"/target/keycloak-relay-provider-*.jar | grep -v original | head -1)" \
    -Dtry.dir="$module/target/try-keycloak" \
    -cp "$module/target/test-classes:$(cat "$module/target/test-classpath.txt")" \
    io.github.outboundrelay.keycloak.it.TryKeycloak
