package dev.tuneforge.cli;

import picocli.CommandLine.Option;

import java.util.Map;

/**
 * {@code --limit} and {@code --after} of a list command ({@code @Mixin}): one page of a list the gateway pages with an
 * opaque cursor, which {@link ApiCommand#printPage} prints when there are more.
 */
final class Paging {

    @Option(names = "--limit", paramLabel = "N", description = "At most N items (1-200, default 50).")
    Integer limit;

    @Option(names = "--after", paramLabel = "CURSOR", description = "Start after this cursor (printed when there are more).")
    String after;

    /** Adds {@code limit} and {@code after} to a request's query (absent ones as null: not sent). */
    void addTo(Map<String, Object> query) {
        query.put("limit", limit);
        query.put("after", after);
    }
}
