package dev.tuneforge.gateway.api;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * A request body that cannot grow past its endpoint's limit: it counts the bytes actually read and fails with
 * 413 at the first byte over, so a body without a length (chunked) or with a length that lies is cut off while
 * it streams, before more than the limit is spooled or parsed. The failure is a runtime exception, so whatever
 * was being made of the body is dropped rather than reported as malformed (a JAX-RS reader that wraps it in a
 * 400 is unwrapped by {@link ProblemMappers}).
 */
final class LimitedBody extends FilterInputStream {

    private final BodyLimitFilter.Limit limit;
    private long read;

    LimitedBody(InputStream body, BodyLimitFilter.Limit limit) {
        super(body);
        this.limit = limit;
    }

    /** The 413 of a body over {@code limit}: it has {@code length} bytes, or more when {@code moreThan}. */
    static ApiException tooLarge(long length, BodyLimitFilter.Limit limit, boolean moreThan) {
        return new ApiException(413, "payload-too-large", "Payload too large", "the body has "
                + (moreThan ? "more than " + limit.bytes() : Long.toString(length)) + " bytes; this endpoint takes at"
                + " most " + limit.bytes() + " (" + limit.setting() + ")", null);
    }

    @Override
    public int read() throws IOException {
        int b = super.read();
        if (b >= 0) {
            count(1);
        }
        return b;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
        // Never more than one byte past the limit: enough to know the body is over it.
        int n = super.read(buffer, offset, (int) Math.min(length, limit.bytes() - read + 1));
        if (n > 0) {
            count(n);
        }
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        byte[] discard = new byte[(int) Math.min(8192, Math.max(n, 1))];
        long skipped = 0;
        while (skipped < n) {
            int r = read(discard, 0, (int) Math.min(discard.length, n - skipped));
            if (r < 0) {
                break;
            }
            skipped += r;
        }
        return skipped;
    }

    @Override
    public boolean markSupported() {
        return false;
    }

    @Override
    public synchronized void mark(int readLimit) {
    }

    @Override
    public synchronized void reset() throws IOException {
        throw new IOException("mark/reset not supported");
    }

    private void count(int n) {
        read += n;
        if (read > limit.bytes()) {
            throw tooLarge(read, limit, true);
        }
    }
}
