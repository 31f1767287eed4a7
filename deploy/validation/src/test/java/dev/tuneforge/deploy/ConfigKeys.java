package dev.tuneforge.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The configuration keys a service reads, as environment variable names (SmallRye Config's rule: upper case, every
 * character that is not a letter or digit as {@code _}), read from its sources: the keys of its
 * application.properties and of service-kit's microprofile-config.properties (any profile), the
 * {@code @ConfigProperty} names in its code, service-kit's and the launcher's, and the keys of its
 * {@code @ConfigMapping} interfaces and service-kit's, following nested and inherited interfaces (the launcher's
 * {@code KubernetesSettings}, {@code WorkerPlacement}).
 */
final class ConfigKeys {

    private static final Pattern CONFIG_PROPERTY = Pattern.compile("@ConfigProperty\\(name\\s*=\\s*\"([^\"]+)\"");
    private static final Pattern MAPPING = Pattern.compile("@ConfigMapping\\(prefix\\s*=\\s*\"([^\"]+)\"\\)\\s*"
            + "public\\s+interface\\s+(\\w+)");
    private static final Pattern INTERFACE = Pattern.compile("interface\\s+(\\w+)(?:\\s+extends\\s+([\\w\\s,.]+))?\\s*\\{");
    private static final Pattern METHOD = Pattern.compile("^\\s*(?:@\\w+(?:\\([^)]*\\))?\\s*)*([\\w<>, .?]+?)\\s+(\\w+)\\(\\)\\s*;",
            Pattern.MULTILINE);

    /** Interface name → (method name → return type), over every source file scanned. */
    private final Map<String, Map<String, String>> interfaces = new HashMap<>();
    private final Map<String, List<String>> parents = new HashMap<>();

    private ConfigKeys() {
    }

    /** The environment variable names that set a key {@code service} (a module directory) reads. */
    static Set<String> of(String service) {
        Path repo = Overlays.REPO;
        List<Path> sources = new ArrayList<>(List.of(repo.resolve(service).resolve("src/main/java"),
                repo.resolve("service-kit/src/main/java"), repo.resolve("launcher/src/main/java")));
        ConfigKeys scan = new ConfigKeys();
        Set<String> keys = new TreeSet<>();
        keys.addAll(properties(repo.resolve(service).resolve("src/main/resources/application.properties")));
        keys.addAll(properties(repo.resolve("service-kit/src/main/resources/META-INF/microprofile-config.properties")));
        Map<String, String> mappings = new HashMap<>();
        for (Path root : sources) {
            for (String source : javaFiles(root)) {
                String java = source.replaceAll("(?s)/\\*.*?\\*/", "");
                Matcher p = CONFIG_PROPERTY.matcher(java);
                while (p.find()) {
                    keys.add(p.group(1));
                }
                scan.interfaces(java);
                Matcher m = MAPPING.matcher(java);
                boolean mine = !root.startsWith(repo.resolve("launcher"));
                while (m.find() && mine) {
                    mappings.put(m.group(2), m.group(1));
                }
            }
        }
        mappings.forEach((type, prefix) -> scan.keys(type, prefix, keys));
        Set<String> env = new TreeSet<>();
        keys.forEach(k -> env.add(env(k)));
        return env;
    }

    static String env(String key) {
        return key.replaceAll("[^A-Za-z0-9]", "_").toUpperCase(Locale.ROOT);
    }

    private void keys(String type, String prefix, Set<String> out) {
        for (Map.Entry<String, String> method : methods(type).entrySet()) {
            String key = prefix + "." + kebab(method.getKey());
            String returned = method.getValue().replaceAll("^.*\\.", "");
            if (interfaces.containsKey(returned)) {
                keys(returned, key, out);
            } else {
                out.add(key);
            }
        }
    }

    private Map<String, String> methods(String type) {
        Map<String, String> all = new HashMap<>(interfaces.getOrDefault(type, Map.of()));
        for (String parent : parents.getOrDefault(type, List.of())) {
            all.putAll(methods(parent));
        }
        return all;
    }

    /** Records every interface of a source file with its methods (nested ones by their own braces). */
    private void interfaces(String java) {
        Matcher i = INTERFACE.matcher(java);
        while (i.find()) {
            int depth = 1;
            int at = i.end();
            StringBuilder body = new StringBuilder();
            while (at < java.length() && depth > 0) {
                char c = java.charAt(at++);
                depth += c == '{' ? 1 : c == '}' ? -1 : 0;
                if (depth == 1 && c != '}') {
                    body.append(c);
                }
            }
            Map<String, String> methods = new HashMap<>();
            Matcher m = METHOD.matcher(body);
            while (m.find()) {
                methods.put(m.group(2), m.group(1).strip());
            }
            interfaces.put(i.group(1), methods);
            if (i.group(2) != null) {
                parents.put(i.group(1), Stream.of(i.group(2).split(",")).map(s -> s.strip().replaceAll("^.*\\.", ""))
                        .toList());
            }
        }
    }

    private static String kebab(String method) {
        return method.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(Locale.ROOT);
    }

    private static List<String> properties(Path file) {
        try {
            return Files.readAllLines(file).stream().map(String::strip)
                    .filter(l -> !l.isEmpty() && !l.startsWith("#") && l.contains("="))
                    .map(l -> l.substring(0, l.indexOf('=')).strip().replaceFirst("^%[\\w-]+\\.", ""))
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<String> javaFiles(Path root) {
        try (Stream<Path> files = Files.walk(root)) {
            return files.filter(f -> f.toString().endsWith(".java")).map(f -> {
                try {
                    return Files.readString(f);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
