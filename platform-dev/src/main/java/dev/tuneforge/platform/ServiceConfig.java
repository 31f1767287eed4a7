package dev.tuneforge.platform;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The configuration a service needs to run against the stack: the property names every service
 * reads, and their values for one stack and one service database. Tests get them as Quarkus test
 * resource overrides, LocalPlatform passes them as {@code -D} system properties.
 */
public final class ServiceConfig {

    public static final String KAFKA_BOOTSTRAP_SERVERS = "kafka.bootstrap.servers";
    public static final String DATASOURCE_JDBC_URL = "quarkus.datasource.jdbc.url";
    public static final String DATASOURCE_USERNAME = "quarkus.datasource.username";
    public static final String DATASOURCE_PASSWORD = "quarkus.datasource.password";
    public static final String S3_ENDPOINT = "tuneforge.s3.endpoint";
    public static final String S3_ACCESS_KEY = "tuneforge.s3.access-key";
    public static final String S3_SECRET_KEY = "tuneforge.s3.secret-key";
    public static final String S3_BUCKET = "tuneforge.s3.bucket";
    public static final String S3_REGION = "tuneforge.s3.region";

    private ServiceConfig() {
    }

    /** @param database the service's database, one of {@link EmbeddedStack#DATABASES} */
    public static Map<String, String> of(EmbeddedStack stack, String database) {
        if (!EmbeddedStack.DATABASES.contains(database)) {
            throw new IllegalArgumentException("unknown service database '" + database + "'; expected one of "
                    + EmbeddedStack.DATABASES);
        }
        Map<String, String> config = new LinkedHashMap<>();
        config.put(KAFKA_BOOTSTRAP_SERVERS, stack.kafkaBootstrapServers());
        config.put(DATASOURCE_JDBC_URL, stack.jdbcUrl(database));
        config.put(DATASOURCE_USERNAME, stack.dbUsername());
        config.put(DATASOURCE_PASSWORD, stack.dbPassword());
        config.put(S3_ENDPOINT, stack.s3Endpoint());
        config.put(S3_ACCESS_KEY, stack.s3AccessKey());
        config.put(S3_SECRET_KEY, stack.s3SecretKey());
        config.put(S3_BUCKET, stack.bucket());
        config.put(S3_REGION, stack.s3Region());
        return config;
    }
}
