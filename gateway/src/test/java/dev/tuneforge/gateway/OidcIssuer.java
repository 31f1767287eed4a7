package dev.tuneforge.gateway;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.io.IOException;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.security.interfaces.RSAPublicKey;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;

/**
 * A local OIDC issuer for tests, no Docker and no Keycloak: serves the discovery document and the
 * JWKS of an RSA key generated at start, on 127.0.0.1. The tests sign their tokens with that key
 * (smallrye-jwt-build); they read the issuer and the key from the config this resource returns
 * ({@link #ISSUER}, {@link #SIGNING_KEY}), so nothing is shared through static state.
 */
public class OidcIssuer implements QuarkusTestResourceLifecycleManager {

    /** Config key of the issuer URL (also quarkus.oidc.auth-server-url). */
    public static final String ISSUER = "test.oidc.issuer";
    /** Config key of the signing key: base64 of its PKCS#8 encoding. */
    public static final String SIGNING_KEY = "test.oidc.signing-key";
    /** The audience the gateway is configured to require. */
    public static final String AUDIENCE = "tuneforge";
    /** The key id of the signing key in the JWKS. */
    public static final String KEY_ID = "test-key-1";

    private HttpServer server;

    @Override
    public Map<String, String> start() {
        KeyPair keys = rsaKeyPair();
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        } catch (IOException e) {
            throw new IllegalStateException("cannot start the test OIDC issuer", e);
        }
        String issuer = "http://127.0.0.1:" + server.getAddress().getPort() + "/realms/tuneforge";
        String discovery = """
                {"issuer":"%s","jwks_uri":"%s/protocol/openid-connect/certs",\
                "token_endpoint":"%s/protocol/openid-connect/token",\
                "id_token_signing_alg_values_supported":["RS256"]}""".formatted(issuer, issuer, issuer);
        RSAPublicKey publicKey = (RSAPublicKey) keys.getPublic();
        String jwks = """
                {"keys":[{"kty":"RSA","use":"sig","alg":"RS256","kid":"%s","n":"%s","e":"%s"}]}"""
                .formatted(KEY_ID, base64Url(publicKey.getModulus()), base64Url(publicKey.getPublicExponent()));
        server.createContext("/realms/tuneforge/.well-known/openid-configuration", exchange -> json(exchange, discovery));
        server.createContext("/realms/tuneforge/protocol/openid-connect/certs", exchange -> json(exchange, jwks));
        server.start();
        return Map.of(
                "quarkus.oidc.auth-server-url", issuer,
                "quarkus.oidc.token.audience", AUDIENCE,
                ISSUER, issuer,
                SIGNING_KEY, Base64.getEncoder().encodeToString(keys.getPrivate().getEncoded()));
    }

    @Override
    public void stop() {
        if (server != null) {
            server.stop(0);
        }
    }

    static KeyPair rsaKeyPair() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(2048);
            return generator.generateKeyPair();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void json(HttpExchange exchange, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(200, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** Base64url of an unsigned big-endian integer, as JWK wants it (no sign byte). */
    private static String base64Url(BigInteger value) {
        byte[] bytes = value.toByteArray();
        if (bytes.length > 1 && bytes[0] == 0) {
            bytes = Arrays.copyOfRange(bytes, 1, bytes.length);
        }
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
