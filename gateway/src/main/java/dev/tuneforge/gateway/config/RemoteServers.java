package dev.tuneforge.gateway.config;

import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code tuneforge.serving.remote-servers}: {@code <base model>=<url>} entries separated by commas (blanks around them
 * ignored), each URL an absolute {@code http} or {@code https} one. A value that is not so fails with the entry it
 * cannot read, so a typo in a ConfigMap is a clear error at the first chat rather than chat served locally.
 */
public final class RemoteServers {

    private RemoteServers() {
    }

    public static Map<String, String> parse(String value) {
        Map<String, String> servers = new LinkedHashMap<>();
        for (String entry : value.split(",")) {
            String e = entry.strip();
            if (e.isEmpty()) {
                continue;
            }
            int eq = e.indexOf('=');
            String base = eq < 0 ? "" : e.substring(0, eq).strip();
            String url = eq < 0 ? "" : e.substring(eq + 1).strip();
            if (base.isEmpty() || !isHttpUrl(url)) {
                throw new IllegalArgumentException("tuneforge.serving.remote-servers: '" + e
                        + "' is not <base model>=<http(s) URL>");
            }
            if (servers.putIfAbsent(base, url) != null) {
                throw new IllegalArgumentException("tuneforge.serving.remote-servers: base model '" + base
                        + "' is named twice");
            }
        }
        return Map.copyOf(servers);
    }

    private static boolean isHttpUrl(String url) {
        try {
            URI uri = URI.create(url);
            return ("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) && uri.getHost() != null;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
