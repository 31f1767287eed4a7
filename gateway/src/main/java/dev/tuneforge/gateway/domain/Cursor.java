package dev.tuneforge.gateway.domain;


import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Base64;

/**
 * The opaque {@code after} cursor of lists ordered by (created_at, id): clients pass back what they
 * got in {@code next_after}, and never need to know what is in it.
 */
public record Cursor(OffsetDateTime createdAt, String id) {

    public String encode() {
        Instant instant = createdAt.toInstant();
        long micros = ChronoUnit.MICROS.between(Instant.EPOCH, instant);
        return Base64.getUrlEncoder().withoutPadding()
                .encodeToString((micros + "|" + id).getBytes(StandardCharsets.UTF_8));
    }

    /** @return null for a null or blank {@code after} (the first page) */
    public static Cursor decode(String after) {
        if (after == null || after.isBlank()) {
            return null;
        }
        try {
            String text = new String(Base64.getUrlDecoder().decode(after), StandardCharsets.UTF_8);
            int bar = text.indexOf('|');
            long micros = Long.parseLong(text.substring(0, bar));
            return new Cursor(Instant.EPOCH.plus(micros, ChronoUnit.MICROS).atOffset(ZoneOffset.UTC),
                    text.substring(bar + 1));
        } catch (RuntimeException e) {
            throw DomainException.invalid("query parameter 'after' is not a cursor this API returned: '" + after + "'");
        }
    }

    /** Validates {@code limit}: 1 to {@link Page#MAX_LIMIT}, default {@link Page#DEFAULT_LIMIT}. */
    public static int limit(Integer limit) {
        if (limit == null) {
            return Page.DEFAULT_LIMIT;
        }
        if (limit < 1 || limit > Page.MAX_LIMIT) {
            throw DomainException.invalid("query parameter 'limit' must be between 1 and " + Page.MAX_LIMIT + ", was " + limit);
        }
        return limit;
    }
}
