package dev.tuneforge.dataset.validation;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Splits a byte stream into lines without trusting it: a line longer than the limit is skipped (not
 * buffered), bytes that are not UTF-8 and NUL bytes are reported on their line rather than replaced, a leading
 * BOM and CR before LF are dropped. Memory stays bounded by the line limit whatever the file is.
 */
final class JsonlLineReader {

    interface Sink {
        void line(long number, String text);

        void badLine(long number, Check check);

        /** True once the sink wants no more lines: reading ends there. */
        default boolean stopped() {
            return false;
        }
    }

    private static final byte[] BOM = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};

    private final InputStream in;
    private final int maxLineBytes;
    private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);

    JsonlLineReader(InputStream in, int maxLineBytes) {
        this.in = in;
        this.maxLineBytes = maxLineBytes;
    }

    /** Reads to the end; returns the number of lines. */
    long readAll(Sink sink) throws IOException {
        byte[] buffer = new byte[64 * 1024];
        byte[] line = new byte[Math.min(maxLineBytes, 64 * 1024)];
        int length = 0;
        boolean overflow = false;
        boolean first = true;
        long number = 0;
        int read;
        while ((read = in.read(buffer)) != -1) {
            for (int i = 0; i < read; i++) {
                byte b = buffer[i];
                if (b == '\n') {
                    number++;
                    emit(sink, number, line, length, overflow, first);
                    if (sink.stopped()) {
                        return number;
                    }
                    first = false;
                    length = 0;
                    overflow = false;
                } else if (!overflow) {
                    if (length == maxLineBytes) {
                        overflow = true;
                    } else {
                        if (length == line.length) {
                            line = Arrays.copyOf(line, (int) Math.min(maxLineBytes, 2L * line.length));
                        }
                        line[length++] = b;
                    }
                }
            }
        }
        if (length > 0 || overflow) {
            number++;
            emit(sink, number, line, length, overflow, first);
        }
        return number;
    }

    private void emit(Sink sink, long number, byte[] bytes, int length, boolean overflow, boolean first) {
        if (overflow) {
            sink.badLine(number, Check.LINE_TOO_LONG);
            return;
        }
        int start = first && startsWithBom(bytes, length) ? BOM.length : 0;
        int end = length > start && bytes[length - 1] == '\r' ? length - 1 : length;
        if (holdsNul(bytes, start, end)) {
            sink.badLine(number, Check.NUL_BYTE);
            return;
        }
        try {
            sink.line(number, decoder.decode(ByteBuffer.wrap(bytes, start, end - start)).toString());
        } catch (CharacterCodingException e) {
            sink.badLine(number, Check.NON_UTF8);
        }
    }

    private static boolean holdsNul(byte[] bytes, int start, int end) {
        for (int i = start; i < end; i++) {
            if (bytes[i] == 0) {
                return true;
            }
        }
        return false;
    }

    private static boolean startsWithBom(byte[] bytes, int length) {
        return length >= 3 && bytes[0] == BOM[0] && bytes[1] == BOM[1] && bytes[2] == BOM[2];
    }
}
