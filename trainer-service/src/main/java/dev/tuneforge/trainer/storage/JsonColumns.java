package dev.tuneforge.trainer.storage;

import java.util.Map;

/** JSON text columns (hyperparameters, recipes). */
public final class JsonColumns {

    private JsonColumns() {
    }

    public static String json(Object value) {
        return Jobs.json(value);
    }

    public static Map<String, Object> map(String json) {
        return Jobs.map(json);
    }
}
