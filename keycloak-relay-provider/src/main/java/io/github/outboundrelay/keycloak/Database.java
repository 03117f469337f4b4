package io.github.outboundrelay.keycloak;

import jakarta.persistence.EntityManager;
import java.util.function.Function;
import org.keycloak.connections.jpa.JpaConnectionProvider;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.models.utils.KeycloakModelUtils;

/**
 * Keycloak's database as the queue uses it: each call is one short transaction of its own, committed before it
 * returns. Called from the queue's threads, and from request threads where Keycloak suspends the request's
 * transaction meanwhile: a stored mail is durable whatever becomes of the request. Not final: DatabaseSpoolIT runs the
 * database spool on a plain JPA {@code EntityManagerFactory} over a real PostgreSQL, without a Keycloak.
 */
class Database {
    private final KeycloakSessionFactory factory;

    Database(KeycloakSessionFactory factory) {
        this.factory = factory;
    }

    /** Runs {@code work} in a new transaction and commits it; a failure rolls it back and is thrown. */
    <T> T call(Function<EntityManager, T> work) {
        return KeycloakModelUtils.runJobInTransactionWithResult(factory,
                session -> work.apply(session.getProvider(JpaConnectionProvider.class).getEntityManager()));
    }

    /** The JDBC product name of Keycloak's database, such as {@code PostgreSQL} or {@code H2}. */
    String productName() {
        return call(em -> em.callWithConnection((java.sql.Connection c) -> c.getMetaData().getDatabaseProductName()));
    }
}
