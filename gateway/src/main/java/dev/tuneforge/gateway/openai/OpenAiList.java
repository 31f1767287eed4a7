package dev.tuneforge.gateway.openai;

import java.util.List;
import java.util.function.Function;

/**
 * A list as OpenAI's API returns it: the official SDKs page with {@code has_more} and the last item's id as the next
 * request's {@code after}.
 */
public record OpenAiList<T>(String object, List<T> data, boolean hasMore, String firstId, String lastId) {

    /** @param rows up to {@code limit + 1} rows: one more than asked tells whether there is a next page */
    public static <T> OpenAiList<T> of(List<T> rows, int limit, Function<T, String> id) {
        List<T> page = rows.size() > limit ? List.copyOf(rows.subList(0, limit)) : List.copyOf(rows);
        return new OpenAiList<>("list", page, rows.size() > limit,
                page.isEmpty() ? null : id.apply(page.getFirst()), page.isEmpty() ? null : id.apply(page.getLast()));
    }

    /** OpenAI's {@code limit}: 1 to 100, default 20 (10000 for files). */
    public static int limit(Integer limit, int defaultLimit, int max) {
        if (limit == null) {
            return defaultLimit;
        }
        if (limit < 1 || limit > max) {
            throw OpenAiErrors.invalid("limit", "'limit' must be between 1 and " + max + ", was " + limit);
        }
        return limit;
    }
}
