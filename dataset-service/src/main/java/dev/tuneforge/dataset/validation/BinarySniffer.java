package dev.tuneforge.dataset.validation;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Recognises uploads that are not text before any of them is parsed: archives and compressed files
 * (a zip bomb renamed to .jsonl is still a zip) and binary data (NUL bytes).
 */
final class BinarySniffer {

    private static final int SNIFF_BYTES = 4096;
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
        for (byte b : head) {
            if (b == 0) {
                return true;
            }
        }
        return false;
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
