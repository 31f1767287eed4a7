package dev.tuneforge.gateway.domain;

import java.util.List;
import java.util.function.Function;

/**
 * One page of a list. Pass {@code next_after} as {@code after} to get the next page; it is null on
 * the last page.
 */
public record Page<T>(List<T> data, boolean hasMore, String nextAfter) {

    public static final int DEFAULT_LIMIT = 50;
    public static final int MAX_LIMIT = 200;

    /** @param rows up to {@code limit + 1} rows: one more than asked tells whether there is a next page */
    public static <T> Page<T> of(List<T> rows, int limit, Function<T, String> cursor) {
        if (rows.size() <= limit) {
            return new Page<>(rows, false, null);
        }
        List<T> page = rows.subList(0, limit);
        return new Page<>(List.copyOf(page), true, cursor.apply(page.get(limit - 1)));
    }
}
