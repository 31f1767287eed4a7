package dev.tuneforge.launcher;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the kubelet does to a container's env values, command and args before the container sees them: Kubernetes'
 * {@code third_party/forked/golang/expansion/expand.go} ({@code Expand} with {@code MappingFuncFor}), ported line by
 * line. {@code $(NAME)} becomes the value of a variable defined before it (an unknown name stays as written),
 * {@code $$} becomes {@code $}, any other {@code $} stays. {@link KubernetesManifests} writes every value so that it
 * comes through unchanged; tests read the Jobs it makes as their containers see them.
 */
public final class KubeletExpansion {

    private KubeletExpansion() {
    }

    /**
     * The container's environment as its process sees it: {@code fromSources} (what its {@code envFrom} Secrets and
     * ConfigMaps define, first), then each {@code env} value expanded with the variables before it.
     */
    public static Map<String, String> environment(Container c, Map<String, String> fromSources) {
        Map<String, String> defined = new LinkedHashMap<>(fromSources);
        for (EnvVar e : c.getEnv()) {
            if (e.getValue() != null) {
                defined.put(e.getName(), expand(e.getValue(), defined));
            }
        }
        return defined;
    }

    /** The container's command line as its process gets it. */
    public static List<String> command(Container c, Map<String, String> fromSources) {
        Map<String, String> defined = environment(c, fromSources);
        return c.getCommand().stream().map(arg -> expand(arg, defined)).toList();
    }

    public static String expand(String input, Map<String, String> defined) {
        StringBuilder buf = new StringBuilder();
        int checkpoint = 0;
        for (int cursor = 0; cursor < input.length(); cursor++) {
            if (input.charAt(cursor) == '$' && cursor + 1 < input.length()) {
                buf.append(input, checkpoint, cursor);
                String rest = input.substring(cursor + 1);
                int advance = 1;
                switch (rest.charAt(0)) {
                    case '$' -> buf.append('$'); // escaped operator
                    case '(' -> {
                        int close = rest.indexOf(')', 1);
                        if (close < 0) {
                            buf.append("$("); // incomplete reference
                        } else {
                            String name = rest.substring(1, close);
                            buf.append(defined.getOrDefault(name, "$(" + name + ")"));
                            advance = close + 1;
                        }
                    }
                    default -> buf.append('$').append(rest.charAt(0));
                }
                cursor += advance;
                checkpoint = cursor + 1;
            }
        }
        return buf.append(input.substring(Math.min(checkpoint, input.length()))).toString();
    }
}
