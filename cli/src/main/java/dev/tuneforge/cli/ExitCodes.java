package dev.tuneforge.cli;

/** Exit codes scripts can branch on; every command's --help lists them. */
public final class ExitCodes {

    public static final int OK = 0;
    /** The gateway failed, could not be reached, or something unexpected happened. */
    public static final int ERROR = 1;
    /** The command line is wrong, or the gateway rejected the input as invalid (400, 413, 415). */
    public static final int USAGE = 2;
    /** Not logged in, the key is missing, unknown or revoked (401), or it may not do this (403). */
    public static final int AUTH = 3;
    /** No such resource in the key's project (404). */
    public static final int NOT_FOUND = 4;
    /** The resource exists already or is in the wrong state (409). */
    public static final int CONFLICT = 5;
    /** The key is over its request rate (429); retry later. */
    public static final int RATE_LIMITED = 6;
    /** Validation rejected the uploaded dataset; the report says what is wrong and where. */
    public static final int REJECTED = 7;
    /** The followed job failed (`jobs follow`): its failure code and message are printed. */
    public static final int JOB_FAILED = 8;
    /** The followed job was cancelled (`jobs follow`). */
    public static final int JOB_CANCELLED = 9;

    static final String FOOTER = """

            Exit codes: 0 ok, 1 error (gateway failed or unreachable),
              2 usage or invalid input, 3 not logged in / unauthenticated / forbidden,
              4 not found, 5 conflict, 6 rate limited, 7 dataset rejected by validation,
              8 followed job failed, 9 followed job cancelled.""";

    private ExitCodes() {
    }

    /** The exit code for an HTTP error status of the gateway. */
    public static int forStatus(int status) {
        return switch (status) {
            case 400, 411, 413, 415, 422 -> USAGE;
            case 401, 403 -> AUTH;
            case 404 -> NOT_FOUND;
            case 409 -> CONFLICT;
            case 429 -> RATE_LIMITED;
            default -> ERROR;
        };
    }
}
