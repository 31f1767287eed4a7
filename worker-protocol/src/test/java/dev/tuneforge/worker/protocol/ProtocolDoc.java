package dev.tuneforge.worker.protocol;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** docs/WORKER_PROTOCOL.md, whose examples the tests check: its fenced blocks tagged {@code json <kind>}. */
final class ProtocolDoc {

    static final Path PATH = Path.of("../docs/WORKER_PROTOCOL.md");

    private ProtocolDoc() {
    }

    static String text() {
        try {
            return Files.readString(PATH);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The contents of every {@code ```json <kind>} block, in order. */
    static List<String> blocks(String kind) {
        Matcher m = Pattern.compile("```json " + Pattern.quote(kind) + "\n(.*?)```", Pattern.DOTALL).matcher(text());
        List<String> out = new ArrayList<>();
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }
}
