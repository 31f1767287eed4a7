package dev.tuneforge.worker.protocol;

import java.util.Arrays;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/** The spec's enums on the wire: their constant names in lower case ({@code COSINE} is {@code cosine}). */
final class WireNames {

    private WireNames() {
    }

    static String of(Enum<?> value) {
        return value.name().toLowerCase(Locale.ROOT);
    }

    /** The constant named {@code wireName}; the reader checks the name against {@link #all} first. */
    static <E extends Enum<E>> E parse(Class<E> type, String wireName) {
        return Enum.valueOf(type, wireName.toUpperCase(Locale.ROOT));
    }

    static Set<String> all(Class<? extends Enum<?>> type) {
        return Arrays.stream(type.getEnumConstants()).map(WireNames::of).collect(Collectors.toUnmodifiableSet());
    }
}
