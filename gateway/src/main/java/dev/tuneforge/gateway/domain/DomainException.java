package dev.tuneforge.gateway.domain;

import java.util.List;

/**
 * What a domain operation refuses, in the domain's words: which rule the request broke ({@link Reason}), a stable
 * {@code kind} (the last segment of the problem type the API answers with), a title and a detail saying what and
 * where. It carries no HTTP status: the edge decides how each reason is answered ({@code api.DomainProblems} for
 * the native API, and through it OpenAI's error shape under {@code /v1}), so the domain can be called from
 * anywhere, a consumer or a scheduled task included, without speaking HTTP.
 */
public final class DomainException extends RuntimeException {

    /** Why the operation was refused. */
    public enum Reason {
        /** No such thing, or another project's: tenancy never tells "exists, but not yours". */
        NOT_FOUND,
        /** The caller is known but may not do this. */
        FORBIDDEN,
        /** The caller's credentials do not identify anyone. */
        UNAUTHENTICATED,
        /** A required value is absent. */
        MISSING,
        /** A value is malformed or out of range. */
        INVALID,
        /** The request contradicts the current state (a duplicate, a state that does not allow it). */
        CONFLICT,
        /** Well-formed but cannot be carried out; {@link #errors()} names every reason. */
        UNPROCESSABLE,
        /** The caller is over a limit of its own; it may try again in {@link #retryAfterSeconds()}. */
        LIMITED
    }

    private final Reason reason;
    private final String kind;
    private final String title;
    private final List<String> errors;
    private final long retryAfterSeconds;

    private DomainException(Reason reason, String kind, String title, String detail, List<String> errors,
                            long retryAfterSeconds) {
        super(detail);
        this.reason = reason;
        this.kind = kind;
        this.title = title;
        this.errors = errors == null ? null : List.copyOf(errors);
        this.retryAfterSeconds = retryAfterSeconds;
    }

    public static DomainException notFound(String detail) {
        return new DomainException(Reason.NOT_FOUND, "not-found", "Not found", detail, null, 0);
    }

    public static DomainException forbidden(String detail) {
        return forbidden("forbidden", "Forbidden", detail);
    }

    public static DomainException forbidden(String kind, String title, String detail) {
        return new DomainException(Reason.FORBIDDEN, kind, title, detail, null, 0);
    }

    public static DomainException unauthenticated(String kind, String title, String detail) {
        return new DomainException(Reason.UNAUTHENTICATED, kind, title, detail, null, 0);
    }

    public static DomainException missing(String detail) {
        return new DomainException(Reason.MISSING, "missing-parameter", "Missing parameter", detail, null, 0);
    }

    public static DomainException invalid(String detail) {
        return new DomainException(Reason.INVALID, "invalid-parameter", "Invalid parameter", detail, null, 0);
    }

    public static DomainException conflict(String detail) {
        return new DomainException(Reason.CONFLICT, "conflict", "Conflict", detail, null, 0);
    }

    /** {@code errors} names every reason; the detail joins them. */
    public static DomainException unprocessable(String kind, String title, List<String> errors) {
        return new DomainException(Reason.UNPROCESSABLE, kind, title, String.join("; ", errors), errors, 0);
    }

    public static DomainException limited(String kind, String title, String detail, long retryAfterSeconds) {
        return new DomainException(Reason.LIMITED, kind, title, detail, null, retryAfterSeconds);
    }

    public Reason reason() {
        return reason;
    }

    public String kind() {
        return kind;
    }

    public String title() {
        return title;
    }

    /** Every reason of an {@link Reason#UNPROCESSABLE} refusal; null for the others. */
    public List<String> errors() {
        return errors;
    }

    /** Seconds before a {@link Reason#LIMITED} caller may try again; 0 for the others. */
    public long retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
