package io.github.outboundrelay.keycloak;

import jakarta.persistence.EntityManager;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.function.Function;
import org.keycloak.connections.jpa.JpaConnectionProvider;
import org.keycloak.connections.jpa.JpaConnectionProviderFactory;
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

    /**
     * As {@link #call}, tried once more when the first try fails: the row another node created meanwhile (a unique key
     * both inserted), or a passing failure. The second failure is thrown with the first suppressed in it.
     */
    <T> T callTwice(Function<EntityManager, T> work) {
        try {
            return call(work);
        } catch (RuntimeException first) {
            try {
                return call(work);
            } catch (RuntimeException e) {
                e.addSuppressed(first);
                throw e;
            }
        }
    }

    /**
     * The JDBC product name of Keycloak's database, such as {@code PostgreSQL} or {@code H2}. Asked of a connection
     * of Keycloak's own pool through its JPA provider factory, which every 26.x line has (Jakarta Persistence 3.2's
     * {@code EntityManager.callWithConnection} is missing before 26.4).
     */
    String productName() {
        JpaConnectionProviderFactory jpa = (JpaConnectionProviderFactory) factory.getProviderFactory(JpaConnectionProvider.class);
        try (Connection connection = jpa.getConnection()) {
            return connection.getMetaData().getDatabaseProductName();
        } catch (SQLException e) {
            throw new IllegalStateException("Keycloak's database did not say what it is: " + e.getMessage(), e);
        }
    }
}
