package dev.tuneforge.dataset.validation;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Recognises uploads that are not text before any of them is parsed: archives and compressed files
 * (a zip bomb renamed to .jsonl is still a zip) and binary data, whose head is full of NUL bytes (executables,
 * images, UTF-16 text: every other byte). A few NUL bytes in otherwise textual lines are not a verdict on the
 * file: {@link JsonlLineReader} reports each line that holds one ({@link Check#NUL_BYTE}), so the user can find it.
 */
final class BinarySniffer {

    private static final int SNIFF_BYTES = 4096;
    /** The head is binary when at least one byte in this many is NUL. */
    private static final int NUL_SHARE = 10;
    private static final byte[][] MAGIC = {
            {0x1F, (byte) 0x8B},                                    // gzip
            {0x50, 0x4B, 0x03, 0x04},                               // zip
            {0x42, 0x5A, 0x68},                                     // bzip2
            {(byte) 0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00},            // xz
            {0x28, (byte) 0xB5, 0x2F, (byte) 0xFD},                 // zstd
            {0x37, 0x7A, (byte) 0xBC, (byte) 0xAF, 0x27, 0x1C},     // 7z
    };

    private BinarySniffer() {
    }

    /** Looks at the head of the stream (which must support mark/reset) without consuming it. */
    static boolean isBinary(BufferedInputStream in) throws IOException {
        in.mark(SNIFF_BYTES);
        byte[] head = in.readNBytes(SNIFF_BYTES);
        in.reset();
        for (byte[] magic : MAGIC) {
            if (startsWith(head, magic)) {
                return true;
            }
        }
        int nuls = 0;
        for (byte b : head) {
            if (b == 0) {
                nuls++;
            }
        }
        return nuls > 0 && (long) nuls * NUL_SHARE >= head.length;
    }

    private static boolean startsWith(byte[] head, byte[] magic) {
        if (head.length < magic.length) {
            return false;
        }
        for (int i = 0; i < magic.length; i++) {
            if (head[i] != magic[i]) {
                return false;
            }
        }
        return true;
    }

    static BufferedInputStream buffered(InputStream in) {
        return in instanceof BufferedInputStream buffered ? buffered : new BufferedInputStream(in, 64 * 1024);
    }
}
