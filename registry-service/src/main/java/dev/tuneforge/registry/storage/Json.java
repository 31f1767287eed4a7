package dev.tuneforge.registry.storage;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.tuneforge.events.EventCodec;

import java.io.IOException;
import java.io.UncheckedIOException;

/** JSON text columns (maps of metrics, hyperparameters, audit details). */
final class Json {

    private Json() {
    }

    static String write(Object value) {
        if (value == null) {
            return null;
        }
        try {
            return EventCodec.mapper().writeValueAsString(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static <T> T read(String json, TypeReference<T> type) {
        if (json == null) {
            return null;
        }
        try {
            return EventCodec.mapper().readValue(json, type);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
