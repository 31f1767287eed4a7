package dev.tuneforge.launcher;

import java.util.Map;

/**
 * What the kubelet does to a container's env values, command and args before the container sees them: Kubernetes'
 * {@code third_party/forked/golang/expansion/expand.go} ({@code Expand} with {@code MappingFuncFor}), ported line by
 * line. {@code $(NAME)} becomes the value of a variable defined before it (an unknown name stays as written),
 * {@code $$} becomes {@code $}, any other {@code $} stays.
 */
final class KubeletExpansion {

    private KubeletExpansion() {
    }

    static String expand(String input, Map<String, String> defined) {
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
